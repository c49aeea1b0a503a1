using Flatnet.Addressing;
using Flatnet.Transport;
using Flatnet.Versions;

namespace Flatnet.Workflows;

/// <summary>DeployHost: pushes the packaged bundle over the host's transport (host key checked) and runs its install script there.</summary>
public sealed class DeployHostTask : HostTask
{
    public override string Name => "DeployHost";
    public override string Description => "Push --host's bundle over its transport (SSH; host key checked) and run its install script there.";
    public override IReadOnlyList<string> DependsOn => ["PackageBundle"];

    // --manual-steps-done: a host installed by hand (transport: none) has its bundle installed, as a person says.
    public override IReadOnlyList<string> Options => [.. base.Options, "manual-steps-done"];

    public override void Run(FlatnetContext context, string host)
    {
        var h = context.Plan.Host(host);
        if (InstalledByHand(context, h)) return;
        var connection = context.Connection(h);
        Deploy(context, h, connection);
    }

    /// <summary>
    /// A host flatnet cannot reach (transport: none) whose bundle a person says is installed (--manual-steps-done):
    /// recorded as such, so the chain (ConfigureRouting, UpdatePeers, a RevokeHost's re-run) goes on. Without the
    /// flag, connecting refuses as before, with the install-by-hand fix.
    /// </summary>
    public static bool InstalledByHand(FlatnetContext context, HostAddresses h)
    {
        if (h.Host.Deploy.Transport != Inventory.DeployTransport.None || !context.Arguments.Flag("manual-steps-done")) return false;
        Verification.InstalledBundle.ConfirmByHand(context.Workspace, h.Name);
        context.Log.Info($"{h.Name}: installed by hand (confirmed by --manual-steps-done): {Workspace.Relative(context.Workspace.BundlePath(h.Name))}");
        return true;
    }

    public static void Deploy(FlatnetContext context, HostAddresses h, IHostConnection connection)
    {
        var bundle = context.Workspace.BundleDirectory(h.Name);
        if (!File.Exists(Path.Combine(bundle, "manifest.json")))
            throw new FlatnetException($"{h.Name}: no bundle at {Workspace.Relative(bundle)}.",
                fix: $"./build.sh --target=PackageBundle --host={h.Name} (DeployHost runs it first in the graph)");
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

    /// <summary>What the host's scripts said, line by line, under its name.</summary>
    internal static void Report(FlatnetContext context, string host, RemoteResult result)
    {
        foreach (var line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            context.Log.Info($"{host}: {line}");
    }
}
