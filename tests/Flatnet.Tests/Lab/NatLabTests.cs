using Flatnet.Verification;
using System.Text.Json;
using Flatnet.Lab;
using Flatnet.Tools;
using static Flatnet.Tests.LabTests;

namespace Flatnet.Tests;

/// <summary>
/// Hosts behind NAT routers, in the lab (LabTests.InLab): cone NAT punches through, symmetric NAT is relayed, and after
/// a power cut the hosts' own watchers get relayed tunnels direct again.
/// Its own fixture, so it runs beside the other labs (each has namespaces of its own).
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(5)]
public class NatLabTests
{
    // Cone NAT: hole punching works; with relays off (use_relays: false) the tunnel is direct, through both NATs. With
    // relays on, Nebula's relay wins the first handshake (DirectPaths says why, from Nebula's source); VerifyPing asks
    // the relayed tunnel to handshake again, and it ends direct.
    // Symmetric NAT: punching cannot work; the lighthouse relays, and every ping still passes.
    [TestCase(LabNat.Cone, false, "direct LAN.1")] // LAN: the lab's own, 198.18.N
    [TestCase(LabNat.Cone, true, "direct LAN.1")]
    [TestCase(LabNat.Symmetric, true, "relayed via 10.100.0.1")]
    public void BehindNatRoutersHostsPunchThroughOrRelay(LabNat kind, bool useRelays, string tunnel)
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "use_relays:", $"use_relays: {useRelays.ToString().ToLowerInvariant()}");
        InLab(ws, lab =>
        {
            tunnel = tunnel.Replace("LAN", lab.Wires.Lan);
            var matrix = DeployAll(lab, ws.Log).VerifyPing();
            Assert.That((matrix.Results.Count, matrix.Failures.Count), Is.EqualTo((18, 0)), matrix.ToTable());
            TestContext.Out.WriteLine(matrix.ToTable());
            foreach (var r in matrix.Results.Where(r => r.From.StartsWith("host-a") && r.To.StartsWith("host-b") || r.From.StartsWith("host-b") && r.To.StartsWith("host-a")))
                Assert.That(r.Tunnel, Does.StartWith(tunnel), $"{r.From} -> {r.To}");
            Assert.That(Report(lab), Does.Contain("measured by VerifyPing at").And.Contain(Link("host-a", "host-b", kind == LabNat.Cone ? "direct" : "relayed")));
            if (kind == LabNat.Symmetric) // VerifyPing says what a relayed tunnel costs, as a note, not a failure
            {
                Assert.That(matrix.Notes, Has.Some.Match("host-a - host-b.* relayed through lighthouse: it works, but every byte crosses lighthouse; " +
                                                         "a direct handshake was tried again and did not get through"));
                Assert.That(matrix.ToTable(), Does.Contain("\n  note: "), "the table marks a note as one");
            }
            else
            {
                Assert.That(matrix.Notes, Has.None.Contain("relayed through"), matrix.ToTable());
            }
            // Status, read from the live daemons, sees the same tunnel.
            var status = new ControlPlane(lab.Workspace, ws.Log).Status();
            Assert.That(status.Single(s => s.Host == "host-a").Tunnels["host-b"], Does.StartWith(tunnel));
            if (kind == LabNat.Cone)
                Assert.That(matrix.Results.Where(r => r.To.StartsWith("host-b")).Select(r => r.Tunnel), Has.None.Contains("100.64."),
                    "host-b is reached at its router's address, never its inside one: the packets really crossed both NATs");
            if (kind == LabNat.Cone && useRelays) AfterEveryNebulaRestartsTheTunnelsGoDirectByThemselves(lab);
        }, nat: new Dictionary<string, LabNat> { ["host-a"] = kind, ["host-b"] = kind });
    }

    // Direct by itself: every host's Nebula restarts and the NAT routers forget their mappings (as after a power cut),
    // the hosts' own traffic follows (the LAN host reaching out first, as an office server would), and no flatnet
    // command runs. host-a's watcher (scripts/direct-paths.sh, started by its install) finds its relayed tunnels
    // and gets them direct: the cone-NAT pair (host-a - host-b) and the NAT-to-LAN pair (host-a - host-c), within
    // 60 s (the watcher looks every 30 s), read on the hosts themselves. Only host-a's watcher acts: with all three
    // running, whichever looked first in the shared slot moved a tunnel, and which one did was a race (CI at 1ccfadd:
    // host-b's and host-c's moved host-a's, host-a's found nothing left to do).
    private static void AfterEveryNebulaRestartsTheTunnelsGoDirectByThemselves(LabNetwork lab)
    {
        var direct = new DirectByItself(lab);
        direct.StopWatcher("host-b");
        direct.StopWatcher("host-c");
        var restarted = direct.PowerCut([("host-b", "host-a"), ("host-c", "host-a"), ("host-c", "host-b")]);
        var watch = direct.UntilDirect(restarted, [("host-a", "host-b"), ("host-a", "host-c")], TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine(watch);
        Assert.That(watch.AllDirect, $"both pairs direct on both ends within 60 s: {watch}");
        Assert.That(watch.CameUpRelayed, $"the tunnels came up relayed, as after a real power cut: {watch}");
        Assert.That(direct.Moved("host-a", "host-b") && direct.Moved("host-a", "host-c"), $"host-a's own watcher moved both: {watch}");
        Assert.That(direct.Moved("host-b", "host-a") || direct.Moved("host-c", "host-a"), Is.False, $"no other watcher ran: {watch}");
    }
}
