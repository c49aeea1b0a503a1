using System.Globalization;
using System.Text;

namespace Flatnet.Verification;

/// <summary>
/// The mesh in Prometheus' text exposition format, for an office's monitoring: a file node_exporter's textfile
/// collector reads (artifacts/verify/*.prom, or --metrics=FILE), written whole or not at all. Status gives the hosts
/// (reached, Nebula running, seconds to certificate and CA expiry, tunnels by kind); VerifyPing gives each ping (answered,
/// round trip). Names and units as Prometheus' conventions ask (snake_case, base units: seconds); `promtool check
/// metrics` passes on both (the lab test runs it).
/// </summary>
public static class MeshMetrics
{
    /// <summary>Status's metrics: one sample per host (and per tunnel kind), the CA's expiry, the verdict, when.</summary>
    public static string OfStatus(IReadOnlyList<HostStatus> rows, DateTimeOffset? caNotAfter, DateTimeOffset now)
    {
        var text = new Writer();
        text.Family("flatnet_host_reachable", "Whether the build machine reached the host over its transport (1) or not (0).", rows.Select(r => (Host(r.Host), Bool(r.Reachable))));
        text.Family("flatnet_nebula_running", "Whether the host's Nebula runs (1) or not (0); 0 for a host not reached.", rows.Select(r => (Host(r.Host), Bool(r.Running && r.Reachable))));
        text.Family("flatnet_certificate_expiry_seconds", "Seconds until the host's certificate expires (negative: expired).",
            rows.Where(r => r.CertificateNotAfter is not null).Select(r => (Host(r.Host), Seconds(r.CertificateNotAfter!.Value - now))));
        if (caNotAfter is { } ca) text.Family("flatnet_ca_expiry_seconds", "Seconds until the CA that signs every host expires.", [("", Seconds(ca - now))]);
        var notUp = Tunnel.NotUp(rows);
        text.Family("flatnet_tunnels", "The host's tunnels to its peers now, by kind (direct, relayed, idle, down; unknown when its admin interface did not answer), as its Nebula says.",
            rows.Where(r => r.Up).Select(r => (r.Host, Kinds: r.Tunnels.Keys.Select(p => Tunnel.Of(r, p, notUp).Kind).ToList()))
                .SelectMany(r => Enum.GetValues<TunnelKind>().Select(k =>
                    ($"host=\"{Escape(r.Host)}\",kind=\"{k.ToString().ToLowerInvariant()}\"", (double)r.Kinds.Count(x => x == k)))));
        text.Family("flatnet_hosts", "Hosts Status read.", [("", rows.Count)]);
        text.Family("flatnet_hosts_healthy", "Hosts with no problem (reached, Nebula running, routing complete, certificate valid).", [("", rows.Count - StatusTable.Unhealthy(StatusTable.Problems(rows)))]);
        text.Family("flatnet_status_timestamp_seconds", "When Status read the hosts (Unix time).", [("", now.ToUnixTimeSeconds())]);
        return text.ToString();
    }

    /// <summary>VerifyPing's metrics: each pair's ping, answered or not, and its round trip.</summary>
    public static string OfPings(PingMatrix matrix, DateTimeOffset now)
    {
        var text = new Writer();
        static string Pair(PingResult r) => $"from=\"{Escape(r.From)}\",to=\"{Escape(r.To)}\",target=\"{Escape(r.Target)}\"";
        text.Family("flatnet_ping_success", "Whether the ping from one end to the other was answered (1) or lost (0).", matrix.Results.Select(r => (Pair(r), Bool(r.Ok))));
        text.Family("flatnet_ping_rtt_seconds", "The answered ping's round trip.", matrix.Results.Where(r => r.Ok && r.RttMs is not null).Select(r => (Pair(r), r.RttMs!.Value / 1000)));
        if (matrix.Names.Count > 0)
            text.Family("flatnet_name_resolves", "Whether a host or WSL2 resolves a name of the mesh to its planned address (1) or not (0).",
                matrix.Names.Select(n => ($"from=\"{Escape(n.From)}\",name=\"{Escape(n.Name)}\"", Bool(n.Ok))));
        text.Family("flatnet_ping_timestamp_seconds", "When VerifyPing pinged (Unix time).", [("", now.ToUnixTimeSeconds())]);
        return text.ToString();
    }

    private static string Host(string host) => $"host=\"{Escape(host)}\"";

    private static double Bool(bool b) => b ? 1 : 0;

    private static double Seconds(TimeSpan t) => Math.Round(t.TotalSeconds);

    /// <summary>A label value as the format escapes it: backslash, double quote and line feed.</summary>
    public static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>The format's lines: # HELP and # TYPE (every family here is a gauge), then a sample per line.</summary>
    private sealed class Writer
    {
        private readonly StringBuilder _text = new();

        public void Family(string name, string help, IEnumerable<(string Labels, double Value)> samples)
        {
            var list = samples.ToList();
            if (list.Count == 0) return;
            _text.Append($"# HELP {name} {help}\n# TYPE {name} gauge\n");
            foreach (var (labels, value) in list)
                _text.Append(name).Append(labels.Length == 0 ? "" : "{" + labels + "}").Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        public override string ToString() => _text.ToString();
    }
}
