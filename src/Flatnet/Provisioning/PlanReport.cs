using System.Text;
using Flatnet.Addressing;
using Flatnet.Output;

namespace Flatnet.Provisioning;

/// <summary>Plan: validates the inventory and prints who gets which address, as the inventory and the address plan decide it.</summary>
public static class PlanReport
{
    /// <summary>The plan as --json prints it: the network, then every lighthouse and host with its addresses.</summary>
    public static string Json(AddressPlan plan)
    {
        var net = plan.Inventory.Network;
        return JsonOutput.Document(new
        {
            network = new { name = net.Name, overlay = plan.Overlay.ToString(), routed_pool = net.RoutedPool.ToString(), routed_prefix = net.RoutedPrefix, listen_port = net.ListenPort },
            lighthouses = plan.Lighthouses.Select(l => new { name = l.Name, nebula_ip = l.OverlayAddress, endpoints = l.Lighthouse.Endpoints }),
            hosts = plan.Hosts.Select(h => new { name = h.Name, nebula_ip = h.OverlayAddress, routed_block = h.RoutedBlock?.ToString(), wsl_address = h.WslAddress, os = h.Host.Os.ToString().ToLowerInvariant() }),
        });
    }

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
