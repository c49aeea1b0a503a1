using Flatnet.Workflows;
using Flatnet.Addressing;
using Flatnet.Bundles;
using Flatnet.Pki;
using Flatnet.Versions;

namespace Flatnet.Deploy;

/// <summary>What a change reached: peers that run it now, and peers that could not be reached (with why).</summary>
public sealed record PeerRollout(IReadOnlyList<string> Updated, IReadOnlyList<string> AlreadyCurrent, IReadOnlyList<(string Host, string Why)> Pending)
{
    public int Total => Updated.Count + AlreadyCurrent.Count + Pending.Count;
    public int Reached => Updated.Count + AlreadyCurrent.Count;
}

/// <summary>
/// The provisioning workflow: DeployHost, ConfigureRouting, and UpdatePeers, which brings every other host to the
/// bundle flatnet built for it. A peer counts as current only when the manifest it reports as installed (written
/// on the host after its install and routing succeeded) is the one built here, never because a local zip did not change.
/// </summary>
public sealed class Provisioning(FlatnetContext context)
{
    /// <summary>Pushes the packaged bundle over the host's transport and runs its install script.</summary>
    public void Deploy(string host)
    {
        var h = context.Plan.Host(host);
        using var connection = HostConnections.Open(h.Host);
        Deploy(h, connection);
    }

    /// <summary>Runs the routing scripts inside the host's WSL2 and on the host, then records the bundle as installed.</summary>
    public void ConfigureRouting(string host)
    {
        var h = context.Plan.Host(host);
        using var connection = HostConnections.Open(h.Host);
        ConfigureRouting(h, connection);
    }

    private void Deploy(HostAddresses h, IHostConnection connection)
    {
        var bundle = context.Workspace.BundleDirectory(h.Name);
        if (!File.Exists(Path.Combine(bundle, "manifest.json")))
            throw new FlatnetException($"{h.Name}: no bundle at {Workspace.Relative(bundle)}.",
                fix: $"./build.sh --target=PackageBundle --host={h.Name} (DeployHost runs it first in the graph)");
        var model = context.Model(h);
        if (h.Host.NebulaVersion is null && HostOperations.InstalledNebula(model, connection) is { } installed)
        {
            // Not declared: the release the host runs decides whether it can read the CA's certificates.
            context.Log.Info($"{h.Name}: runs Nebula {installed} (asked over {h.Host.Deploy.Transport.ToString().ToLowerInvariant()})");
            context.Ca.RequireUsable(context.Plan.Daemons.With(new Daemon(h.Name, "host", installed, $"nebula -version on {h.Name}")));
        }
        context.Log.Info($"{h.Name}: deploying to {connection.Describe}");
        Report(h.Name, HostOperations.Deploy(model, bundle, connection));
    }

    private void ConfigureRouting(HostAddresses h, IHostConnection connection)
    {
        var model = context.Model(h);
        foreach (var r in HostOperations.ConfigureRouting(model, h.Host.WslCommand, connection))
            Report(h.Name, r);
        HostOperations.RecordInstalled(model, connection);
    }

    /// <summary>
    /// A new, changed or revoked host changes the others' configs (its block is their unsafe route, its certificate
    /// their blocklist). Every other deployable host is re-packed and, unless it already runs that very bundle,
    /// redeployed. Peers that cannot be reached are listed as pending and the call fails, so re-running it finishes the job.
    /// </summary>
    public PeerRollout UpdatePeers(string host, string change, string rerun)
    {
        var certificates = new Certificates(context);
        var packaging = new Packaging(context);
        var updated = new List<string>();
        var current = new List<string>();
        var pending = new List<(string, string)>();
        foreach (var peer in context.Plan.Deployable.Where(p => p.Name != host))
        {
            certificates.Generate(peer.Name);
            packaging.Package(peer.Name);
            try
            {
                using var connection = HostConnections.Open(peer.Host);
                if (RunsBuiltBundle(context, peer, connection))
                {
                    current.Add(peer.Name);
                    continue;
                }
                Deploy(peer, connection);
                ConfigureRouting(peer, connection);
                updated.Add(peer.Name);
            }
            catch (FlatnetException e)
            {
                pending.Add((peer.Name, e.Problem.Split('\n')[0]));
                context.Log.Warn($"{peer.Name}: not updated: {e.Problem.Split('\n')[0]}");
            }
        }
        var rollout = new PeerRollout(updated, current, pending);
        context.Log.Info(rollout.Updated.Count == 0 && rollout.Pending.Count == 0
            ? $"peers of {host}: all up to date"
            : $"peers of {host}: updated {(updated.Count == 0 ? "none" : string.Join(", ", updated))}" +
              (current.Count == 0 ? "" : $"; already current {string.Join(", ", current)}"));
        if (pending.Count > 0)
            throw new FlatnetException($"{change}; rolled out to {rollout.Reached} of {rollout.Total} peers; pending: " +
                                       string.Join(", ", pending.Select(p => $"{p.Item1} ({p.Item2})")),
                fix: $"re-run {rerun} once {(pending.Count == 1 ? "it is" : "they are")} reachable: only the pending peers are deployed again");
        return rollout;
    }

    /// <summary>Whether the host reports, as installed and routed, the manifest of the bundle built for it here.</summary>
    public static bool RunsBuiltBundle(FlatnetContext context, HostAddresses host, IHostConnection connection)
    {
        var manifest = Path.Combine(context.Workspace.BundleDirectory(host.Name), "manifest.json");
        return File.Exists(manifest) && HostOperations.InstalledManifest(context.Model(host), connection) == File.ReadAllText(manifest);
    }

    private void Report(string host, RemoteResult result)
    {
        foreach (var line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            context.Log.Info($"{host}: {line}");
    }
}
