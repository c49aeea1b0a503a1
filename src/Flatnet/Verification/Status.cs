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
    /// <summary>When its certificate expires (null: none signed here), for the metrics' seconds to expiry.</summary>
    public DateTimeOffset? CertificateNotAfter { get; init; }
    /// <summary>The host's routing for its WSL2 (the routing script's own check): "ok", what is missing, or "-" (no WSL2, or not reached).</summary>
    public string Routing { get; init; } = "-";
    /// <summary>Peer (host or lighthouse) name -> "direct ADDR:PORT", "relayed via RELAY", or "-" (no tunnel now; Nebula makes them on demand).</summary>
    public IReadOnlyDictionary<string, string> Tunnels { get; init; } = new Dictionary<string, string>();
    /// <summary>Why its tunnels could not be read (its Nebula's admin interface did not answer); null when they were. Its tunnels then say "unknown".</summary>
    public string? TunnelsUnread { get; init; }
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
/// problem with its fix; with --wide, one block per host with a line per peer (as `netbird status -d`). Every line fits
/// <see cref="Columns"/>: a long problem or fix wraps, a long name or state is cut (the problem line says it whole).
/// </summary>
public static class StatusTable
{
    /// <summary>The widest line Status prints, in every mode.</summary>
    public const int Columns = TextWidth.Columns;

    /// <summary>One line per host in natural order, then the problems (each with its fix) and the verdict.</summary>
    public static string Summary(IReadOnlyList<HostStatus> rows)
    {
        var sorted = Sorted(rows);
        var notUp = Tunnel.NotUp(rows);
        var width = Math.Clamp(sorted.Select(r => r.Host.Length).DefaultIfEmpty(0).Max(), 4, 24);
        var lines = new List<string> { $"  {"host".PadRight(width)} {"ssh",-4} {"nebula",-7} {"service",-20} {"cert",-5} {"routing",-12} peers" };
        foreach (var r in sorted)
            lines.Add($"  {Cut(r.Host, width).PadRight(width)} {(r.Reachable ? "ok" : "DOWN"),-4} {Cut(Version(r), 7),-7} {Cut(Gist(r.Service), 20),-20} " +
                      $"{Days(r),-5} {Cut(Gist(r.Routing), 12),-12} {(r.Up ? Peers(r, notUp) : "-")}");
        lines.AddRange(Verdict(rows));
        return string.Join("\n", lines);
    }

    /// <summary>
    /// A state in a word or two, its reason left to the problem line below: "not running" for "not running (pid file
    /// stale: ...)", "not installed" for Windows' "the nebula service is not installed", "missing" for "missing: route ...".
    /// </summary>
    private static string Gist(string state)
    {
        var gist = state.Split(" (")[0].Split(": ")[0];
        return System.Text.RegularExpressions.Regex.Match(gist, @"^the \S+ service is (.+)\z") is { Success: true } m ? m.Groups[1].Value : gist;
    }

    /// <summary>
    /// --wide: one block per host, its state on the first line and then a line per peer: the tunnel now (direct
    /// ADDR:PORT, relayed via RELAY, idle, down) and how long ago the last handshake was; then the verdict.
    /// </summary>
    public static string Wide(IReadOnlyList<HostStatus> rows, IReadOnlyList<string> names) => Wide(rows, names, DateTimeOffset.UtcNow);

    public static string Wide(IReadOnlyList<HostStatus> rows, IReadOnlyList<string> names, DateTimeOffset now)
    {
        var lines = new List<string>();
        var notUp = Tunnel.NotUp(rows);
        var width = Math.Clamp(names.Select(n => n.Length).DefaultIfEmpty(0).Max(), 4, 24);
        foreach (var r in Sorted(rows))
        {
            lines.Add(Cut($"  {r.Host}: ssh {(r.Reachable ? "ok" : "DOWN")}, nebula {Version(r)}, {r.Service}, cert {Days(r)}, routing {r.Routing}", Columns));
            if (!r.Up)
            {
                lines.Add($"      no tunnels read: {(r.Reachable ? "its Nebula is not running" : "not reached")}");
                continue;
            }
            foreach (var peer in names.Where(n => n != r.Host))
            {
                var t = Tunnel.Of(r, peer, notUp);
                var handshake = r.LastHandshakes.TryGetValue(peer, out var at) ? "handshake " + HandshakeLog.Ago(at, now) : "";
                lines.Add($"      {Cut(peer, width).PadRight(width)} {Cut(t.Shown, 44),-44} {handshake}".TrimEnd());
            }
        }
        lines.AddRange(Verdict(rows));
        return string.Join("\n", lines);
    }

    /// <summary>A host's peers summed up: "3 direct, 1 relayed, 1 idle, 0 down" (idle: no tunnel now, Nebula makes one on demand; down: the peer's Nebula is not up).</summary>
    public static string Peers(HostStatus row, IReadOnlySet<string> notUp)
    {
        var kinds = row.Tunnels.Keys.Select(peer => Tunnel.Of(row, peer, notUp).Kind).ToList();
        int Count(TunnelKind kind) => kinds.Count(k => k == kind);
        return row.TunnelsUnread is not null ? "tunnels unknown (not read)"
            : $"{Count(TunnelKind.Direct)} direct, {Count(TunnelKind.Relayed)} relayed, {Count(TunnelKind.Idle)} idle, {Count(TunnelKind.Down)} down";
    }

    /// <summary>How many hosts the problems are about.</summary>
    public static int Unhealthy(IReadOnlyList<StatusProblem> problems) => problems.Select(p => p.Host).Distinct().Count();

    /// <summary>What is wrong, host by host: not reached, Nebula not running, WSL2's routing incomplete, an expired certificate.</summary>
    public static IReadOnlyList<StatusProblem> Problems(IReadOnlyList<HostStatus> rows)
    {
        var problems = new List<StatusProblem>();
        foreach (var r in Sorted(rows))
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
                problems.Add(new(r.Host, "its certificate has expired", "./build.sh --target=RenewCerts (re-signs it and rolls it out)"));
        }
        return problems;
    }

    /// <summary>How many days before expiry Status and report.html warn (RenewCerts' default too).</summary>
    public const int ExpiryWarningDays = 30;

    /// <summary>
    /// Certificates to renew before they expire (within <see cref="ExpiryWarningDays"/>, not yet expired): each host's,
    /// and the CA's (<paramref name="caDaysLeft"/>). Warnings with their command, not failures: the mesh works today.
    /// </summary>
    public static IReadOnlyList<StatusProblem> Expiring(IReadOnlyList<HostStatus> rows, int? caDaysLeft)
    {
        var soon = new List<StatusProblem>();
        if (caDaysLeft is > 0 and < ExpiryWarningDays)
            soon.Add(new("the CA", $"expires in {caDaysLeft} day(s), and every host certificate with it", "./build.sh --target=RotateCa (a new CA without an outage)"));
        foreach (var r in Sorted(rows).Where(r => r.CertificateDaysLeft is > 0 and < ExpiryWarningDays))
            soon.Add(new(r.Host, $"its certificate expires in {r.CertificateDaysLeft} day(s)", $"./build.sh --target=RenewCerts --within={ExpiryWarningDays}"));
        return soon;
    }

    /// <summary>Status's JSON: numbers as numbers, each tunnel an object (kind, endpoint, via, seconds since its last handshake).</summary>
    public static IReadOnlyList<object> JsonHosts(IReadOnlyList<HostStatus> rows, DateTimeOffset now) => JsonHosts(rows, Tunnel.NotUp(rows), now);

    private static IReadOnlyList<object> JsonHosts(IReadOnlyList<HostStatus> rows, IReadOnlySet<string> notUp, DateTimeOffset now) =>
        Sorted(rows).Select(r => (object)new
        {
            host = r.Host, reachable = r.Reachable, running = r.Running,
            nebula = r.Nebula == "-" ? null : r.Nebula, service = r.Service == "-" ? null : r.Service,
            certificate_days_left = r.CertificateDaysLeft, routing = r.Routing == "-" ? null : r.Routing,
            tunnels = r.Tunnels.Keys.Order(NaturalOrder.Instance).Select(peer => Tunnel.Of(r, peer, notUp) is var t ? new
            {
                peer, kind = t.Kind.ToString().ToLowerInvariant(), endpoint = t.Endpoint, via = t.Via,
                seconds_since_handshake = r.LastHandshakes.TryGetValue(peer, out var at) ? (long?)Math.Max(0, (long)(now - at).TotalSeconds) : null,
            } : null).ToList(),
            tunnels_unread = r.Up ? r.TunnelsUnread : null,
            problem = r.Problem, fix = r.Fix,
        }).ToList();

    /// <summary>The problems, each wrapped to <see cref="Columns"/>, and the verdict's line, which always ends the table.</summary>
    private static IEnumerable<string> Verdict(IReadOnlyList<HostStatus> rows)
    {
        var problems = Problems(rows);
        foreach (var p in problems)
        {
            yield return Wrap($"  {p.Host}: {p.Problem}", "      ");
            yield return Wrap($"      fix: {p.Fix}", "           ");
        }
        var healthy = rows.Count - Unhealthy(problems);
        yield return rows.Count == 0 ? "no host read from here: nothing to call healthy or not (the hosts flatnet does not reach are named below)"
            : $"{healthy} of {rows.Count} host(s) healthy" + (problems.Count == 0 ? "" : $"; {problems.Count} problem(s) above");
    }

    private static List<HostStatus> Sorted(IReadOnlyList<HostStatus> rows) => rows.OrderBy(r => r.Host, NaturalOrder.Instance).ToList();

    private static string Version(HostStatus r) => r.Nebula == "not installed" ? "none" : r.Nebula;

    private static string Days(HostStatus r) => r.CertificateDaysLeft is { } d ? d + "d" : "-";

    private static string Cut(string s, int width) => TextWidth.Cut(s, width);

    public static string Wrap(string text, string indent) => TextWidth.Wrap(text, indent, Columns);
}

/// <summary>What a tunnel is now, as a host's Nebula says: direct, relayed, idle (none now, made on demand), down (the peer's Nebula is not up), or unknown (the host's Nebula did not say).</summary>
public enum TunnelKind { Direct, Relayed, Idle, Down, Unknown }

/// <summary>One host's tunnel to one peer: its kind, the peer's address it goes to (direct), or the relay it crosses.</summary>
public sealed record Tunnel(TunnelKind Kind, string? Endpoint, string? Via)
{
    /// <summary>As a person reads it: "direct 198.18.0.12:4242", "relayed via lighthouse", "idle", "down".</summary>
    public string Shown => Kind switch
    {
        TunnelKind.Direct => $"direct {Endpoint}",
        TunnelKind.Relayed => $"relayed via {Via}",
        TunnelKind.Idle => "idle (none now; made on demand)",
        TunnelKind.Unknown => "unknown (its admin interface did not answer)",
        _ => "down (its Nebula is not up)",
    };

    /// <summary>
    /// <paramref name="row"/>'s tunnel to <paramref name="peer"/>, from its words ("direct ADDR:PORT", "relayed via
    /// RELAY", "-") and whether the peer is among the hosts whose Nebula is not up (<see cref="NotUp"/>, made once).
    /// </summary>
    public static Tunnel Of(HostStatus row, string peer, IReadOnlySet<string> notUp)
    {
        var said = row.Tunnels.GetValueOrDefault(peer, "-");
        if (said.StartsWith("direct ", StringComparison.Ordinal)) return new(TunnelKind.Direct, said["direct ".Length..], null);
        if (said.StartsWith("relayed via ", StringComparison.Ordinal)) return new(TunnelKind.Relayed, null, said["relayed via ".Length..]);
        if (row.TunnelsUnread is not null) return new(TunnelKind.Unknown, null, null);
        return notUp.Contains(peer) ? new(TunnelKind.Down, null, null) : new(TunnelKind.Idle, null, null);
    }

    /// <summary>The hosts read whose Nebula is not up (a search of the rows for every peer made Status cubic in the hosts).</summary>
    public static IReadOnlySet<string> NotUp(IReadOnlyList<HostStatus> rows) => rows.Where(r => !r.Up).Select(r => r.Host).ToHashSet();
}
