using Flatnet.Workflows;
using System.Text.Json;
using Flatnet.Deploy;
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

/// <summary>
/// Target Status (read-only, any time): one row per host, from the live hosts and the inventory: reachable, the
/// Nebula it runs, its service or process, its certificate's days left, and per peer whether a tunnel is up, direct
/// or relayed (from Nebula's admin interface). Printed as a table and kept as artifacts/verify/status.json.
/// </summary>
public sealed class Status(FlatnetContext context)
{
    public string JsonPath => Path.Combine(context.Workspace.ArtifactsDirectory, "verify", "status.json");

    public IReadOnlyList<HostStatus> Read(bool json = false)
    {
        var plan = context.Plan;
        var hosts = plan.Deployable.ToList();
        // A managed lighthouse is a host here too (deployable), so it is listed once.
        var peers = hosts.Select(h => (h.Name, h.OverlayAddress)).Concat(plan.Lighthouses.Select(l => (l.Name, l.OverlayAddress))).DistinctBy(p => p.Name).ToList();
        var rows = hosts.AsParallel().AsOrdered().Select(h => Examine(h, peers)).ToList();
        var text = JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }) + "\n";
        context.ClaimArtifacts();
        SafeFiles.WriteAllText(JsonPath, text);
        if (json) context.Log.Info(text.TrimEnd());
        else context.Log.Info($"status ({Workspace.Relative(JsonPath)}), CA {CaDaysLeft()}:\n" + Table(rows, peers.Select(p => p.Name).ToList()));
        var report = MeshReport.Write(context, MeshPicture.FromStatus(plan, rows));
        if (!json) context.Log.Info($"the mesh at a glance: {Workspace.Relative(report)}");
        return rows;
    }

    private HostStatus Examine(Addressing.HostAddresses host, IReadOnlyList<(string Name, string Overlay)> peers)
    {
        var days = CertificateDaysLeft(host.Name);
        IHostConnection connection;
        try
        {
            connection = HostConnections.Open(host.Host);
        }
        catch (FlatnetException e)
        {
            return new HostStatus { Host = host.Name, Reachable = false, CertificateDaysLeft = days, Problem = e.Problem.Split('\n')[0] };
        }
        using (connection)
        {
            var model = context.Model(host);
            var (running, state) = HostOperations.NebulaState(model, connection);
            var tunnels = running && context.Admin is { } admin ? TunnelStates.Read(connection, admin).States ?? TunnelStates.Unknown : TunnelStates.Unknown;
            var handshakes = HandshakeLog.LastByPeer(HostOperations.HandshakeLines(model, connection));
            return new HostStatus
            {
                Host = host.Name, Reachable = true, CertificateDaysLeft = days,
                Nebula = HostOperations.InstalledNebula(model, connection)?.ToString() ?? "not installed",
                Running = running, Service = state, Routing = HostOperations.RoutingState(model, host.Host.WslCommand, connection),
                Tunnels = peers.Where(p => p.Name != host.Name).ToDictionary(p => p.Name, p => tunnels.Of(p.Overlay)),
                LastHandshakes = peers.Where(p => p.Name != host.Name && handshakes.ContainsKey(p.Overlay)).ToDictionary(p => p.Name, p => handshakes[p.Overlay]),
            };
        }
    }

    private string CaDaysLeft()
    {
        var ca = context.Ca.CrtPath;
        var rotation = Pki.CaRotationState.Load(context.Workspace.InventoryDirectory) is { Finished: null } r
            ? $"; RotateCa under way, phase {r.Phase} of 4 ({Pki.CaRotation.Phases[r.Phase - 1]}): run ./build.sh --target=RotateCa to go on" : "";
        return (File.Exists(ca) ? $"{context.NebulaCert.Print(ca).DaysLeft} days left" : "not here") + rotation;
    }

    private int? CertificateDaysLeft(string host)
    {
        var crt = Path.Combine(context.Workspace.PkiDirectory(host), "host.crt");
        return File.Exists(crt) ? context.NebulaCert.Print(crt).DaysLeft : null;
    }

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
