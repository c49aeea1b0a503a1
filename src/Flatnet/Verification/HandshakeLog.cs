using System.Globalization;
using System.Text.RegularExpressions;

namespace Flatnet.Verification;

/// <summary>
/// When each peer last completed a handshake with a host, from the "Handshake message received" lines of its Nebula
/// log: Nebula's admin interface keeps no such time, so this is the one place it is written down. Both forms Nebula
/// logs in: logrus up to 1.9 (`time="2026-11-26T00:20:50Z" level=info ... vpnIp=10.100.1.1`) and the text handler
/// from 1.10 (`time=2026-11-26T00:20:50.111Z level=INFO ... vpnAddrs=[10.100.0.1]`).
/// </summary>
public static partial class HandshakeLog
{
    public const string Marker = Platforms.HostPlatform.HandshakeMarker;

    /// <summary>Peer Nebula IP -> the newest handshake in the lines; lines of other kinds are ignored.</summary>
    public static IReadOnlyDictionary<string, DateTimeOffset> LastByPeer(string lines)
    {
        var last = new Dictionary<string, DateTimeOffset>();
        foreach (var line in lines.Split('\n'))
        {
            if (!line.Contains(Marker, StringComparison.Ordinal) || Time().Match(line) is not { Success: true } t
                || !DateTimeOffset.TryParse(t.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)) continue;
            var peers = VpnIp().Match(line) is { Success: true } ip ? [ip.Groups[1].Value]
                : VpnAddrs().Match(line) is { Success: true } addrs ? addrs.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            foreach (var peer in peers)
                if (!last.TryGetValue(peer, out var seen) || when > seen) last[peer] = when;
        }
        return last;
    }

    /// <summary>"12s", "4m", "3h", "2d": how long ago, as a table cell says it.</summary>
    public static string Ago(DateTimeOffset when, DateTimeOffset now)
    {
        var age = now - when;
        return age.TotalSeconds < 90 ? $"{Math.Max(0, (int)age.TotalSeconds)}s ago"
            : age.TotalMinutes < 90 ? $"{(int)age.TotalMinutes}m ago"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours}h ago"
            : $"{(int)age.TotalDays}d ago";
    }

    [GeneratedRegex(@"(?:^|\s)time=""?([^""\s]+)""?")]
    private static partial Regex Time();

    [GeneratedRegex(@"\svpnIp=""?([0-9a-fA-F.:]+)""?")]
    private static partial Regex VpnIp();

    [GeneratedRegex(@"\svpnAddrs=""?\[([^\]]*)\]")]
    private static partial Regex VpnAddrs();
}
