using Flatnet.Addressing;
using Flatnet.Verification;

namespace Flatnet.Workflows;

/// <summary>What a change reached: peers that run it now, and peers that could not be reached (with why).</summary>
public sealed record PeerRollout(IReadOnlyList<string> Updated, IReadOnlyList<string> AlreadyCurrent, IReadOnlyList<(string Host, string Why)> Pending)
{
    public int Total => Updated.Count + AlreadyCurrent.Count + Pending.Count;
    public int Reached => Updated.Count + AlreadyCurrent.Count;
}

/// <summary>
/// UpdatePeers: a new, changed or revoked host changes the others' configs (its block is their unsafe route, its
/// certificate their blocklist), so every other host is brought to the bundle built for it now. A peer counts as
/// current only when the manifest it reports as installed is the one built here (<see cref="InstalledBundle"/>).
/// </summary>
public sealed class UpdatePeersTask : HostTask
{
    public override string Name => "UpdatePeers";
    public override string Description => "Bring every other host to the bundle built for it now (a new block is their new unsafe route); hosts that already run it are left alone.";
    public override IReadOnlyList<string> Options => [.. base.Options, "manual-steps-done"];
    public override IReadOnlyList<string> DependsOn => ["ConfigureRouting"];

    public override void Run(FlatnetContext context, string host) =>
        Update(context, host, $"{host} is in the mesh", $"./build.sh --target=UpdatePeers --host={host}");

    /// <summary>
    /// Every other deployable host is re-packed and, unless it already runs that very bundle, redeployed. Peers that
    /// cannot be reached are listed as pending and the call fails, so re-running it finishes the job.
    /// </summary>
    public static PeerRollout Update(FlatnetContext context, string host, string change, string rerun)
    {
        var updated = new List<string>();
        var current = new List<string>();
        var pending = new List<(string, string)>();
        var confirmed = context.Arguments.Flag("manual-steps-done");
        foreach (var peer in context.Plan.Active.Where(p => p.Name != host))
        {
            GenerateCertTask.Generate(context, peer.Name);
            PackageBundleTask.Package(context, peer.Name);
            if (peer.Host.Deploy.Transport == Inventory.DeployTransport.None)
            {
                // Nothing reaches it but a person: its bundle is ready, and it counts once they say it is installed.
                if (confirmed && !InstalledBundle.IsConfirmedByHand(context.Workspace, peer.Name)) InstalledBundle.ConfirmByHand(context.Workspace, peer.Name);
                if (InstalledBundle.IsConfirmedByHand(context.Workspace, peer.Name))
                {
                    context.Log.Info($"{peer.Name}: installed by hand (confirmed)");
                    current.Add(peer.Name);
                }
                else pending.Add((peer.Name, $"install by hand: {Workspace.Relative(context.Workspace.BundlePath(peer.Name))}"));
                continue;
            }
            try
            {
                var connection = context.Connection(peer);
                if (RunsBuiltBundle(context, peer, connection))
                {
                    current.Add(peer.Name);
                    continue;
                }
                DeployHostTask.Deploy(context, peer, connection);
                ConfigureRoutingTask.ConfigureRouting(context, peer, connection);
                updated.Add(peer.Name);
            }
            catch (FlatnetException e)
            {
                // Unreachable: it will be reached later. Anything else failed on (or for) the host and needs its cause fixed first.
                var why = (e is HostUnreachable ? "" : "failed: ") + e.Problem.Split('\n')[0];
                pending.Add((peer.Name, why));
                context.Log.Warn($"{peer.Name}: not updated: {e.Problem.Split('\n')[0]}");
            }
        }
        var rollout = new PeerRollout(updated, current, pending);
        context.Log.Info(rollout.Updated.Count == 0 && rollout.Pending.Count == 0
            ? $"peers of {host}: all up to date"
            : $"peers of {host}: updated {(updated.Count == 0 ? "none" : string.Join(", ", updated))}" +
              (current.Count == 0 ? "" : $"; already current {string.Join(", ", current)}"));
        if (pending.Count == 0) return rollout;
        var fixes = new List<string>();
        if (pending.Any(p => p.Item2.StartsWith("failed: ", StringComparison.Ordinal)))
            fixes.Add($"fix what failed (its output is above), then re-run {rerun}: only the pending peers are deployed again");
        if (pending.Any(p => p.Item2.StartsWith("install by hand: ", StringComparison.Ordinal)))
            fixes.Add($"install each named zip on its host (its install script, as its README says), then re-run {rerun} --manual-steps-done");
        if (pending.Any(p => !p.Item2.StartsWith("failed: ", StringComparison.Ordinal) && !p.Item2.StartsWith("install by hand: ", StringComparison.Ordinal)))
            fixes.Add($"re-run {rerun} once the unreachable ones are reachable: only the pending peers are deployed again");
        throw new PendingHosts($"{change}; rolled out to {rollout.Reached} of {rollout.Total} peers; pending: " +
                               string.Join(", ", pending.Select(p => $"{p.Item1} ({p.Item2})")), fixes, pending);
    }

    /// <summary>Whether the host reports, as installed and routed, the manifest of the bundle built for it here.</summary>
    public static bool RunsBuiltBundle(FlatnetContext context, HostAddresses host, Transport.IHostConnection connection) =>
        InstalledBundle.IsCurrent(context.Workspace.BundleDirectory(host.Name), context.Model(host), context.Platform(host), connection);
}
