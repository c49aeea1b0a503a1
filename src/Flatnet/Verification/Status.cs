using Flatnet.Output;

namespace Flatnet.Verification;

/// <summary>One host as Status sees it now; an unreachable host is a row that says so.</summary>
public sealed record HostStatus
{
    public required string Host { get; init; }
    public required bool Reachable { get; init; }
    /// <summary>Whether its Nebula runs (the service, or the process install.sh started).</summary>
    public bool Running { get; init; }
    public string Nebula { get; init; } = "-";
    public string Service { get; init; } = "-";
    public int? CertificateDaysLeft { get; init; }
    /// <summary>The host's routing for its WSL2 (the routing script's own check): "ok", what is missing, or "-" (no WSL2, or not reached).</summary>
    public string Routing { get; init; } = "-";
    /// <summary>Peer (host or lighthouse) name -> "direct ADDR:PORT", "relayed via RELAY", or "-" (no tunnel now; Nebula makes them on demand).</summary>
    public IReadOnlyDictionary<string, string> Tunnels { get; init; } = new Dictionary<string, string>();
    /// <summary>Peer name -> when its last handshake with this host completed, as the host's Nebula log says (absent: none logged).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> LastHandshakes { get; init; } = new Dictionary<string, DateTimeOffset>();
    public string? Problem { get; init; }
    /// <summary>What to do about <see cref="Problem"/> (the failure's own fix).</summary>
    public string? Fix { get; init; }

    /// <summary>Reached and its Nebula runs: its tunnels can carry traffic.</summary>
    public bool Up => Reachable && Running;
}

/// <summary>Something wrong with one host, and what to do about it.</summary>
public sealed record StatusProblem(string Host, string Problem, string Fix);

/// <summary>
/// Status for a person: one line per host (as `tailscale status` does), its peers summed up, then one line per
/// problem with its fix; the full peer matrix (<see cref="Table(IReadOnlyList{HostStatus}, IReadOnlyList{string})"/>) with --wide.
/// </summary>
public static class StatusTable
{
    /// <summary>One line per host in natural order, then the problems, each with its fix. Fits 120 columns for names up to 16.</summary>
    public static string Summary(IReadOnlyList<HostStatus> rows)
    {
        var sorted = rows.OrderBy(r => r.Host, NaturalOrder.Instance).ToList();
        var width = Math.Max(4, sorted.Select(r => r.Host.Length).DefaultIfEmpty(0).Max());
        var lines = new List<string> { $"  {"host".PadRight(width)} {"ssh",-4} {"nebula",-8} {"service",-16} {"cert",-5} {"routing",-16} peers" };
        foreach (var r in sorted)
            lines.Add($"  {r.Host.PadRight(width)} {(r.Reachable ? "ok" : "DOWN"),-4} {Cut(r.Nebula, 8),-8} {Cut(r.Service, 16),-16} " +
                      $"{(r.CertificateDaysLeft is { } d ? d + "d" : "-"),-5} {Cut(r.Routing, 16),-16} {(r.Reachable ? Peers(r, rows) : "-")}");
        var problems = Problems(rows);
        var healthy = rows.Count - Unhealthy(problems);
        lines.Add($"{healthy} of {rows.Count} host(s) healthy" + (problems.Count == 0 ? "" : $"; {problems.Count} problem(s):"));
        foreach (var p in problems) lines.Add($"  {p.Host}: {p.Problem}\n      fix: {p.Fix}");
        return string.Join("\n", lines);
    }

    /// <summary>A host's peers summed up: "3 direct, 1 relayed, 1 idle, 0 down" (idle: no tunnel now, Nebula makes one on demand; down: the peer's Nebula is not up).</summary>
    public static string Peers(HostStatus row, IReadOnlyList<HostStatus> rows)
    {
        var up = rows.ToDictionary(r => r.Host, r => r.Up);
        int direct = 0, relayed = 0, idle = 0, down = 0;
        foreach (var (peer, tunnel) in row.Tunnels)
        {
            if (tunnel.StartsWith("direct", StringComparison.Ordinal)) direct++;
            else if (tunnel.StartsWith("relayed", StringComparison.Ordinal)) relayed++;
            else if (up.TryGetValue(peer, out var isUp) && !isUp) down++;
            else idle++;
        }
        return $"{direct} direct, {relayed} relayed, {idle} idle, {down} down";
    }

    /// <summary>How many hosts the problems are about.</summary>
    public static int Unhealthy(IReadOnlyList<StatusProblem> problems) => problems.Select(p => p.Host).Distinct().Count();

    /// <summary>What is wrong, host by host: not reached, Nebula not running, WSL2's routing incomplete, an expired certificate.</summary>
    public static IReadOnlyList<StatusProblem> Problems(IReadOnlyList<HostStatus> rows)
    {
        var problems = new List<StatusProblem>();
        foreach (var r in rows.OrderBy(r => r.Host, NaturalOrder.Instance))
        {
            if (!r.Reachable)
            {
                problems.Add(new(r.Host, r.Problem ?? "cannot be reached", r.Fix ?? $"./build.sh --target=Doctor --host={r.Host} once it is on"));
                continue;
            }
            if (!r.Running)
                problems.Add(new(r.Host, $"nebula is not running: {r.Service}", $"./build.sh --target=Doctor --host={r.Host} names the cause; DeployHost --host={r.Host} installs it again"));
            if (r.Routing is not ("ok" or "-"))
                problems.Add(new(r.Host, $"routing for its WSL2: {r.Routing}", $"./build.sh --target=ConfigureRouting --host={r.Host}"));
            if (r.CertificateDaysLeft is <= 0)
                problems.Add(new(r.Host, "its certificate has expired", $"./build.sh --target=RenewCert --host={r.Host}, then AddHost --host={r.Host}"));
        }
        return problems;
    }

    /// <summary>The table: per peer its tunnel now and, after it, how long ago the last handshake was ("direct 198.18.0.12:4242 4m ago").</summary>
    public static string Table(IReadOnlyList<HostStatus> rows, IReadOnlyList<string> names) => Table(rows, names, DateTimeOffset.UtcNow);

    public static string Table(IReadOnlyList<HostStatus> rows, IReadOnlyList<string> names, DateTimeOffset now)
    {
        string Cell(HostStatus r, string peer) => peer == r.Host ? ""
            : r.Tunnels.GetValueOrDefault(peer, "-") + (r.LastHandshakes.TryGetValue(peer, out var t) ? " " + HandshakeLog.Ago(t, now) : "");
        var lines = new List<string> { $"  {"host",-12} {"ssh",-5} {"nebula",-14} {"service",-22} {"cert",-6} {"routing",-24} " + string.Join(" ", names.Select(n => $"{n,-34}")) };
        foreach (var r in rows.OrderBy(r => r.Host, NaturalOrder.Instance))
            lines.Add($"  {r.Host,-12} {(r.Reachable ? "ok" : "DOWN"),-5} {r.Nebula,-14} {Cut(r.Service, 22),-22} {(r.CertificateDaysLeft is { } d ? d + "d" : "-"),-6} {Cut(r.Routing, 24),-24} " +
                      string.Join(" ", names.Select(n => $"{Cell(r, n),-34}")) +
                      (r.Problem is null ? "" : $"\n      {r.Problem}"));
        return string.Join("\n", lines);
    }

    private static string Cut(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "~";
}
