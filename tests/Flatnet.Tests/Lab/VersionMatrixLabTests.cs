using Flatnet.Lab;
using Flatnet.Pki;

namespace Flatnet.Tests;

/// <summary>
/// The three-host AddHost lab on the Nebula releases users really run, each fetched from Debian's archive:
/// every host and WSL2 reaches every other (18 pings), tunnels direct on one LAN, and the CA each mix allows.
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(4)]
public class VersionMatrixLabTests
{
    [TestCase("1.11.0", null, 2, TestName = "Lab_1_11_0_everywhere_with_a_v2_ca")]
    [TestCase("1.9.3", null, 1, TestName = "Lab_1_9_3_everywhere")]
    [TestCase("1.11.0,1.9.3,1.6.1", "1.6.1", 1, TestName = "Lab_mixed_mesh_v1_ca_lighthouse_1_6_1_hosts_1_11_0_1_9_3_1_6_1")]
    public void EveryHostAndWslReachesEveryOtherOnEveryRelease(string hosts, string? lighthouse, int caVersion)
    {
        using var ws = new TestWorkspace();
        var versions = LabVersions.Parse(hosts, lighthouse, null);
        var matrix = Run(ws, versions);

        Assert.That((matrix.Results.Count, matrix.Failures.Count), Is.EqualTo((18, 0)), matrix.ToTable());
        Assert.That(matrix.Results.Select(r => r.Tunnel), Has.All.Match(@"^direct 198\.18\.\d+\.1[123]:4242$"), matrix.ToTable());
        Assert.That(matrix.Diagnoses, Is.Empty);
        // Each host's own watcher reads its Nebula's hostmap on its release (vpnIp and an object up to 1.9, vpnAddrs and a string from 1.10).
        Assert.That(ws.Log.Lines, Does.Contain("lab: 3 of 3 hosts' own watchers read every tunnel of theirs as direct (scripts/direct-paths: between runs they move relayed ones by themselves)."));

        var lab = Path.Combine(ws.Root, "artifacts", "lab");
        var newest = versions.All.Max().ToString();
        var ca = new NebulaCert(TestWorkspace.Nebula(newest, "nebula-cert")).Print(Path.Combine(lab, "pki", "ca.crt"));
        Assert.That(ca.Version, Is.EqualTo(caVersion));
        Assert.That(ws.Log.Lines, Has.Some.Contains($"certificate version {caVersion}: "));
        for (var i = 0; i < 3; i++)
        {
            var host = $"host-{(char)('a' + i)}";
            var release = versions.ForHost(i)!.Value.ToString();
            Assert.That(File.ReadAllText(Path.Combine(lab, "hosts", host + ".yaml")), Does.Contain($"nebula_version: {release}"));
            // Nebula logs its build when its interface comes up ("Nebula interface is active" ... build=1.9.3).
            Assert.That(File.ReadAllText(Path.Combine(lab, host, "flatnet", "logs", "nebula.log")), Does.Contain($"build={release}"), $"{host} ran Nebula {release}");
        }
    }

    [Test]
    public void AV2CaWithALighthouseOn161IsRefusedBeforeAnythingIsDeployed()
    {
        using var ws = new TestWorkspace();
        var e = Assert.Throws<FlatnetException>(() => Run(ws, LabVersions.Parse("1.11.0", "1.6.1", "2")))!;
        Assert.That(e.Message, Does.Contain("is a v2 certificate, which Nebula before 1.10.0 cannot read"));
        Assert.That(e.Message, Does.Contain("lighthouse runs 1.6.1"));
        Assert.That(e.Message, Does.Contain("fix: upgrade those daemons to Nebula 1.10 or later, or use a v1 CA"));
        var artifacts = Path.Combine(ws.Root, "artifacts", "lab", "artifacts");
        Assert.That(Directory.Exists(Path.Combine(artifacts, "bundles")) || Directory.Exists(Path.Combine(artifacts, "hosts")), Is.False, "nothing was signed or packed");
        Assert.That(File.Exists(Path.Combine(ws.Root, "artifacts", "lab", "lighthouse", "logs", "nebula.log")), Is.False, "no daemon was started");
    }

    private static global::Flatnet.Verification.PingMatrix Run(TestWorkspace ws, LabVersions versions)
    {
        LabPrerequisites.Ensure(ws.Log, install: false);
        try
        {
            return LabRunner.Run(ws.Workspace, ws.Log, keep: false, installPackages: false, versions).Matrix;
        }
        finally
        {
            LabChecks.AssertNothingLeft(Path.Combine(ws.Root, "artifacts", "lab"));
        }
    }
}
