using System.Text;
using Flatnet.Output;

namespace Flatnet.Verification;

/// <summary>One ping: from a host or its WSL2, to another host's Nebula IP or another WSL2's stable address.</summary>
public sealed record PingResult(string From, string To, string Target, bool Ok, double? RttMs, string Tunnel, string Detail);

/// <summary>One name of the mesh as one host or WSL2 resolves it: the address it should give, and the one it gave ("" for none).</summary>
public sealed record NameCheck(string From, string Name, string Expected, string Resolved)
{
    public bool Ok => Resolved == Expected;
}

/// <summary>What VerifyPing found of one host besides its pings: whether its Nebula runs, and which lighthouses it cannot reach.</summary>
public sealed record HostCheck(string Host, bool Running, string State, IReadOnlyList<string> LighthousesUnreached);

/// <summary>
/// The proof that the flat network works: every host to every other host's Nebula IP, every WSL2 to every other
/// host's Nebula IP (the spec's checks), and every WSL2 to every other WSL2 (what Stage 3 needs).
/// </summary>
public sealed record PingMatrix(IReadOnlyList<PingResult> Results)
{
    public IReadOnlyList<PingResult> Failures => Results.Where(r => !r.Ok).ToList();

    /// <summary>The mesh's names as each host and WSL2 checked resolves them (none when names are off).</summary>
    public IReadOnlyList<NameCheck> Names { get; init; } = [];

    public IReadOnlyList<NameCheck> NameFailures => Names.Where(n => !n.Ok).ToList();

    /// <summary>
    /// The host pairs (not their WSL2s) whose answered pings went through a relay (through the one at
    /// <paramref name="relay"/>, a Nebula IP, when given), each once, as "a - b".
    /// </summary>
    public static IReadOnlyList<string> RelayedPairs(IEnumerable<PingResult> results, string? relay = null) =>
        results.Where(r => r.Ok && !r.From.Contains('/') && !r.To.Contains('/')
                           && (relay is null ? r.Tunnel.StartsWith("relayed", StringComparison.Ordinal) : r.Tunnel == $"relayed via {relay}"))
            .Select(r => string.CompareOrdinal(r.From, r.To) < 0 ? $"{r.From} - {r.To}" : $"{r.To} - {r.From}")
            .Distinct().ToList();

    /// <summary>What the live checks found wrong (a Nebula that is not running, a lighthouse nobody reaches), each with its fix.</summary>
    public IReadOnlyList<string> Diagnoses { get; init; } = [];

    /// <summary>What works but costs something (pairs relayed through a lighthouse), each with what would change it; never a failure.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The diagnoses, then the notes marked as such: what the table and a failure's message end with.</summary>
    public IEnumerable<string> Findings => Diagnoses.Concat(Notes.Select(n => "note: " + n));

    /// <summary>CheckLighthouse: per lighthouse, what the hosts' side proved of it (reached, relays, refuses the revoked).</summary>
    public IReadOnlyList<string> Lighthouses { get; init; } = [];

    /// <summary>Per host: its Nebula's state and the lighthouses it does not reach (what the report draws besides the pings).</summary>
    public IReadOnlyList<HostCheck> Hosts { get; init; } = [];

    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"  {"from",-16} {"to",-16} {"target",-14} {"result",-7} {"rtt",9}  tunnel");
        foreach (var r in Results)
            sb.AppendLine($"  {r.From,-16} {r.To,-16} {r.Target,-14} {(r.Ok ? "ok" : "FAIL"),-7} {(r.RttMs is { } ms ? $"{ms:0.000} ms" : "-"),9}  {r.Tunnel}");
        foreach (var l in Lighthouses) sb.AppendLine("  " + l);
        sb.Append($"  {Results.Count(r => r.Ok)} of {Results.Count} pairs reach each other");
        if (Names.Count > 0) sb.Append($"\n  names: {Names.Count(n => n.Ok)} of {Names.Count} resolve");
        foreach (var d in Findings) sb.Append("\n  " + d.Replace("\n", "\n  "));
        return sb.ToString();
    }

    public string ToJson() => JsonOutput.Document(new
    {
        passed = Results.Count(r => r.Ok),
        failed = Results.Count(r => !r.Ok),
        results = Results.Select(r => new { from = r.From, to = r.To, target = r.Target, ok = r.Ok, rtt_ms = r.RttMs, tunnel = r.Tunnel, detail = r.Detail }),
        names = Names.Select(n => new { from = n.From, name = n.Name, expected = n.Expected, resolved = n.Resolved.Length == 0 ? null : n.Resolved, ok = n.Ok }),
        diagnoses = Diagnoses,
        notes = Notes,
        lighthouses = Lighthouses,
        hosts = Hosts.Select(h => new { host = h.Host, running = h.Running, state = h.State, lighthouses_unreached = h.LighthousesUnreached }),
    });
}
