using System.Text;
using System.Text.Json;

namespace Flatnet.Deploy;

/// <summary>One ping: from a host or its WSL2, to another host's Nebula IP or another WSL2's stable address.</summary>
public sealed record PingResult(string From, string To, string Target, bool Ok, double? RttMs, string Tunnel, string Detail);

/// <summary>
/// The proof that the flat network works: every host to every other host's Nebula IP, every WSL2 to every other
/// host's Nebula IP (the spec's checks), and every WSL2 to every other WSL2 (what Stage 3 needs).
/// </summary>
public sealed partial record PingMatrix(IReadOnlyList<PingResult> Results)
{
    public IReadOnlyList<PingResult> Failures => Results.Where(r => !r.Ok).ToList();

    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"  {"from",-16} {"to",-16} {"target",-14} {"result",-7} {"rtt",9}  tunnel");
        foreach (var r in Results)
            sb.AppendLine($"  {r.From,-16} {r.To,-16} {r.Target,-14} {(r.Ok ? "ok" : "FAIL"),-7} {(r.RttMs is { } ms ? $"{ms:0.000} ms" : "-"),9}  {r.Tunnel}");
        sb.Append($"  {Results.Count(r => r.Ok)} of {Results.Count} pairs reach each other");
        return sb.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(new
    {
        passed = Results.Count(r => r.Ok),
        failed = Results.Count(r => !r.Ok),
        results = Results.Select(r => new { from = r.From, to = r.To, target = r.Target, ok = r.Ok, rtt_ms = r.RttMs, tunnel = r.Tunnel, detail = r.Detail }),
    }, new JsonSerializerOptions { WriteIndented = true }) + "\n";

    /// <summary>
    /// How the latest tunnel to a peer came up, from the host's nebula log (text format, as Nebula 1.6.1 writes it):
    ///   initiator, direct:  msg="Handshake message received" ... udpAddr="198.18.0.12:4242" vpnIp=PEER
    ///   initiator, relayed: msg="Send handshake via relay" relay=10.100.0.1 vpnIp=PEER, then
    ///                       msg="Handshake message received" ... udpAddr="&lt;nil&gt;" vpnIp=PEER
    ///   responder:          msg="Handshake message sent" certName=... (udpAddr=IP:PORT | relay=10.100.0.1) vpnIp=PEER
    /// "Attempt to relay through hosts" alone means nothing: Nebula tries relays beside every direct handshake.
    /// There is no "Hole punch established" line, whatever the spec says.
    /// </summary>
    public static string TunnelFromLog(string log, string peerOverlayIp)
    {
        var lines = log.Split('\n').Where(l => l.Contains($" vpnIp={peerOverlayIp}")).ToList();
        var last = lines.LastOrDefault(l => l.Contains("msg=\"Handshake message received\"")
                                            || l.Contains("msg=\"Handshake message sent\"") && l.Contains(" certName="));
        if (last is null) return "-";
        var field = Field().Match(last);
        if (!field.Success) return "?";
        if (field.Groups[1].Value == "relay") return $"relayed via {field.Groups[2].Value}";
        if (field.Groups[2].Value != "<nil>") return $"direct {field.Groups[2].Value}";
        var via = lines.LastOrDefault(l => l.Contains("msg=\"Send handshake via relay\"")) is { } sent && Field().Match(sent) is { Success: true } m
            ? m.Groups[2].Value : "?";
        return $"relayed via {via}";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@" (relay|udpAddr)=""?([^"" ]+)""?")]
    private static partial System.Text.RegularExpressions.Regex Field();
}
