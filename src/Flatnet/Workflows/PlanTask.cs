using System.Text;
using Flatnet.Addressing;

namespace Flatnet.Workflows;

/// <summary>Plan: validates the inventory and prints who gets which address, as the inventory and the address plan decide it.</summary>
public sealed class PlanTask : FlatnetTask
{
    public override string Name => "Plan";
    public override string Description => "Validate the inventory in hosts/ and print every host's Nebula IP, routed block and WSL2 address.";
    public override bool Writes => false;

    public override void Run(FlatnetContext context) => context.Log.Info(Describe(context.Plan));

    public static string Describe(AddressPlan plan)
    {
        var net = plan.Inventory.Network;
        var sb = new StringBuilder();
        sb.AppendLine($"network {net.Name}: overlay {plan.Overlay}, routed blocks from {net.RoutedPool} (/{net.RoutedPrefix} each), UDP {net.ListenPort}");
        sb.AppendLine($"  {"name",-14} {"role",-10} {"nebula ip",-16} {"routed block",-18} {"wsl address",-14} os");
        foreach (var lh in plan.Lighthouses)
            sb.AppendLine($"  {lh.Name,-14} {"lighthouse",-10} {lh.OverlayAddress,-16} {"-",-18} {"-",-14} ({string.Join(", ", lh.Lighthouse.Endpoints)})");
        foreach (var h in plan.Hosts)
            sb.AppendLine($"  {h.Name,-14} {"host",-10} {h.OverlayAddress,-16} {(h.RoutedBlock?.ToString() ?? "-"),-18} {h.WslAddress ?? "-",-14} {h.Host.Os.ToString().ToLowerInvariant()}");
        return sb.ToString().TrimEnd();
    }
}
