using Flatnet.Addressing;
using Flatnet.Transport;
using Flatnet.Verification;
using Flatnet.Versions;

namespace Flatnet.Provisioning;

/// <summary>One step of putting a host in the mesh, in the order AddHost takes them.</summary>
public enum HostStep
{
    /// <summary>Its certificate signed (GenerateCert).</summary>
    Certify,

    /// <summary>Its bundle rendered, checked with nebula -test and packed (PackageBundle).</summary>
    Package,

    /// <summary>Its bundle pushed over its transport, host key checked, and installed there (DeployHost).</summary>
    Install,

    /// <summary>Its routing and forwarding, on the host and inside its WSL2; then the bundle counts as installed (ConfigureRouting).</summary>
    Route,
}

/// <summary>
/// The steps that put one host in the mesh (<see cref="Steps"/>), each over the host's one connection in the run
/// (<see cref="HostRun"/>), and <see cref="Add"/>: those steps, then its peers brought to the plan with it, then the
/// proof. The task graph's GenerateCert, PackageBundle, DeployHost and ConfigureRouting each run one step; AddHost,
/// Rollout, RotateCa, the lab and the benchmark run them all, so they cannot drift apart.
/// </summary>
public static partial class HostPipeline
{
    /// <summary>The steps that make one host run, in order (the others then learn of it: <see cref="PeerConvergence"/>).</summary>
    public static IReadOnlyList<HostStep> Steps { get; } = [HostStep.Certify, HostStep.Package, HostStep.Install, HostStep.Route];

    /// <summary>
    /// One step for one host, reading the run's arguments as its task does: --force and --pub (Certify),
    /// --manual-steps-done (Install and Route of a host installed by hand).
    /// </summary>
    public static void Run(FlatnetContext context, HostStep step, string host)
    {
        var arguments = context.Arguments;
        switch (step)
        {
            case HostStep.Certify:
                Certify(context, host, arguments.Flag("force"), arguments.Value("pub"));
                break;
            case HostStep.Package:
                Package(context, host);
                break;
            case HostStep.Install:
                var h = context.Plan.Host(host);
                if (!InstalledByHand(context, h)) Deploy(context, h);
                break;
            case HostStep.Route:
                var routed = context.Plan.Host(host);
                // Installed by hand, as the person says: its routing is its install script's (the bundle carries it).
                if (routed.Host.Deploy.Transport == Inventory.DeployTransport.None && arguments.Flag("manual-steps-done"))
                {
                    context.Log.Info($"{host}: routing is set up by its install script there (installed by hand); nothing to do from here");
                    return;
                }
                ConfigureRouting(context, routed);
                break;
        }
    }

    /// <summary>Every step, in order, for one host.</summary>
    public static void Provision(FlatnetContext context, string host)
    {
        foreach (var step in Steps) Run(context, step, host);
    }

    /// <summary>AddHost: every step, then every peer brought to the plan with the host, then the matrix that proves it.</summary>
    /// <param name="table">the matrix's whole table in the log; false for a host added on the way to another (the lab's).</param>
    public static PingMatrix Add(FlatnetContext context, string host, bool table = true)
    {
        Provision(context, host);
        PeerConvergence.Update(context, host);
        return MeshVerification.Verify(context, table: table);
    }

    /// <summary>
    /// A host flatnet cannot reach (transport: none) whose bundle a person says is installed (--manual-steps-done):
    /// recorded as such, so the chain (ConfigureRouting, UpdatePeers, a RevokeHost's re-run) goes on. Without the
    /// flag, connecting refuses as before, with the install-by-hand fix.
    /// </summary>
    private static bool InstalledByHand(FlatnetContext context, HostAddresses h)
    {
        if (h.Host.Deploy.Transport != Inventory.DeployTransport.None || !context.Arguments.Flag("manual-steps-done")) return false;
        if (!InstalledBundle.Confirm(context.Workspace, h.Name, context.BundleWrittenThisRun(h.Name)))
            throw new FlatnetException($"{h.Name}: its bundle was built anew in this very run, so it cannot be installed yet: {Workspace.Relative(context.Workspace.BundlePath(h.Name))}",
                fix: $"install that zip on {h.Name} (its install script), then run this again with --manual-steps-done");
        context.Log.Info($"{h.Name}: installed by hand (confirmed by --manual-steps-done): {Workspace.Relative(context.Workspace.BundlePath(h.Name))}");
        return true;
    }

    /// <summary>The host's packed bundle pushed over its connection and installed by its install script.</summary>
    public static void Deploy(FlatnetContext context, HostAddresses h)
    {
        var bundle = context.Workspace.BundleDirectory(h.Name);
        if (!File.Exists(Path.Combine(bundle, "manifest.json")))
            throw new FlatnetException($"{h.Name}: no bundle at {Workspace.Relative(bundle)}.",
                fix: $"./build.sh --target=PackageBundle --host={h.Name} (DeployHost runs it first in the graph)");
        // Only the bundle travels: the folder must hold exactly what its manifest lists, as PackageBundle wrote it.
        if (Bundles.BundleFolder.Problem(bundle) is { } wrong)
            throw new StateConflict($"{h.Name}: {Workspace.Relative(bundle)} is not the bundle flatnet built ({wrong}); nothing was uploaded",
                $"take out what flatnet did not put there, or delete the folder and run ./build.sh --target=PackageBundle --host={h.Name}; then deploy again",
                Workspace.Relative(bundle));
        var connection = context.Connection(h);
        var model = context.Model(h);
        var platform = context.Platform(h);
        if (h.Host.NebulaVersion is null && platform.InstalledNebula(model, connection) is { } installed)
        {
            // Not declared: the release the host runs decides whether it can read the CA's certificates.
            context.Log.Info($"{h.Name}: runs Nebula {installed} (asked over {h.Host.Deploy.Transport.ToString().ToLowerInvariant()})");
            context.Ca.RequireUsable(context.Plan.Daemons.With(new Daemon(h.Name, "host", installed, $"nebula -version on {h.Name}")));
        }
        context.Log.Info($"{h.Name}: deploying to {connection.Describe}");
        Report(context, h.Name, platform.Deploy(model, bundle, connection));
    }

    /// <summary>The routing scripts inside the host's WSL2 and on the host; then the bundle counts as installed.</summary>
    public static void ConfigureRouting(FlatnetContext context, HostAddresses h)
    {
        var connection = context.Connection(h);
        var model = context.Model(h);
        var platform = context.Platform(h);
        foreach (var r in platform.ConfigureRouting(model, connection))
            Report(context, h.Name, r);
        platform.RecordInstalled(model, connection);
    }

    /// <summary>Whether the host reports, as installed and routed, the manifest of the bundle built for it here.</summary>
    public static bool IsCurrent(FlatnetContext context, HostAddresses host, IHostConnection connection) =>
        InstalledBundle.IsCurrent(context.Workspace.BundleDirectory(host.Name), context.Model(host), context.Platform(host), connection);

    /// <summary>What the host's scripts said, line by line, under its name.</summary>
    private static void Report(FlatnetContext context, string host, RemoteResult result)
    {
        foreach (var line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            context.Log.Info($"{host}: {line}");
    }
}
