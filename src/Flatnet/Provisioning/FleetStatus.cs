using Flatnet.Pki;
using Flatnet.Transport;
using Flatnet.Verification;
using Flatnet.Output;
using Flatnet.Processes;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// Status (read-only, any time): one row per host, from the live hosts and the inventory: reachable, the
/// Nebula it runs, its service or process, its certificate's days left, and per peer whether a tunnel is up, direct
/// or relayed (from Nebula's admin interface). Printed as a table and kept as artifacts/verify/status.json.
/// </summary>
public static class FleetStatus
{
    /// <summary>Status's verdict: every unhealthy host named with its first problem, and each fix once.</summary>
    public static void RequireHealthy(IReadOnlyList<HostStatus> rows)
    {
        var problems = StatusTable.Problems(rows);
        if (problems.Count == 0) return;
        // One line: the table above (or --json's document) has each problem with its fix; they are not said again.
        var hosts = problems.Select(p => p.Host).Distinct().ToList();
        var which = hosts.Count == 1 ? $"{hosts[0]}: {TextWidth.Cut(problems[0].Problem.Split('\n')[0], 80)}" : TextWidth.Some(hosts);
        throw new FlatnetException($"{hosts.Count} of {rows.Count} host(s) unhealthy: {which}; each problem and its fix is above");
    }

    public static string JsonPath(FlatnetContext context) => Path.Combine(context.Workspace.ArtifactsDirectory, "verify", "status.json");

    /// <summary>
    /// Reads every host (or the one <paramref name="only"/> names) and prints what it found; the rows, healthy or not
    /// (<see cref="RequireHealthy"/> judges them).
    /// </summary>
    public static IReadOnlyList<HostStatus> Read(FlatnetContext context, bool json = false, bool wide = false, string? only = null) => new Reading(context).Read(json, wide, only);

    /// <summary>One look at the mesh, with the context it was given.</summary>
    private sealed class Reading(FlatnetContext context)
    {
        public IReadOnlyList<HostStatus> Read(bool json, bool wide, string? only)
        {
            var plan = context.Plan;
            var metrics = Metrics.Target(context); // checked before any host is read
            if (metrics is not null && only is not null)
                throw new UsageError("--metrics describes the whole mesh, and --host reads one host", "leave one of them out", "--metrics");
            // A name not in the inventory gets the inventory's own "no host named" with the nearest name.
            if (only is not null && plan.Host(only) is var named && !plan.Deployable.Contains(named))
                throw new UsageError($"{only} is not one Status reads: revoked, awaiting its join reply, or installed by hand",
                    "leave --host out to read every host (Status names those it does not read)", "--host");
            var hosts = plan.Deployable.Where(h => only is null || h.Name == only).ToList();
            // A managed lighthouse is a host here too (deployable), so it is listed once.
            var peers = plan.Deployable.Select(h => (h.Name, h.OverlayAddress)).Concat(plan.Lighthouses.Select(l => (l.Name, l.OverlayAddress))).DistinctBy(p => p.Name).ToList();
            var rows = AtOnce.Each(hosts, h => Examine(h, peers)).OrderBy(r => r.Host, NaturalOrder.Instance).ToList();
            var problems = StatusTable.Problems(rows);
            var (caDays, rotation, caNotAfter) = CaDaysLeft(); // nebula-cert print of the CA, once
            var caShown = (caDays is { } d ? $"{d} days left" : "not here") + (rotation is null ? "" : $"; {rotation}");
            // Hosts flatnet does not reach are named, never silently left out: installed by hand, or awaiting their join reply.
            var byHand = only is not null ? [] : plan.Active.Where(h => h.Host.Deploy.Transport == Inventory.DeployTransport.None).Select(h => h.Name).Order(NaturalOrder.Instance).ToList();
            var awaiting = only is not null ? [] : plan.Hosts.Where(h => h.Host.Deploy.AwaitingJoin).Select(h => h.Name).Order(NaturalOrder.Instance).ToList();
            var now = DateTimeOffset.UtcNow;
            var expiring = StatusTable.Expiring(rows, caDays);
            var text = JsonOutput.Document(new
            {
                ca = new { days_left = caDays, rotation },
                healthy = rows.Count - StatusTable.Unhealthy(problems), hosts = StatusTable.JsonHosts(rows, now), problems, expiring,
                installed_by_hand = byHand, awaiting_join = awaiting,
            }, now);
            // status.json and report.html describe the whole mesh: a look at one host (--host) leaves them as they are.
            if (only is null)
            {
                MeshOutputs.RequireOurs(context, JsonPath(context), "status.prom", metrics);
                context.ClaimArtifacts();
                SafeFiles.WriteAllText(JsonPath(context), text, shape: JsonOutput.Shape);
                Metrics.Write(context, "status.prom", MeshMetrics.OfStatus(rows, caNotAfter, now), metrics);
            }
            if (json) context.PrintDocument(text);
            // What expires soon heads the report: the mesh works today, and the command keeps it so.
            else context.Log.Info($"status ({(only is null ? Workspace.Relative(JsonPath(context)) : $"{only} only; status.json and report.html keep the whole mesh")}), CA {caShown}:\n" +
                                  string.Concat(expiring.Select(e => StatusTable.Wrap($"  renew soon: {e.Host}: {e.Problem}; fix: {e.Fix}", "      ") + "\n")) +
                                  (wide ? StatusTable.Wide(rows, peers.Select(p => p.Name).OrderBy(n => n, NaturalOrder.Instance).ToList(), now) : StatusTable.Summary(rows)) + Relayed(rows) + Unread(rows) +
                                  (byHand.Count == 0 ? "" : "\n" + StatusTable.Wrap($"  not read: {string.Join(", ", byHand)}: installed by hand (transport: none); run scripts/flatnet-doctor there", "    ")) +
                                  (awaiting.Count == 0 ? "" : "\n" + StatusTable.Wrap($"  pending: {string.Join(", ", awaiting)}: awaiting the join reply (./build.sh --target=Join --host=NAME --reply=...)", "    ")));
            if (only is not null) return rows;
            var report = MeshReport.Write(context.Workspace.ArtifactsDirectory, MeshPicture.FromStatus(plan, rows, caDays));
            if (!json) context.Log.Info($"the mesh at a glance: {Workspace.Relative(report)}");
            return rows;
        }

        private HostStatus Examine(Addressing.HostAddresses host, IReadOnlyList<(string Name, string Overlay)> peers)
        {
            var certificate = Certificate(host.Name);
            var (days, notAfter) = (certificate?.DaysLeft, certificate?.NotAfter);
            IHostConnection connection;
            try
            {
                connection = context.Connection(host);
            }
            catch (FlatnetException e)
            {
                return new HostStatus { Host = host.Name, Reachable = false, CertificateDaysLeft = days, CertificateNotAfter = notAfter, Problem = e.Problem.Split('\n')[0], Fix = e.Fix };
            }
            // the run's connection: the run closes it
            {
                var model = context.Model(host);
                // One command asks the host everything; its admin interface is read meanwhile.
                var reading = Task.Run(() => context.Platform(host).Read(model, connection));
                var (tunnels, unread) = context.Admin is { } admin ? TunnelStates.Read(connection, admin) : (TunnelStates.Unknown, "");
                var read = reading.GetAwaiter().GetResult();
                // A Nebula that does not run has no tunnels: its silent admin interface says nothing more.
                if (!read.Running) (tunnels, unread) = (TunnelStates.Unknown, "");
                var handshakes = HandshakeLog.LastByPeer(read.HandshakeLines);
                return new HostStatus
                {
                    Host = host.Name, Reachable = true, CertificateDaysLeft = days, CertificateNotAfter = notAfter,
                    Nebula = read.Nebula?.ToString() ?? "not installed",
                    Running = read.Running, Service = read.State, Routing = read.Routing,
                    Tunnels = peers.Where(p => p.Name != host.Name).ToDictionary(p => p.Name, p => tunnels?.Of(p.Overlay) ?? TunnelStates.Unread),
                    TunnelsUnread = tunnels is null ? unread : null,
                    LastHandshakes = peers.Where(p => p.Name != host.Name && handshakes.ContainsKey(p.Overlay)).ToDictionary(p => p.Name, p => handshakes[p.Overlay]),
                };
            }
        }

        /// <summary>Pairs of hosts (not lighthouses) that are relayed now: each may have a direct path VerifyPing can give it.</summary>
        private string Relayed(IReadOnlyList<HostStatus> rows)
        {
            var lighthouses = context.Plan.Lighthouses.Select(l => l.Name).ToHashSet();
            var pairs = rows.SelectMany(r => r.Tunnels.Where(t => t.Value.StartsWith("relayed", StringComparison.Ordinal) && !lighthouses.Contains(t.Key))
                    .Select(t => string.CompareOrdinal(r.Host, t.Key) < 0 ? $"{r.Host} - {t.Key}" : $"{t.Key} - {r.Host}"))
                .Distinct().ToList();
            return pairs.Count == 0 ? ""
                : "\n" + StatusTable.Wrap($"  note: {string.Join(", ", pairs)} relayed now: every byte crosses the relay. VerifyPing asks relayed tunnels to handshake again, " +
                  "and they end direct where the hosts can reach each other; it names those that cannot.", "    ");
        }

        /// <summary>Hosts whose tunnels could not be read: said, never shown as idle.</summary>
        private static string Unread(IReadOnlyList<HostStatus> rows) => string.Concat(rows.Where(r => r.Up && r.TunnelsUnread is not null)
            .Select(r => "\n" + StatusTable.Wrap($"  note: {r.Host}: its tunnels could not be read, so they show as unknown: {r.TunnelsUnread}", "    ")));

        /// <summary>The CA's days left (null: no CA here), and what a rotation under way still needs.</summary>
        private (int? Days, string? Rotation, DateTimeOffset? NotAfter) CaDaysLeft()
        {
            var ca = context.Ca.CrtPath;
            var rotation = context.Ca.Rotation is { Finished: null } r
                ? $"RotateCa under way, phase {r.Phase} of 4 ({CaRotationState.Phases[r.Phase - 1]}): run ./build.sh --target=RotateCa to go on" : null;
            var info = File.Exists(ca) ? context.NebulaCert.Print(ca) : null;
            return (info?.DaysLeft, rotation, info?.NotAfter);
        }

        /// <summary>The host's certificate as signed here: its days left and when it expires (null: none, or not readable).</summary>
        private Tools.NebulaCertInfo? Certificate(string host)
        {
            try
            {
                var crt = Path.Combine(HostCertificates.OwnPkiDirectory(context.Workspace, host), "host.crt");
                return File.Exists(crt) ? context.NebulaCert.Print(crt) : null;
            }
            catch (FlatnetException e)
            {
                context.Log.Warn($"{host}: its certificate's days are not known: {e.Problem}");
                return null;
            }
        }
    }
}
