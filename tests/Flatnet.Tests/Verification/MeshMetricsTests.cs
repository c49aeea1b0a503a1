using Flatnet.Processes;
using Flatnet.Verification;

namespace Flatnet.Tests;

/// <summary>
/// The mesh's metrics are Prometheus' text format as promtool (Debian's prometheus package; .ci/run installs it) reads
/// it: every family a gauge with its help, base units, label values escaped.
/// </summary>
public class MeshMetricsTests
{
    private static void PromtoolAccepts(string text)
    {
        var promtool = global::Flatnet.Lab.LabPrerequisites.Which("promtool")
            ?? throw new AssertionException("promtool is not installed: apt-get install prometheus (./build.sh --target=Test installs it)");
        var r = ProcessRunner.Run(promtool, ["check", "metrics"], stdin: text);
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
        Assert.That(r.StdOut + r.StdErr, Is.Empty, "no lint finding either");
    }

    [Test]
    public void StatusMetricsSayEachHostsStateExpiryAndTunnels()
    {
        var now = DateTimeOffset.Parse("2026-12-06T12:00:00Z");
        var rows = new[]
        {
            new HostStatus { Host = "pc-1", Reachable = true, Running = true, CertificateDaysLeft = 20, CertificateNotAfter = now.AddDays(20),
                Tunnels = new Dictionary<string, string> { ["pc-\"2\\"] = "direct 192.168.1.2:4242", ["lighthouse"] = "relayed via lighthouse" } },
            new HostStatus { Host = "pc-\"2\\", Reachable = false },
        };
        var text = MeshMetrics.OfStatus(rows, now.AddDays(300), now);

        PromtoolAccepts(text);
        Assert.That(text, Does.Contain("flatnet_host_reachable{host=\"pc-1\"} 1\n").And.Contain("flatnet_host_reachable{host=\"pc-\\\"2\\\\\"} 0\n"), "label values escaped");
        Assert.That(text, Does.Contain("flatnet_certificate_expiry_seconds{host=\"pc-1\"} 1728000\n"));
        Assert.That(text, Does.Contain("flatnet_ca_expiry_seconds 25920000\n"));
        Assert.That(text, Does.Contain("flatnet_tunnels{host=\"pc-1\",kind=\"direct\"} 1\n").And.Contain("flatnet_tunnels{host=\"pc-1\",kind=\"relayed\"} 1\n"));
        Assert.That(text, Does.Contain("flatnet_hosts_healthy 1\n").And.Contain("flatnet_status_timestamp_seconds 1796558400\n"));
    }

    [Test]
    public void PingMetricsSayEachPairAndItsRoundTripInSeconds()
    {
        var matrix = new PingMatrix([
            new PingResult("pc-1", "pc-2", "10.100.2.1", true, 1.5, "direct", ""),
            new PingResult("pc-1/wsl", "pc-2", "10.100.2.1", false, null, "-", "100% packet loss"),
        ]);
        var text = MeshMetrics.OfPings(matrix, DateTimeOffset.UnixEpoch);

        PromtoolAccepts(text);
        Assert.That(text, Does.Contain("flatnet_ping_success{from=\"pc-1\",to=\"pc-2\",target=\"10.100.2.1\"} 1\n")
            .And.Contain("flatnet_ping_success{from=\"pc-1/wsl\",to=\"pc-2\",target=\"10.100.2.1\"} 0\n")
            .And.Contain("flatnet_ping_rtt_seconds{from=\"pc-1\",to=\"pc-2\",target=\"10.100.2.1\"} 0.0015\n"));
    }

    /// <summary>--metrics=/dev/null became a regular file (a rename replaces what is there), and flatnet's own files could be named (battery 6).</summary>
    [TestCase("/dev/null", "is not a .prom file")]
    [TestCase("/tmp/flatnet-no-such-folder/x.prom", "is in a folder that does not exist")]
    [TestCase("ARTIFACTS/verify/x.prom", "is inside ")]
    [TestCase("HOSTS/x.prom", "is inside ")]
    [TestCase("FOLDER.prom", "is a link, a folder or a device")]
    [TestCase("LINKTOHOSTS/x.prom", "is inside ")]
    public void AMetricsFileIsRefusedBeforeAnyHostIsReadUnlessItIsAProFileOfItsOwn(string given, string said)
    {
        using var ws = new TestWorkspace();
        Directory.CreateDirectory(Path.Combine(ws.Root, "FOLDER.prom"));
        Directory.CreateSymbolicLink(Path.Combine(ws.Root, "elsewhere"), ws.Workspace.InventoryDirectory); // a parent that is a link to hosts/
        var path = given.Replace("LINKTOHOSTS", Path.Combine(ws.Root, "elsewhere")).Replace("ARTIFACTS", ws.Workspace.ArtifactsDirectory).Replace("HOSTS", ws.Workspace.InventoryDirectory).Replace("FOLDER.prom", Path.Combine(ws.Root, "FOLDER.prom"));
        using var context = new global::Flatnet.Provisioning.FlatnetContext(ws.Workspace, ws.Log) { Arguments = global::Flatnet.Provisioning.TaskArguments.Of(("metrics", path)) };
        var e = Assert.Throws<UsageError>(() => global::Flatnet.Provisioning.Metrics.Target(context))!;
        Assert.That(e.Message, Does.StartWith("--metrics: ").And.Contain(said).And.Contain("nothing was read or written"));
        Assert.That(File.Exists("/dev/null") || Directory.Exists("/dev"), Is.True);
    }

    [Test]
    public void AMetricsFileInAFolderOfItsOwnIsTakenWithTildeAsHome()
    {
        using var ws = new TestWorkspace();
        using var context = new global::Flatnet.Provisioning.FlatnetContext(ws.Workspace, ws.Log) { Arguments = global::Flatnet.Provisioning.TaskArguments.Of(("metrics", "~/flatnet.prom")) };
        Assert.That(global::Flatnet.Provisioning.Metrics.Target(context), Is.EqualTo(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "flatnet.prom")));
    }
}
