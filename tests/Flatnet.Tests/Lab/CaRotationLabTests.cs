using System.Text.RegularExpressions;
using Flatnet.Lab;
using static Flatnet.Tests.LabTests;

namespace Flatnet.Tests;

/// <summary>
/// RotateCa on a running lab of three hosts and a lighthouse flatnet manages, while host-a's WSL2 pings host-c's WSL2
/// every 0.2 s for the whole rotation. Every daemon restarts three times (one per phase that changes its files), and
/// each restart may cost the pings of a new handshake; the README gives the figure this test allows.
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(2)]
public class CaRotationLabTests
{
    /// <summary>Pings a rotation may lose: a few per restart of the two daemons on the pinged path (README: Rotating the CA).</summary>
    public const int AllowedLostPings = 15;

    [Test]
    public void RotateCaReplacesTheCaWhileTwoWsl2sKeepPinging()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            var control = DeployAll(lab, ws.Log);
            var oldCa = control.Context.NebulaCert.Print(control.Context.Ca.CrtPath).Fingerprint;
            var target = control.Context.Plan.Host("host-c").WslAddress!;

            PingCount count;
            using (var ping = ContinuousPing.Start(lab.Hosts.Single(h => h.Name == "host-a").WslNamespace, target))
            {
                new ControlPlane(lab.Workspace, ws.Log).RotateCa();
                count = ping.Stop();
            }
            TestContext.Out.WriteLine($"RotateCa: {count.Sent} pings host-a's WSL2 -> host-c's WSL2, {count.Lost} lost");

            var fresh = new ControlPlane(lab.Workspace, ws.Log);
            var newCa = fresh.Context.NebulaCert.Print(fresh.Context.Ca.CrtPath).Fingerprint;
            Assert.That(newCa, Is.Not.EqualTo(oldCa));
            foreach (var node in new[] { "lighthouse", "host-a", "host-b", "host-c" })
            {
                var config = Path.Combine(lab.Directory, node, "flatnet", "config", "nebula");
                Assert.That(Regex.Matches(File.ReadAllText(Path.Combine(config, "ca.crt")), "BEGIN NEBULA CERTIFICATE").Count, Is.EqualTo(1), $"{node} trusts one CA");
                Assert.That(File.ReadAllText(Path.Combine(config, "ca.crt")), Is.EqualTo(File.ReadAllText(fresh.Context.Ca.CrtPath)), $"{node} trusts the new CA");
                Assert.That(fresh.Context.NebulaCert.Print(Path.Combine(config, "host.crt")).Issuer, Is.EqualTo(newCa), $"{node}'s certificate is the new CA's");
            }
            // The lighthouse went first in every phase.
            var firstWaves = ws.Log.Lines.Where(l => l.StartsWith("rollout: wave 1/") && !l.Contains("verified")).ToList();
            Assert.That(firstWaves, Has.Count.EqualTo(3).And.All.EndWith(": lighthouse"), string.Join("\n", firstWaves));
            Assert.That(ws.Log.Lines, Has.Some.Contains("RotateCa: phase 4 of 4 done").And.Some.StartsWith("RotateCa: done in "));
            Assert.That(count.Sent, Is.GreaterThan(50), "the ping ran through the rotation");
            Assert.That(count.Lost, Is.LessThanOrEqualTo(AllowedLostPings), $"{count.Lost} of {count.Sent} pings lost");
            var matrix = fresh.VerifyPing();
            Assert.That(matrix.Failures, Is.Empty, matrix.ToTable());

            ws.Log.Lines.Clear();
            new ControlPlane(lab.Workspace, ws.Log).RotateCa();
            Assert.That(ws.Log.Lines, Has.Some.Contains("nothing to do"), "a finished rotation is not started again");
        }, managedLighthouses: true);
    }
}
