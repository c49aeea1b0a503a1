using Flatnet.Addressing;

namespace Flatnet.Verification;

/// <summary>
/// How a link looks in the report: green direct, amber relayed, red down; grey when no tunnel is up now; pale and
/// dotted when it was not read (the build machine could not reach an end over SSH: that says nothing of the tunnel).
/// </summary>
public enum LinkState { Direct, Relayed, Down, Idle, Unknown }

/// <summary>A lighthouse, a host or a WSL2, and whether the last look found it working.</summary>
public sealed record MeshNode(string Id, string Kind, string Label, string Address, bool Up, string Detail)
{
    /// <summary>False when the build machine could not reach it to look (SSH): drawn apart from a node that is down.</summary>
    public bool Reached { get; init; } = true;
}

/// <summary>Something to act on, shown in the report's headline: what is wrong and what to do.</summary>
public sealed record ReportProblem(string What, string? Fix);

/// <summary>A line between two nodes, with what the last look found on it (shown as the line's tooltip).</summary>
public sealed record MeshLink(string From, string To, LinkState State, string Detail);

/// <summary>
/// What the report draws: the mesh as nodes and links, and (from VerifyPing) the ping matrix. Made from what
/// VerifyPing or Status found; the HTML is <see cref="MeshReport"/>'s job.
/// </summary>
public sealed record MeshPicture
{
    public required string Source { get; init; }
    public required IReadOnlyList<MeshNode> Nodes { get; init; }
    public required IReadOnlyList<MeshLink> Links { get; init; }
    public PingMatrix? Matrix { get; init; }

    /// <summary>What needs doing, as the run found it (Status's problems, VerifyPing's findings).</summary>
    public IReadOnlyList<ReportProblem> Problems { get; init; } = [];

    /// <summary>
    /// From VerifyPing: a host pair is down when a ping either way failed, otherwise relayed or direct as the live
    /// tunnel says; a host-lighthouse link is down when the host does not reach it; a host-WSL2 link is down when
    /// a ping from that WSL2 failed (routing, forwarding or NAT on the host).
    /// </summary>
    public static MeshPicture FromMatrix(AddressPlan plan, PingMatrix matrix)
    {
        var checks = matrix.Hosts.ToDictionary(h => h.Host);
        // A managed lighthouse is checked like a host, and drawn as the lighthouse it is.
        var names = (checks.Count > 0 ? checks.Keys.ToList() : matrix.Results.Select(r => HostOf(r.From)).Distinct().ToList())
            .Where(n => !IsLighthouse(plan, n)).ToList();
        var hosts = names.Select(plan.Host).ToList();
        var nodes = Lighthouses(plan, n => checks.TryGetValue(n, out var c) ? (c.Running, c.State) : null).ToList();
        var links = new List<MeshLink>();
        foreach (var h in hosts)
        {
            var check = checks.GetValueOrDefault(h.Name);
            nodes.Add(new MeshNode(h.Name, "host", h.Name, h.OverlayAddress, check?.Running ?? true, check?.State ?? ""));
            foreach (var lh in plan.Lighthouses)
            {
                var reached = check is not null && !check.LighthousesUnreached.Contains(lh.Name);
                links.Add(new MeshLink(h.Name, lh.Name, reached ? LinkState.Direct : LinkState.Down,
                    reached ? $"{h.Name} reaches {lh.Called}" : $"{h.Name} does not reach {lh.Called}"));
            }
        }
        foreach (var (a, b) in Pairs(names))
        {
            var pings = matrix.Results.Where(r => (r.From == a && r.To == b) || (r.From == b && r.To == a)).ToList();
            if (pings.Count == 0) continue;
            var failed = pings.Where(p => !p.Ok).ToList();
            if (failed.Count > 0)
            {
                links.Add(new MeshLink(a, b, LinkState.Down, string.Join("; ", failed.Select(f => $"{f.From} -> {f.To}: {(f.Detail.Length > 0 ? f.Detail : "no reply")}"))));
                continue;
            }
            var link = Tunnel(a, b, pings.Select(p => p.Tunnel));
            links.Add(link.State != LinkState.Idle ? link
                : link with { State = LinkState.Direct, Detail = "up: every ping answered (the admin interface did not say whether direct or relayed)" });
        }
        foreach (var h in hosts.Where(h => h.Host.Wsl))
        {
            var id = $"{h.Name}/wsl";
            var pings = matrix.Results.Where(r => r.From == id).ToList();
            var ok = pings.Count(p => p.Ok);
            nodes.Add(new MeshNode(id, "wsl", $"{h.Name} WSL2", h.WslAddress ?? "", pings.Count > 0 && ok == pings.Count, $"{ok} of {pings.Count} pings from it answered"));
            links.Add(new MeshLink(h.Name, id, pings.Count > 0 && ok == pings.Count ? LinkState.Direct : LinkState.Down,
                $"routed through {h.Name}: {ok} of {pings.Count} pings from {id} answered"));
        }
        var problems = matrix.Diagnoses.Select(d => new ReportProblem(d, null)).ToList();
        if (matrix.Failures.Count > 0 && problems.Count == 0)
            problems.Add(new ReportProblem($"{matrix.Failures.Count} of {matrix.Results.Count} pings failed", "./build.sh --target=Doctor --host=NAME on a host of a failing pair"));
        return new MeshPicture { Source = "VerifyPing", Nodes = nodes, Links = links, Matrix = matrix, Problems = problems };
    }

    /// <summary>
    /// From Status: a host that SSH cannot reach or whose Nebula does not run takes its links down with it; between
    /// running hosts a link is what the live tunnel is, or idle when there is none now (Nebula makes tunnels on
    /// demand, so idle is not a fault). A WSL2 link is what the routing script's check found (Status does not ping).
    /// </summary>
    /// <param name="caDaysLeft">the CA's days left, for the headline's warning from 30 days before it expires.</param>
    public static MeshPicture FromStatus(AddressPlan plan, IReadOnlyList<HostStatus> rows, int? caDaysLeft = null)
    {
        bool Up(HostStatus r) => r.Reachable && r.Running;
        string Why(HostStatus r) => !r.Reachable ? $"not read: the build machine cannot SSH in to {r.Host}" : $"{r.Host}'s nebula: {r.Service}";
        // A host flatnet cannot SSH in to may be fine: its links were not read (unknown), never drawn as a broken tunnel.
        MeshLink Off(string a, string b, HostStatus r) => new(a, b, r.Reachable ? LinkState.Down : LinkState.Unknown, Why(r));
        var byName = rows.ToDictionary(r => r.Host);
        var nodes = Lighthouses(plan, n => byName.TryGetValue(n, out var r) ? (Up(r), r.Problem ?? r.Service) : null).ToList();
        var links = new List<MeshLink>();
        rows = rows.Where(r => !IsLighthouse(plan, r.Host)).ToList();
        foreach (var r in rows)
        {
            var h = plan.Host(r.Host);
            nodes.Add(new MeshNode(r.Host, "host", r.Host, h.OverlayAddress, Up(r), r.Problem ?? r.Service) { Reached = r.Reachable });
            foreach (var lh in plan.Lighthouses)
                links.Add(Up(r) ? Tunnel(r.Host, lh.Name, [r.Tunnels.GetValueOrDefault(lh.Name, "-")]) : Off(r.Host, lh.Name, r));
        }
        foreach (var (a, b) in Pairs(rows.Select(r => r.Host).ToList()))
        {
            var (ra, rb) = (byName[a], byName[b]);
            links.Add(!Up(ra) || !Up(rb)
                ? Off(a, b, new[] { ra, rb }.Where(r => !Up(r)).OrderBy(r => r.Reachable ? 0 : 1).First()) // a known-down end before one not read
                : Tunnel(a, b, [ra.Tunnels.GetValueOrDefault(b, "-"), rb.Tunnels.GetValueOrDefault(a, "-")]));
        }
        foreach (var h in rows.Select(r => plan.Host(r.Host)).Where(h => h.Host.Wsl))
        {
            var id = $"{h.Name}/wsl";
            var routing = byName[h.Name].Routing;
            nodes.Add(new MeshNode(id, "wsl", $"{h.Name} WSL2", h.WslAddress ?? "", Up(byName[h.Name]) && routing == "ok", $"routing: {routing}; VerifyPing pings every WSL2")
                { Reached = byName[h.Name].Reachable });
            links.Add(routing switch
            {
                "ok" => new MeshLink(h.Name, id, LinkState.Direct, $"{h.Name} routes its block to WSL2's current address (routing checked; VerifyPing pings it)"),
                "-" when !byName[h.Name].Reachable => new MeshLink(h.Name, id, LinkState.Unknown, $"not read: the build machine cannot SSH in to {h.Name}"),
                "-" => new MeshLink(h.Name, id, LinkState.Idle, "routing not checked; VerifyPing pings every WSL2"),
                _ => new MeshLink(h.Name, id, LinkState.Down, $"{h.Name}'s routing to WSL2: {routing}"),
            });
        }
        var problems = StatusTable.Problems(rows).Concat(StatusTable.Expiring(rows, caDaysLeft)).Select(p => new ReportProblem($"{p.Host}: {p.Problem}", p.Fix)).ToList();
        return new MeshPicture { Source = "Status", Nodes = nodes, Links = links, Problems = problems };
    }

    /// <summary>The lighthouses; a managed one is up or down as its own check says (<paramref name="seen"/>), an unmanaged one is drawn up.</summary>
    private static IEnumerable<MeshNode> Lighthouses(AddressPlan plan, Func<string, (bool Up, string State)?> seen) =>
        plan.Lighthouses.Select(l => seen(l.Name) is { } s
            ? new MeshNode(l.Name, "lighthouse", l.Name, l.OverlayAddress, s.Up, s.State)
            : new MeshNode(l.Name, "lighthouse", l.Name, l.OverlayAddress, true, string.Join(", ", l.Lighthouse.Endpoints)));

    private static bool IsLighthouse(AddressPlan plan, string name) => plan.Lighthouses.Any(l => l.Name == name);

    /// <summary>Relayed when any side says so (the bytes cross the relay either way), direct when one side names the remote, unknown when a side could not be read, idle when neither has a tunnel.</summary>
    private static MeshLink Tunnel(string a, string b, IEnumerable<string> tunnels)
    {
        var seen = tunnels.Where(t => t is not ("-" or TunnelStates.Unread)).Distinct().ToList();
        var relayed = seen.FirstOrDefault(t => t.StartsWith("relayed", StringComparison.Ordinal));
        if (relayed is not null) return new MeshLink(a, b, LinkState.Relayed, relayed);
        if (seen.Count > 0) return new MeshLink(a, b, LinkState.Direct, string.Join("; ", seen));
        if (tunnels.Contains(TunnelStates.Unread)) return new MeshLink(a, b, LinkState.Unknown, "its host's tunnels could not be read");
        return new MeshLink(a, b, LinkState.Idle, "no tunnel now (Nebula makes one on demand)");
    }

    private static IEnumerable<(string, string)> Pairs(IReadOnlyList<string> names) =>
        names.SelectMany((a, i) => names.Skip(i + 1).Select(b => (a, b)));

    private static string HostOf(string end) => end.Split('/')[0];
}
