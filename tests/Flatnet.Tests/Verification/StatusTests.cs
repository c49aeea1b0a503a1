using Flatnet.Verification;

namespace Flatnet.Tests;

/// <summary>Status's table: one row per host, an unreachable one says why instead of crashing the report.</summary>
public class StatusTests
{
    [Test]
    public void WideIsABlockPerHostWithALinePerPeerAndAnUnreachableOneSaysWhy()
    {
        var now = DateTimeOffset.Parse("2026-11-26T09:00:00Z");
        var rows = new[]
        {
            new HostStatus { Host = "host-a", Reachable = true, Running = true, Nebula = "1.11.0", Service = "running", CertificateDaysLeft = 364, Routing = "ok",
                Tunnels = new Dictionary<string, string> { ["host-b"] = "direct 198.18.0.12:4242", ["lighthouse"] = "relayed via lighthouse-2" },
                LastHandshakes = new Dictionary<string, DateTimeOffset> { ["host-b"] = now.AddMinutes(-4) } },
            new HostStatus { Host = "host-b", Reachable = false, CertificateDaysLeft = 12, Problem = "cannot connect to root@198.18.0.12:22 (host-b): Connection refused" },
        };
        var lines = StatusTable.Wide(rows, ["host-a", "host-b", "lighthouse"], now).Split('\n');
        Assert.That(lines[0], Is.EqualTo("  host-a: ssh ok, nebula 1.11.0, running, cert 364d, routing ok"));
        Assert.That(lines[1], Does.Match(@"^      host-b\s+direct 198\.18\.0\.12:4242\s+handshake 4m ago$"));
        Assert.That(lines[2], Does.Match(@"^      lighthouse\s+relayed via lighthouse-2$"));
        Assert.That(lines[3], Is.EqualTo("  host-b: ssh DOWN, nebula -, -, cert 12d, routing -"));
        Assert.That(lines[4], Is.EqualTo("      no tunnels read: not reached"));
        Assert.That(lines[5], Is.EqualTo("  host-b: cannot connect to root@198.18.0.12:22 (host-b): Connection refused"));
        Assert.That(lines[^1], Is.EqualTo("1 of 2 host(s) healthy; 1 problem(s) above"), "the verdict ends --wide too");
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
        Assert.That(lines[4], Is.EqualTo("  pc-1: cannot connect to root@198.18.0.1:22 (pc-1): Connection refused"));
        Assert.That(lines[5], Is.EqualTo("      fix: turn pc-1 on"), "Status keeps the failure's fix");
        Assert.That(lines[6], Is.EqualTo("2 of 3 host(s) healthy; 1 problem(s) above"), "the verdict is the last line");
    }

    [Test]
    public void AHostWhoseTunnelsCouldNotBeReadSaysUnknownNeverIdle()
    {
        var rows = new[]
        {
            Healthy("pc-1", ("pc-2", TunnelStates.Unread)) with { TunnelsUnread = "Nebula's admin interface did not answer (timed out)" },
            Healthy("pc-2", ("pc-1", "-")),
        };
        var lines = StatusTable.Summary(rows).Split('\n');
        Assert.That(lines[1], Does.EndWith("tunnels unknown (not read)"));
        Assert.That(lines[2], Does.EndWith("0 direct, 0 relayed, 1 idle, 0 down"));
        Assert.That(Tunnel.Of(rows[0], "pc-2", Tunnel.NotUp(rows)).Shown, Is.EqualTo("unknown (its admin interface did not answer)"));
        var json = System.Text.Json.JsonSerializer.Serialize(StatusTable.JsonHosts(rows, DateTimeOffset.UnixEpoch));
        Assert.That(json, Does.Contain("\"kind\":\"unknown\"").And.Contain("\"tunnels_unread\":\"Nebula\\u0027s admin interface did not answer (timed out)\""));
        Assert.That(MeshMetrics.OfStatus(rows, null, DateTimeOffset.UnixEpoch), Does.Contain("flatnet_tunnels{host=\"pc-1\",kind=\"unknown\"} 1"));
    }

    [Test]
    public void TwentyHostsWithLongNamesAndLongProblemsFitOneHundredTwentyColumnsInEveryMode()
    {
        var names = Enumerable.Range(1, 20).Select(i => $"office-{(i % 2 == 0 ? "reception-desk-" : "")}pc-{i:00}").ToList();
        var rows = names.Select(n => Healthy(n, names.Where(p => p != n).Select(p => (p, "relayed via lighthouse-in-the-server-room,lighthouse-2")).ToArray())
            with { Service = "not running (pid file stale: process 12345 is gone since the last boot)", Routing = "missing: route 10.101.4.0/24 via 172.28.80.1, forwarding on vEthernet (WSL)" }).ToList();
        rows[3] = new HostStatus { Host = names[3], Reachable = false, Problem = "cannot connect to administrator@192.168.100.200:22 (" + names[3] + "): " + string.Concat(Enumerable.Repeat("Connection timed out ", 10)),
            Fix = "turn it on, check that OpenSSH Server runs there and that the LAN profile is Private or Domain; then ./build.sh --target=Doctor --host=" + names[3] };
        Assert.That(StatusTable.Summary(rows).Split('\n'), Has.All.Length.LessThanOrEqualTo(StatusTable.Columns));
        Assert.That(StatusTable.Wide(rows, names, DateTimeOffset.UtcNow).Split('\n'), Has.All.Length.LessThanOrEqualTo(StatusTable.Columns));
        Assert.That(StatusTable.Summary(rows), Does.Contain("Connection timed out Connection timed out"), "a long problem wraps, it is not cut");
    }

    [Test]
    public void AHostWhoseNebulaIsDownHasNoPeersToCount()
    {
        var rows = new[] { Healthy("a", ("b", "-")) with { Running = false, Service = "stopped" }, Healthy("b", ("a", "-")) };
        var lines = StatusTable.Summary(rows).Split('\n');
        Assert.That(lines[1], Does.EndWith(" -"), "no tunnel is read from a host whose Nebula is down: not '1 idle'");
        Assert.That(lines[2], Does.EndWith("0 direct, 0 relayed, 0 idle, 1 down"));
    }

    [Test]
    public void JsonHasNumbersAndEachTunnelAsAnObject()
    {
        var now = DateTimeOffset.Parse("2026-11-26T09:00:00Z");
        var rows = new[]
        {
            Healthy("a", ("b", "direct 198.18.0.12:4242"), ("c", "relayed via lighthouse"), ("lighthouse", "-")) with
                { LastHandshakes = new Dictionary<string, DateTimeOffset> { ["b"] = now.AddSeconds(-75) } },
        };
        var json = System.Text.Json.JsonSerializer.Serialize(StatusTable.JsonHosts(rows, now), global::Flatnet.Output.JsonOutput.Options);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var host = doc.RootElement[0];
        Assert.That(host.GetProperty("certificate_days_left").GetInt32(), Is.EqualTo(364));
        var tunnels = host.GetProperty("tunnels").EnumerateArray().ToList();
        Assert.That(tunnels.Select(t => (t.GetProperty("peer").GetString(), t.GetProperty("kind").GetString())),
            Is.EqualTo(new[] { ("b", "direct"), ("c", "relayed"), ("lighthouse", "idle") }));
        Assert.That(tunnels[0].GetProperty("endpoint").GetString(), Is.EqualTo("198.18.0.12:4242"));
        Assert.That(tunnels[0].GetProperty("seconds_since_handshake").GetInt64(), Is.EqualTo(75));
        Assert.That(tunnels[1].GetProperty("via").GetString(), Is.EqualTo("lighthouse"));
        Assert.That(tunnels[2].GetProperty("seconds_since_handshake").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
    }

    /// <summary>Expiry never by surprise: from 30 days before, Status and report.html say what expires and the command that renews it.</summary>
    [Test]
    public void ACertificateOrTheCaDueWithinThirtyDaysIsAWarningWithItsCommand()
    {
        var rows = new[] { Healthy("a") with { CertificateDaysLeft = 12 }, Healthy("b") with { CertificateDaysLeft = 0 }, Healthy("c") };
        var soon = StatusTable.Expiring(rows, caDaysLeft: 20);
        Assert.That(soon.Select(p => (p.Host, p.Problem)), Is.EqualTo(new[]
            { ("the CA", "expires in 20 day(s), and every host certificate with it"), ("a", "its certificate expires in 12 day(s)") }), "an expired one is a problem, not a warning");
        Assert.That(soon.Select(p => p.Fix), Is.EqualTo(new[] { "./build.sh --target=RotateCa (a new CA without an outage)", "./build.sh --target=RenewCerts --within=30" }));
        Assert.That(StatusTable.Problems(rows).Single().Fix, Does.StartWith("./build.sh --target=RenewCerts"));
        Assert.That(StatusTable.Unhealthy(StatusTable.Problems(rows)), Is.EqualTo(1), "a warning is not unhealthy");
    }

    /// <summary>The first-hour audit: the service column cut its state mid-word ("not running (pi~"); the table says the state, the problem line why.</summary>
    [Test]
    public void TheServiceColumnSaysTheStateAndTheProblemLineWhy()
    {
        var stale = new HostStatus { Host = "pc-2", Reachable = true, Running = false, Nebula = "1.11.0", Service = "not running (pid file stale: process 4242 is gone)",
            CertificateDaysLeft = 364, Routing = "ok", Problem = "nebula is not running (pid file stale: process 4242 is gone)", Fix = "run DeployHost" };
        var lines = StatusTable.Summary([Healthy("pc-1"), stale]).Split('\n');
        Assert.That(lines.Single(l => l.StartsWith("  pc-2 ", StringComparison.Ordinal)), Does.Contain(" not running ").And.Not.Contain("~"));
        Assert.That(string.Join("\n", lines), Does.Contain("pid file stale: process 4242 is gone"), "why, in the problem line");
        // Windows' wording, and the routing column: the state word, never cut ("the nebula service ~", "missing: ro~").
        var windows = stale with { Host = "pc-3", Service = "the nebula service is not installed", Routing = "missing: route 10.101.3.0/24 via 172.29.1.2" };
        var stopped = stale with { Host = "pc-4", Service = "the nebula service is Stopped" };
        var rows = StatusTable.Summary([windows, stopped]).Split('\n');
        Assert.That(rows.Single(l => l.StartsWith("  pc-3 ", StringComparison.Ordinal)), Does.Contain(" not installed ").And.Contain(" missing ").And.Not.Contain("~"));
        Assert.That(rows.Single(l => l.StartsWith("  pc-4 ", StringComparison.Ordinal)), Does.Contain(" Stopped ").And.Not.Contain("~"));
    }

    /// <summary>
    /// Ten hosts down made a 732-column line of every problem again, after the table had said each with its fix; fifty
    /// named every host on a 402-column line: a few are named, and how many more.
    /// </summary>
    [Test]
    public void StatusFailsOnOneLineThatNamesTheHostsAndPointsUp()
    {
        var fifty = Enumerable.Range(1, 50).Select(i => new HostStatus { Host = $"office-workstation-{i}", Reachable = false, Problem = "cannot connect", Fix = "turn it on" }).ToList();
        var many = Assert.Throws<FlatnetException>(() => global::Flatnet.Provisioning.FleetStatus.RequireHealthy(fifty))!;
        Assert.That(many.Message, Is.EqualTo("50 of 50 host(s) unhealthy: office-workstation-1, office-workstation-2, office-workstation-3, office-workstation-4, " +
                                             "office-workstation-5 and 45 more; each problem and its fix is above"));
        var rows = Enumerable.Range(1, 10).Select(i => new HostStatus { Host = $"pc-{i}", Reachable = false,
            Problem = $"cannot connect to flatnet@127.0.0.1:{i} (pc-{i}): Connection refused", Fix = $"turn pc-{i} on" }).ToList();
        var e = Assert.Throws<FlatnetException>(() => global::Flatnet.Provisioning.FleetStatus.RequireHealthy(rows))!;
        Assert.That(e.Message, Is.EqualTo("10 of 10 host(s) unhealthy: pc-1, pc-2, pc-3, pc-4, pc-5 and 5 more; each problem and its fix is above"));
        var one = Assert.Throws<FlatnetException>(() => global::Flatnet.Provisioning.FleetStatus.RequireHealthy([rows[1], Healthy("pc-11")]))!;
        Assert.That(one.Message, Does.StartWith("1 of 2 host(s) unhealthy: pc-2: cannot connect to flatnet@127.0.0.1:2"));
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
