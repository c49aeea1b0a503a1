using Flatnet.Verification;

namespace Flatnet.Tests;

/// <summary>Status's table: one row per host, an unreachable one says why instead of crashing the report.</summary>
public class StatusTests
{
    [Test]
    public void TheTableShowsEveryHostAndAnUnreachableOneSaysWhy()
    {
        var rows = new[]
        {
            new HostStatus { Host = "host-a", Reachable = true, Nebula = "1.11.0", Service = "running", CertificateDaysLeft = 364, Routing = "ok",
                Tunnels = new Dictionary<string, string> { ["host-b"] = "direct 198.18.0.12:4242" } },
            new HostStatus { Host = "host-b", Reachable = false, CertificateDaysLeft = 12, Problem = "cannot connect to root@198.18.0.12:22 (host-b): Connection refused" },
        };
        var lines = StatusTable.Table(rows, ["host-a", "host-b"]).Split('\n');
        Assert.That(lines[0], Does.StartWith("  host ").And.Contain("host-a").And.Contain("host-b"));
        Assert.That(lines[0], Does.Contain(" routing "));
        Assert.That(lines[1], Does.Contain("host-a").And.Contain(" ok ").And.Contain("1.11.0").And.Contain("364d").And.Contain("direct 198.18.0.12:4242"));
        Assert.That(lines[2], Does.Contain("host-b").And.Contain("DOWN").And.Contain("12d"));
        Assert.That(lines[3].Trim(), Is.EqualTo("cannot connect to root@198.18.0.12:22 (host-b): Connection refused"));
    }

    [Test]
    public void APeersCellSaysHowLongAgoItsLastHandshakeWas()
    {
        var now = DateTimeOffset.Parse("2026-11-26T09:00:00Z");
        var rows = new[]
        {
            new HostStatus { Host = "host-a", Reachable = true,
                Tunnels = new Dictionary<string, string> { ["host-b"] = "direct 198.18.0.12:4242", ["host-c"] = "-" },
                LastHandshakes = new Dictionary<string, DateTimeOffset> { ["host-b"] = now.AddMinutes(-4), ["host-c"] = now.AddHours(-3) } },
        };
        var line = StatusTable.Table(rows, ["host-a", "host-b", "host-c"], now).Split('\n')[1];
        Assert.That(line, Does.Contain("direct 198.18.0.12:4242 4m ago").And.Contain("- 3h ago"), "a tunnel gone now still shows when it last shook hands");
    }

    /// <summary>Real log lines of Nebula 1.6.1 and 1.9.3 (logrus: vpnIp) and 1.11.0 (vpnAddrs), from the lab's daemons.</summary>
    [TestCase("1.6.1-lighthouse.log", "10.100.1.1", "2026-11-26T00:21:20Z", 3)]
    [TestCase("1.9.3-host-a.log", "10.100.0.1", "2026-11-26T02:02:35Z", 2)]
    [TestCase("1.11.0-host-a.log", "10.100.2.1", "2026-11-26T00:21:32.330Z", 3)]
    public void TheLastHandshakeOfEachPeerIsReadFromNebulasLog(string fixture, string peer, string last, int peers)
    {
        var lines = File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "fixtures", "nebula-log", fixture));
        var handshakes = HandshakeLog.LastByPeer(lines);
        Assert.That(handshakes, Has.Count.EqualTo(peers));
        Assert.That(handshakes[peer], Is.EqualTo(DateTimeOffset.Parse(last)));
        Assert.That(HandshakeLog.LastByPeer("time=\"2026-11-26T00:21:20Z\" level=info msg=\"Handshake message sent\" vpnIp=10.100.9.1"), Is.Empty, "only completed handshakes count");
    }
}
