using Flatnet.Transport;
using System.Text.Json;
using Flatnet.Pki;

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
}

/// <summary>Status's table for a person: one row per host, per peer its tunnel now and how long ago its last handshake was.</summary>
public static class StatusTable
{
    /// <summary>The table: per peer its tunnel now and, after it, how long ago the last handshake was ("direct 198.18.0.12:4242 4m ago").</summary>
    public static string Table(IReadOnlyList<HostStatus> rows, IReadOnlyList<string> names) => Table(rows, names, DateTimeOffset.UtcNow);

    public static string Table(IReadOnlyList<HostStatus> rows, IReadOnlyList<string> names, DateTimeOffset now)
    {
        string Cell(HostStatus r, string peer) => peer == r.Host ? ""
            : r.Tunnels.GetValueOrDefault(peer, "-") + (r.LastHandshakes.TryGetValue(peer, out var t) ? " " + HandshakeLog.Ago(t, now) : "");
        var lines = new List<string> { $"  {"host",-12} {"ssh",-5} {"nebula",-14} {"service",-22} {"cert",-6} {"routing",-24} " + string.Join(" ", names.Select(n => $"{n,-34}")) };
        foreach (var r in rows)
            lines.Add($"  {r.Host,-12} {(r.Reachable ? "ok" : "DOWN"),-5} {r.Nebula,-14} {Cut(r.Service, 22),-22} {(r.CertificateDaysLeft is { } d ? d + "d" : "-"),-6} {Cut(r.Routing, 24),-24} " +
                      string.Join(" ", names.Select(n => $"{Cell(r, n),-34}")) +
                      (r.Problem is null ? "" : $"\n      {r.Problem}"));
        return string.Join("\n", lines);
    }

    private static string Cut(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "~";
}
