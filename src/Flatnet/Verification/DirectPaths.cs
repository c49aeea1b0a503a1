using Flatnet.Addressing;
using Flatnet.Pki;
using Flatnet.Platforms;
using Flatnet.Rendering;
using Flatnet.Transport;
using Flatnet.Processes;

namespace Flatnet.Verification;

/// <summary>
/// Relayed tunnels between hosts that could reach each other directly, asked to try again. Nebula starts a relay beside
/// the first direct handshake (handshake_manager.go, handleOutbound: relayManager.StartRelays on every attempt, from the
/// first) and keeps whichever completes first. Behind NAT the direct one cannot complete until the peer has punched
/// (its NAT drops the first packets), so the relay wins; once it has, nothing moves the tunnel: a host roams only
/// when an encrypted packet arrives directly (outside.go, handleHostRoaming), punches are one byte and never count, a
/// relayed tunnel sends only through its relay (inside.go, sendNoMetrics), and the connection manager re-handshakes only
/// for a changed certificate (connection_manager.go, tryRehandshake). 1.6.1, 1.9.3 and 1.11.0 alike.
/// So both ends drop the relayed tunnel at once (the admin interface's close-tunnel -local-only) and ping each other at
/// once: each end's first packets open its own NAT for the other's, so the handshakes that follow go through directly
/// where the NATs keep ports (cone NAT, a LAN); where they do not (symmetric NAT, a firewall), the relay carries the
/// tunnel again within a second.
/// </summary>
public sealed class DirectPaths(Func<HostAddresses, HostModel> model, Func<HostAddresses, HostPlatform> platformOf, AdminInterface admin)
{
    /// <summary>What the attempt found: each host's tunnels afterwards, and the pairs tried ("a - b"), now direct or still relayed.</summary>
    public sealed record Outcome(IReadOnlyDictionary<string, TunnelStates> Tunnels, IReadOnlyList<string> NowDirect, IReadOnlyList<string> StillRelayed);

    /// <param name="tunnels">each running host's tunnels as read after the pings.</param>
    public Outcome Try(IReadOnlyList<HostAddresses> hosts, IReadOnlyDictionary<string, TunnelStates> tunnels, IReadOnlyDictionary<string, IHostConnection> connections)
    {
        var pcs = hosts.Where(h => !h.Host.IsLighthouse && tunnels.ContainsKey(h.Name)).ToList();
        var pairs = pcs.SelectMany(a => pcs.Where(b => string.CompareOrdinal(a.Name, b.Name) < 0 && (Relayed(tunnels, a, b) || Relayed(tunnels, b, a))).Select(b => (A: a, B: b))).ToList();
        if (pairs.Count == 0) return new Outcome(tunnels, [], []);
        var peersOf = pairs.SelectMany(p => new[] { (p.A, Peer: p.B), (p.B, Peer: p.A) }).GroupBy(x => x.Item1.Name)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Peer).ToList());
        var involved = pcs.Where(h => peersOf.ContainsKey(h.Name)).ToList();
        AtOnce.Each(involved, h => NebulaAdmin.Run(connections[h.Name], admin, peersOf[h.Name].Select(p => $"close-tunnel -local-only {p.OverlayAddress}").ToList()));
        AtOnce.Each(involved, h => platformOf(h).Probe(model(h), connections[h.Name], peersOf[h.Name].Select(p => new ProbeTarget(p.OverlayAddress, 6)).ToList(), []));
        var after = tunnels.ToDictionary(kv => kv.Key, kv => kv.Value);
        // The pings answered, so each pair has a tunnel: one that reads as none yet is still settling (a handshake
        // finishing on a loaded host): read again, a few times, a second apart.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            if (attempt > 0) Thread.Sleep(TimeSpan.FromSeconds(1));
            foreach (var (h, read) in involved.Zip(AtOnce.Each(involved, h => TunnelStates.Read(connections[h.Name], admin).States)))
                if (read is not null) after[h.Name] = read;
            if (pairs.All(p => Known(after, p.A, p.B) && Known(after, p.B, p.A))) break;
        }
        var names = pairs.Select(p => (Pair: $"{p.A.Name} - {p.B.Name}", Direct: Direct(after, p.A, p.B) && Direct(after, p.B, p.A))).ToList();
        return new Outcome(after, names.Where(n => n.Direct).Select(n => n.Pair).ToList(), names.Where(n => !n.Direct).Select(n => n.Pair).ToList());
    }

    private static bool Relayed(IReadOnlyDictionary<string, TunnelStates> tunnels, HostAddresses from, HostAddresses to) =>
        tunnels[from.Name].Of(to.OverlayAddress).StartsWith("relayed", StringComparison.Ordinal);

    private static bool Known(IReadOnlyDictionary<string, TunnelStates> tunnels, HostAddresses from, HostAddresses to) =>
        tunnels[from.Name].Of(to.OverlayAddress) != "-";

    private static bool Direct(IReadOnlyDictionary<string, TunnelStates> tunnels, HostAddresses from, HostAddresses to) =>
        tunnels[from.Name].Of(to.OverlayAddress).StartsWith("direct", StringComparison.Ordinal);
}
