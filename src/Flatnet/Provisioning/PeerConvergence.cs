using Flatnet.Verification;

namespace Flatnet.Provisioning;

/// <summary>Why a peer did not get the change yet, and so what finishes it.</summary>
public enum PendingReason
{
    /// <summary>It could not be reached: a re-run once it is reachable.</summary>
    Unreachable,

    /// <summary>Something failed on (or for) it: its cause fixed first, then a re-run.</summary>
    Failed,

    /// <summary>Nothing reaches it but a person (transport: none): its bundle installed by hand, then a re-run with --manual-steps-done.</summary>
    InstallByHand,
}

/// <summary>A peer the change has not reached, why, and what was said of it.</summary>
public sealed record PendingPeer(string Host, PendingReason Reason, string Detail)
{
    /// <summary>As the pending list says it: "failed: ..." and "install by hand: ..." are named, an unreachable host's reason stands alone.</summary>
    public string Why => Reason switch
    {
        PendingReason.Failed => "failed: " + Detail,
        PendingReason.InstallByHand => "install by hand: " + Detail,
        _ => Detail,
    };
}

/// <summary>What a change reached: peers that run it now, and peers that could not be reached (with why).</summary>
public sealed record PeerRollout(IReadOnlyList<string> Updated, IReadOnlyList<string> AlreadyCurrent, IReadOnlyList<PendingPeer> Pending)
{
    public int Total => Updated.Count + AlreadyCurrent.Count + Pending.Count;
    public int Reached => Updated.Count + AlreadyCurrent.Count;
}

/// <summary>
/// Peer convergence (UpdatePeers): a new, changed or revoked host changes the others' configs (its block is their unsafe route, its
/// certificate their blocklist), so every other host is brought to the bundle built for it now. A peer counts as
/// current only when the manifest it reports as installed is the one built here (<see cref="InstalledBundle"/>).
/// </summary>
public static class PeerConvergence
{
    /// <summary>The peers of a host that joined (or changed): UpdatePeers, and AddHost's step after the host's own.</summary>
    public static PeerRollout Update(FlatnetContext context, string host) =>
        Update(context, host, $"{host} is in the mesh", $"./build.sh --target=UpdatePeers --host={host}");

    /// <summary>
    /// Every other deployable host is re-packed and, unless it already runs that very bundle, redeployed. Peers that
    /// cannot be reached are listed as pending and the call fails, so re-running it finishes the job.
    /// </summary>
    public static PeerRollout Update(FlatnetContext context, string host, string change, string rerun)
    {
        var updated = new List<string>();
        var current = new List<string>();
        var pending = new List<PendingPeer>();
        var confirmed = context.Arguments.Flag("manual-steps-done");
        foreach (var peer in context.Plan.Active.Where(p => p.Name != host))
        {
            // A host that makes its own key and has not yet has no certificate and is in no mesh: its first AddHost
            // builds it with the change (PackageAll leaves it out the same way). It failed every RevokeHost (battery 26).
            if (HostPipeline.AwaitsKeyFromHost(context, peer))
            {
                context.Log.Info($"{peer.Name}: not in the mesh yet (its key is made on it at its first AddHost), which brings it the change");
                continue;
            }
            HostPipeline.Certify(context, peer.Name);
            HostPipeline.Package(context, peer.Name);
            if (peer.Host.Deploy.Transport == Inventory.DeployTransport.None)
            {
                // Nothing reaches it but a person: its bundle is ready, and it counts once they say it is installed.
                if (confirmed ? InstalledBundle.Confirm(context.Workspace, peer.Name, context.BundleWrittenThisRun(peer.Name)) : InstalledBundle.IsConfirmedByHand(context.Workspace, peer.Name))
                {
                    context.Log.Info($"{peer.Name}: installed by hand (confirmed)");
                    current.Add(peer.Name);
                }
                else pending.Add(new PendingPeer(peer.Name, PendingReason.InstallByHand, Workspace.Relative(context.Workspace.BundlePath(peer.Name)) +
                    (confirmed && context.BundleWrittenThisRun(peer.Name) ? "; built in this very run, so --manual-steps-done counts it from the next run" : "")));
                continue;
            }
            try
            {
                var connection = context.Connection(peer);
                if (HostPipeline.IsCurrent(context, peer, connection))
                {
                    current.Add(peer.Name);
                    continue;
                }
                HostPipeline.Deploy(context, peer);
                HostPipeline.ConfigureRouting(context, peer);
                updated.Add(peer.Name);
            }
            catch (FlatnetException e)
            {
                // Unreachable: it will be reached later. Anything else failed on (or for) the host and needs its cause fixed first.
                pending.Add(new PendingPeer(peer.Name, e is HostUnreachable ? PendingReason.Unreachable : PendingReason.Failed, e.Problem.Split('\n')[0]));
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
        if (pending.Any(p => p.Reason == PendingReason.Failed))
            fixes.Add($"fix what failed (its output is above), then re-run {rerun}: only the pending peers are deployed again");
        if (pending.Any(p => p.Reason == PendingReason.InstallByHand))
            fixes.Add($"install each named zip on its host (its install script, as its README says), then re-run {rerun} --manual-steps-done");
        if (pending.Any(p => p.Reason == PendingReason.Unreachable))
            fixes.Add($"re-run {rerun} once the unreachable ones are reachable: only the pending peers are deployed again");
        throw new PendingHosts($"{change}; rolled out to {rollout.Reached} of {rollout.Total} peers; pending: " +
                               string.Join(", ", pending.Select(p => $"{p.Host} ({p.Why})")), fixes, pending.Select(p => (p.Host, p.Why)).ToList());
    }
}
