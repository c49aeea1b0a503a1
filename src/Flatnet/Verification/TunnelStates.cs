using Flatnet.Transport;
using Flatnet.Pki;
using System.Text.Json;
using Flatnet.Output;

namespace Flatnet.Verification;

/// <summary>
/// Live tunnels of one host, from its Nebula's admin interface: peer Nebula IP -> "direct ADDR:PORT" or
/// "relayed via RELAY". Read from the running daemon, not from log history, so a tunnel that is gone is gone.
/// </summary>
public sealed record TunnelStates(IReadOnlyDictionary<string, string> ByPeer)
{
    public static readonly TunnelStates Unknown = new(new Dictionary<string, string>());

    public string Of(string peerOverlayIp) => ByPeer.GetValueOrDefault(peerOverlayIp, "-");

    /// <summary>What a tunnel is said to be when its host's admin interface did not answer: not "-", which says there is none.</summary>
    public const string Unread = "unknown";

    /// <summary>
    /// `list-hostmap -json`: an array of Nebula's ControlHostInfo (control.go). The peer is "vpnIp" up to 1.9 and
    /// "vpnAddrs" from 1.10; "currentRemote" is the UDP address in use (empty or null when relayed; an object up to 1.9);
    /// "currentRelaysToMe" names the relays a relayed tunnel goes through.
    /// </summary>
    public static TunnelStates FromHostmapJson(string json)
    {
        var states = new Dictionary<string, string>();
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) return new TunnelStates(states);
        foreach (var entry in doc.RootElement.EnumerateArray())
        {
            var peers = new List<string>();
            if (entry.TryGetProperty("vpnIp", out var ip) && ip.ValueKind == JsonValueKind.String) peers.Add(ip.GetString()!);
            if (entry.TryGetProperty("vpnAddrs", out var addrs) && addrs.ValueKind == JsonValueKind.Array)
                peers.AddRange(addrs.EnumerateArray().Select(a => a.GetString() ?? "").Where(a => a.Length > 0));
            var remote = entry.TryGetProperty("currentRemote", out var r) ? Remote(r) : "";
            var relays = entry.TryGetProperty("currentRelaysToMe", out var rel) && rel.ValueKind == JsonValueKind.Array
                ? rel.EnumerateArray().Select(x => x.GetString() ?? "").Where(x => x.Length > 0).ToList() : [];
            var state = IsAddress(remote) ? $"direct {remote}"
                : relays.Count > 0 ? $"relayed via {string.Join(",", relays)}"
                : "-";
            foreach (var peer in peers) states[Terminal.OneLine(peer)] = Terminal.OneLine(state);
        }
        return new TunnelStates(states);
    }

    /// <summary>"198.18.0.12:4242" (1.10+, netip.AddrPort) or {"ip":"198.18.0.12","port":4242} (up to 1.9, udp.Addr); null when none.</summary>
    private static string Remote(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() ?? "",
        JsonValueKind.Object when e.TryGetProperty("ip", out var ip) && e.TryGetProperty("port", out var port) => $"{ip.GetString()}:{port.GetInt32()}",
        _ => "",
    };

    private static bool IsAddress(string remote) => remote.Length > 0 && remote != "<nil>" && !remote.StartsWith("invalid", StringComparison.Ordinal)
                                                    && !remote.StartsWith("0.0.0.0:", StringComparison.Ordinal);

    /// <summary>
    /// Asks one host's Nebula for its hostmap (<see cref="NebulaAdmin"/>). Null when the interface cannot be reached
    /// (Nebula not running, an old config without it, a WinRM host), with why.
    /// </summary>
    public static (TunnelStates? States, string Why) Read(IHostConnection connection, AdminInterface admin)
    {
        var (outputs, why) = NebulaAdmin.Run(connection, admin, ["list-hostmap -json"]);
        // Once more after a pause: a loaded host (or build machine) can miss the admin interface's 5 s handshake.
        if (outputs is null && why.StartsWith("Nebula's admin interface did not answer", StringComparison.Ordinal))
        {
            Thread.Sleep(TimeSpan.FromSeconds(1));
            (outputs, why) = NebulaAdmin.Run(connection, admin, ["list-hostmap -json"]);
        }
        try
        {
            return outputs is null ? (null, why) : (FromHostmapJson(outputs[0]), "");
        }
        catch (JsonException e)
        {
            return (null, $"Nebula's admin interface said something other than its hostmap ({Output.JsonOutput.Why(e)})");
        }
    }
}
