using Flatnet.Lab;
using static Flatnet.Tests.LabTests;

namespace Flatnet.Tests;

/// <summary>
/// RenewCerts on a running lab of three hosts while host-a's WSL2 pings host-c's WSL2 every 0.2 s: every certificate
/// is due, each is re-signed and rolled out in its own verified wave, and Nebula takes its new certificate on SIGHUP
/// (only the certificate changed), so the tunnels stay up: at most one ping is lost (none is the goal).
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class RenewCertsLabTests
{
    [Test]
    public void EveryCertificateDueIsRenewedInVerifiedWavesWhileTwoWsl2sKeepPinging()
    {
        using var ws = new TestWorkspace();
        File.AppendAllText(ws.HostsFile("network.yaml"), "cert_duration: 1440h   # 60 days: host certificates end before the CA, so they can be renewed\n");
        InLab(ws, lab =>
        {
            var control = DeployAll(lab, ws.Log);
            var target = control.Context.Plan.Host("host-c").WslAddress!;
            var before = new[] { "host-a", "host-b", "host-c" }.ToDictionary(h => h, h => CertificateOn(lab, h));

            PingCount count;
            IReadOnlyList<string> renewed;
            using (var ping = ContinuousPing.Start(lab.Hosts.Single(h => h.Name == "host-a").WslNamespace, target))
            {
                Thread.Sleep(1000); // the tunnel is up before the renewal starts
                renewed = new ControlPlane(lab.Workspace, ws.Log).RenewCerts(withinDays: 400, waveSize: 1);
                count = ping.Stop();
            }
            TestContext.Out.WriteLine($"RenewCerts: {count.Sent} pings host-a's WSL2 -> host-c's WSL2, {count.Lost} lost");

            Assert.That(renewed, Is.EqualTo(new[] { "host-a", "host-b", "host-c" }));
            Assert.That(before.Where(b => CertificateOn(lab, b.Key) == b.Value).Select(b => b.Key), Is.Empty, "every host runs its new certificate");
            Assert.That(ws.Log.Lines.Where(l => l.StartsWith("rollout: wave ", StringComparison.Ordinal) && l.Contains(" verified")).Count(), Is.EqualTo(3), "a verified wave per host");
            Assert.That(ws.Log.Lines.Count(l => l.Contains("reloaded: nebula for")), Is.EqualTo(3), "each Nebula took its certificate on SIGHUP, not a restart");
            Assert.That(count.Sent, Is.GreaterThan(10), "the ping ran through the renewal");
            Assert.That(count.Lost, Is.LessThanOrEqualTo(1), $"{count.Lost} of {count.Sent} pings lost");

            ws.Log.Lines.Clear();
            Assert.That(new ControlPlane(lab.Workspace, ws.Log).RenewCerts(withinDays: 30), Is.Empty, "nothing is due now");
        });
    }

    private static string CertificateOn(LabNetwork lab, string host) =>
        File.ReadAllText(Path.Combine(lab.Directory, host, "flatnet", "config", "nebula", "host.crt"));
}
