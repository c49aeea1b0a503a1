using Flatnet.Transport;
using Flatnet.Platforms;
using Flatnet.Pki;
using Flatnet.Addressing;
using Flatnet.Rendering;
using Flatnet.Processes;

namespace Flatnet.Verification;

/// <summary>
/// VerifyPing: proves the mesh with pings and explains what fails. Every host pings every other host's Nebula IP,
/// every WSL2 every other host's Nebula IP and every other WSL2 (what Stage 3 needs). Then, from the running daemons:
/// whether each host's Nebula runs, whether each host reaches each lighthouse, and per tunnel whether it is direct or
/// relayed (Nebula's admin interface). A failed pair never shows a tunnel.
/// </summary>
public sealed class MeshVerifier(AddressPlan plan, Func<HostAddresses, HostModel> model, Func<HostAddresses, HostPlatform> platformOf, AdminInterface? admin, string lighthouseConfigs = "artifacts/lighthouses")
{
    private sealed record HostFindings(string Name, bool Running, string State, TunnelStates Tunnels, string TunnelsUnread, IReadOnlyList<string> LighthousesUnreached, List<PingResult> Pings)
    {
        public IReadOnlyList<NameCheck> Names { get; init; } = [];
    }

    /// <param name="pairs">which pairs (from, to) are pinged; every pair of <paramref name="selected"/> when null.</param>
    /// <param name="namesFrom">the hosts (and their WSL2s) whose names are checked; every one of <paramref name="selected"/> when null.</param>
    public PingMatrix Run(IReadOnlyList<HostAddresses> selected, IReadOnlyDictionary<string, IHostConnection> connections, Func<string, string, bool>? pairs = null,
        IReadOnlyCollection<string>? namesFrom = null)
    {
        // Each host is examined over its own connection, all at once; the report keeps the inventory's order.
        var findings = AtOnce.Each(selected, from => Examine(from, selected.Where(to => pairs?.Invoke(from.Name, to.Name) ?? true).ToList(), connections[from.Name],
            namesFrom?.Contains(from.Name) ?? true));
        var tunnels = findings.Where(f => f.Running && f.TunnelsUnread.Length == 0).ToDictionary(f => f.Name, f => f.Tunnels);
        var direct = admin is null ? null : new DirectPaths(model, platformOf, admin).Try(selected, tunnels, connections);
        tunnels = findings.ToDictionary(f => f.Name, f => direct?.Tunnels.GetValueOrDefault(f.Name) ?? f.Tunnels);
        var unread = findings.Where(f => f.TunnelsUnread.Length > 0).Select(f => f.Name).ToHashSet();
        static string HostOf(string end) => end.Split('/')[0];
        var results = findings.SelectMany(f => f.Pings).Select(r => r with
        {
            Tunnel = !r.Ok ? "-" : unread.Contains(HostOf(r.From)) ? TunnelStates.Unread : tunnels[HostOf(r.From)].Of(plan.Host(HostOf(r.To)).OverlayAddress),
        }).ToList();
        return new PingMatrix(results)
        {
            Diagnoses = [.. Diagnose(findings), .. NamesDiagnoses(findings)],
            Names = findings.SelectMany(f => f.Names).ToList(),
            Notes = [.. Relayed(results, direct), .. (direct?.NowDirect ?? []).Select(p => $"{p}: was relayed; asked to handshake again, now direct"),
                     .. findings.Where(f => unread.Contains(f.Name)).Select(f => $"{f.Name}: its tunnels could not be read, so they show as unknown: {f.TunnelsUnread}")],
            Hosts = findings.Select(f => new HostCheck(f.Name, f.Running, f.State, f.Running ? f.LighthousesUnreached : plan.Lighthouses.Select(l => l.Name).ToList())).ToList(),
        };
    }

    /// <summary>
    /// One host, in one command (its platform's probe): Nebula's state and every ping from it and its WSL2, all at
    /// once; then its admin interface, once, for the tunnels the pings made.
    /// </summary>
    private HostFindings Examine(HostAddresses from, IReadOnlyList<HostAddresses> targets, IHostConnection c, bool checkNames)
    {
        var m = model(from);
        var names = checkNames ? m.Names : [];
        var others = targets.Where(t => t.Name != from.Name).ToList();
        // A managed lighthouse routes no host's block, so WSL2s do not reach it: it is no workload's peer.
        var workloads = from.Host.Wsl ? others.Where(t => !t.Host.IsLighthouse).ToList() : [];
        var fromHost = others.Select(t => new ProbeTarget(t.OverlayAddress, 4))
            .Concat(plan.Lighthouses.Select(l => new ProbeTarget(l.OverlayAddress, 2)))
            .GroupBy(t => t.Address).Select(g => g.MaxBy(t => t.Attempts)!).ToList();
        var fromWsl = workloads.Select(t => new ProbeTarget(t.OverlayAddress, 4))
            .Concat(workloads.Where(t => t.WslAddress is not null).Select(t => new ProbeTarget(t.WslAddress!, 4))).ToList();
        var probe = platformOf(from).Probe(m, c, fromHost, fromWsl, names.Select(n => n.Name).ToList());
        var pings = new List<PingResult>();
        PingResult Row(string fromEnd, string toEnd, string target, string side) =>
            probe.Of(side, target) is var p ? new PingResult(fromEnd, toEnd, target, p.Ok, p.RttMs, "-", p.Detail) : null!;
        foreach (var to in others)
        {
            pings.Add(Row(from.Name, to.Name, to.OverlayAddress, "host"));
            if (!workloads.Contains(to)) continue;
            pings.Add(Row($"{from.Name}/wsl", to.Name, to.OverlayAddress, "wsl"));
            if (to.WslAddress is { } wsl) pings.Add(Row($"{from.Name}/wsl", $"{to.Name}/wsl", wsl, "wsl"));
        }
        var unreached = !probe.Running ? [] : plan.Lighthouses.Where(l => !probe.Of("host", l.OverlayAddress).Ok).Select(l => l.Name).ToList();
        // After the pings: they bring up tunnels that were not there before.
        var (tunnels, unread) = probe.Running && admin is not null ? TunnelStates.Read(c, admin) : (TunnelStates.Unknown, "");
        // A ping answered, so its tunnel exists: one that reads as none yet is still settling on a loaded host.
        if (tunnels is not null && admin is not null && pings.Any(p => p.Ok && p.From == from.Name && tunnels.Of(p.Target) == "-"))
        {
            Thread.Sleep(TimeSpan.FromSeconds(1));
            tunnels = TunnelStates.Read(c, admin).States ?? tunnels;
        }
        // Each name from the host and from its WSL2, as it resolved it ("" when the probe said nothing of it).
        string Resolved(string side, string name) => probe.Names.FirstOrDefault(n => n.From == side && n.Name == name)?.Address ?? "";
        var checks = names.Select(n => new NameCheck(from.Name, n.Name, n.Address, Resolved("host", n.Name)))
            .Concat(from.Host.Wsl ? names.Select(n => new NameCheck($"{from.Name}/wsl", n.Name, n.Address, Resolved("wsl", n.Name))) : []).ToList();
        return new HostFindings(from.Name, probe.Running, probe.State, tunnels ?? TunnelStates.Unknown, tunnels is null ? unread : "", unreached, pings) { Names = checks };
    }

    private List<string> Diagnose(IReadOnlyList<HostFindings> findings)
    {
        var diagnoses = new List<string>();
        foreach (var f in findings.Where(f => !f.Running))
        {
            var host = plan.Host(f.Name);
            var where = platformOf(host).NebulaLogs(model(host));
            diagnoses.Add(Diagnosis($"{f.Name}: nebula is {f.State}; every ping from or to {f.Name} fails",
                          $"look at {where} on {f.Name}, then ./build.sh --target=DeployHost --host={f.Name} starts it again"));
        }
        var running = findings.Where(f => f.Running).ToList();
        foreach (var lh in plan.Lighthouses)
        {
            var from = running.Where(f => f.LighthousesUnreached.Contains(lh.Name)).Select(f => f.Name).ToList();
            if (from.Count == 0) continue;
            var endpoints = string.Join(", ", lh.Lighthouse.Endpoints);
            diagnoses.Add(from.Count == running.Count
                ? Diagnosis($"{lh.Called} ({lh.OverlayAddress}) unreachable from every host - new tunnels cannot form; existing ones keep working",
                  $"check that the lighthouse's nebula runs and that UDP {endpoints} reaches it from the hosts")
                : Diagnosis($"{lh.Called} ({lh.OverlayAddress}) unreachable from {string.Join(", ", from)}",
                  $"check that {string.Join(", ", from)} reach UDP {endpoints} (firewall, NAT, the LAN route)"));
        }
        diagnoses.AddRange(NoPath(running));
        return diagnoses;
    }

    /// <summary>
    /// Relayed tunnels work, but every byte crosses the lighthouse. Those <see cref="DirectPaths"/> asked to go direct
    /// and stayed relayed have no direct path: a NAT that changes ports, or a firewall.
    /// </summary>
    private IEnumerable<string> Relayed(IReadOnlyList<PingResult> results, DirectPaths.Outcome? direct)
    {
        var pairs = PingMatrix.RelayedPairs(results);
        if (pairs.Count == 0) yield break;
        var lighthouse = plan.Lighthouses.FirstOrDefault()?.Name ?? "the lighthouse";
        var tried = direct is not null && pairs.All(direct.StillRelayed.Contains);
        yield return Diagnosis($"{string.Join(", ", pairs)} {(pairs.Count == 1 ? "is" : "are")} relayed through {lighthouse}: it works, but every byte crosses {lighthouse}" +
                               (tried ? "; a direct handshake was tried again and did not get through" : ""),
            $"let UDP {plan.Inventory.Network.ListenPort} reach these hosts directly (a port forward on their routers, or a NAT that keeps ports); symmetric NAT needs the relay");
    }

    /// <summary>
    /// Names a host or WSL2 does not resolve, or resolves elsewhere: its hosts file lacks flatnet's block or holds an
    /// older one (a bundle not installed since), or something earlier in the resolver's order answers for the name.
    /// </summary>
    private static IEnumerable<string> NamesDiagnoses(IReadOnlyList<HostFindings> findings)
    {
        foreach (var from in findings.SelectMany(f => f.Names).Where(n => !n.Ok).GroupBy(n => n.From))
        {
            var host = from.Key.Split('/')[0];
            var wsl = from.Key.Contains('/');
            var shown = from.Take(6).Select(n => n.Resolved.Length == 0 ? n.Name : $"{n.Name} (gives {n.Resolved}, not {n.Expected})").ToList();
            yield return Diagnosis($"{from.Key}: {from.Count()} name(s) of the mesh do not resolve as planned: {string.Join(", ", shown)}{(from.Count() > 6 ? ", ..." : "")}",
                wsl ? $"./build.sh --target=ConfigureRouting --host={host} writes them into its WSL2's /etc/hosts; ./build.sh --target=Doctor --host={host} checks it"
                    : $"./build.sh --target=DeployHost --host={host} writes them into its hosts file; ./build.sh --target=Doctor --host={host} checks it");
        }
    }

    /// <summary>A diagnosis reads like every other problem flatnet reports: what is wrong, then the fix.</summary>
    private static string Diagnosis(string problem, string fix) => FlatnetException.Format(null, null, null, problem, fix);

    /// <summary>
    /// Two hosts that both run and both reach the lighthouse, but not each other: Nebula found no direct path
    /// (typically both behind NAT that punching cannot cross), and no relay carried them either. With use_relays,
    /// the hosts' configs name the lighthouse as their relay, so it is the lighthouse that does not relay.
    /// </summary>
    private IEnumerable<string> NoPath(IReadOnlyList<HostFindings> running)
    {
        var healthy = running.Where(f => f.LighthousesUnreached.Count == 0).Select(f => f.Name).ToHashSet();
        var lighthouse = plan.Lighthouses.FirstOrDefault()?.Name ?? "lighthouse";
        foreach (var f in running.Where(f => healthy.Contains(f.Name)))
        {
            var cut = f.Pings.Where(p => !p.Ok && p.From == f.Name && healthy.Contains(p.To)).Select(p => p.To).Distinct().ToList();
            if (cut.Count == 0) continue;
            yield return plan.Inventory.Network.UseRelays
                ? Diagnosis($"{f.Name}: no direct path to {string.Join(", ", cut)} and the lighthouse does not relay - set relay.am_relay: true on {lighthouse} " +
                  $"(see {Workspace.Relative(Path.Combine(lighthouseConfigs, lighthouse, "config.yaml"))})",
                  $"reload {lighthouse} after setting it; or let UDP {plan.Inventory.Network.ListenPort} reach {f.Name} directly (port forward, no symmetric NAT)")
                : Diagnosis($"{f.Name}: no direct path to {string.Join(", ", cut)}, and relays are off (use_relays: false)",
                  $"set use_relays: true in hosts/network.yaml (and relay.am_relay: true on {lighthouse}), or let UDP {plan.Inventory.Network.ListenPort} reach {f.Name} directly");
        }
    }
}
