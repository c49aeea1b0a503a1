using System.Text;

namespace Flatnet.Addressing;

/// <summary>Target Plan's table: who gets which address, as the inventory and the address plan decide it.</summary>
public static class PlanReport
{
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
