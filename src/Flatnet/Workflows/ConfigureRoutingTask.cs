using Flatnet.Addressing;
using Flatnet.Transport;

namespace Flatnet.Workflows;

/// <summary>ConfigureRouting: the routing scripts inside the host's WSL2 and on the host; then the bundle counts as installed.</summary>
public sealed class ConfigureRoutingTask : HostTask
{
    public override string Name => "ConfigureRouting";
    public override string Description => "Run wsl-routing.sh inside --host's WSL2 and setup-routing.ps1 (host-routing.sh on Linux) on the host.";
    public override IReadOnlyList<string> DependsOn => ["DeployHost"];

    public override void Run(FlatnetContext context, string host)
    {
        var h = context.Plan.Host(host);
        // Installed by hand, as the person says: its routing is its install script's (the bundle carries it).
        if (h.Host.Deploy.Transport == Inventory.DeployTransport.None && context.Arguments.Flag("manual-steps-done")) return;
        var connection = context.Connection(h);
        ConfigureRouting(context, h, connection);
    }

    public static void ConfigureRouting(FlatnetContext context, HostAddresses h, IHostConnection connection)
    {
        var model = context.Model(h);
        var platform = context.Platform(h);
        foreach (var r in platform.ConfigureRouting(model, connection))
            DeployHostTask.Report(context, h.Name, r);
        platform.RecordInstalled(model, connection);
    }
}
