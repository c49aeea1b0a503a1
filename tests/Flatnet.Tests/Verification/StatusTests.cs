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

    private static HostStatus Healthy(string host, params (string Peer, string Tunnel)[] tunnels) => new()
    {
        Host = host, Reachable = true, Running = true, Nebula = "1.11.0", Service = "running", CertificateDaysLeft = 364, Routing = "ok",
        Tunnels = tunnels.ToDictionary(t => t.Peer, t => t.Tunnel),
    };

    [Test]
    public void OneLinePerHostInTheOrderAPersonCountsThenEachProblemWithItsFix()
    {
        var rows = new[]
        {
            Healthy("pc-10", ("pc-2", "direct 198.18.0.2:4242"), ("pc-1", "relayed via lighthouse"), ("lighthouse", "-")),
            Healthy("pc-2", ("pc-10", "direct 198.18.0.10:4242"), ("pc-1", "-")),
            new HostStatus { Host = "pc-1", Reachable = false, Problem = "cannot connect to root@198.18.0.1:22 (pc-1): Connection refused", Fix = "turn pc-1 on" },
        };
        var lines = StatusTable.Summary(rows).Split('\n');
        Assert.That(lines.Skip(1).Take(3).Select(l => l.Trim().Split(' ')[0]), Is.EqualTo(new[] { "pc-1", "pc-2", "pc-10" }), "pc-2 before pc-10");
        Assert.That(lines[3], Does.EndWith("1 direct, 1 relayed, 1 idle, 0 down"), "the lighthouse has no tunnel now: idle; pc-1 is down, but pc-10 has a relayed tunnel to it");
        Assert.That(lines[2], Does.EndWith("1 direct, 0 relayed, 0 idle, 1 down"));
        Assert.That(lines[4], Is.EqualTo("2 of 3 host(s) healthy; 1 problem(s):"));
        Assert.That(lines[5], Is.EqualTo("  pc-1: cannot connect to root@198.18.0.1:22 (pc-1): Connection refused"));
        Assert.That(lines[6], Is.EqualTo("      fix: turn pc-1 on"), "Status keeps the failure's fix");
    }

    [Test]
    public void TwentyHostsFitOneHundredTwentyColumns()
    {
        var names = Enumerable.Range(1, 20).Select(i => $"office-pc-{i:00}").ToList();
        var rows = names.Select(n => Healthy(n, names.Where(p => p != n).Select(p => (p, "direct 198.18.0.1:4242")).ToArray())
            with { Service = "running (since 2026-12-01 08:00)", Routing = "missing: route 10.101.4.0/24" }).ToList();
        Assert.That(StatusTable.Summary(rows).Split('\n'), Has.All.Length.LessThanOrEqualTo(120));
    }

    [Test]
    public void AnUnhealthyHostIsAProblemAndAHealthyMeshHasNone()
    {
        Assert.That(StatusTable.Problems([Healthy("a"), Healthy("b")]), Is.Empty);
        var problems = StatusTable.Problems([Healthy("a") with { Running = false, Service = "stopped" }, Healthy("b") with { Routing = "missing: forwarding" }, Healthy("c") with { CertificateDaysLeft = 0 }]);
        Assert.That(problems.Select(p => (p.Host, p.Problem)), Is.EqualTo(new[]
            { ("a", "nebula is not running: stopped"), ("b", "routing for its WSL2: missing: forwarding"), ("c", "its certificate has expired") }));
        Assert.That(problems.Select(p => p.Fix), Has.All.StartWith("./build.sh --target="));
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
