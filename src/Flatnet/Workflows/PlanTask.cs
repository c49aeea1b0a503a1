using System.Text;
using Flatnet.Addressing;

namespace Flatnet.Workflows;

/// <summary>Plan: validates the inventory and prints who gets which address, as the inventory and the address plan decide it.</summary>
public sealed class PlanTask : FlatnetTask
{
    public override string Name => "Plan";
    public override string Description => "Validate the inventory in hosts/ and print every host's Nebula IP, routed block and WSL2 address (--json). " +
                                          "--diff: what the inventory changes per host (certificate, config, files, Nebula) against the newest release or --against=RELEASE.zip|GIT-REF, and which hosts a rollout touches; --format=md for a pull request, or --json.";
    public override IReadOnlyList<string> Options => ["json", "diff", "against", "format"];
    public override bool Writes => false;

    public override void Run(FlatnetContext context)
    {
        var format = context.WantsJson ? "json" : context.Arguments.Value("format") ?? "text";
        if (format is not ("text" or "md" or "json"))
            throw new UsageError($"'{Inventory.Grammar.Shown(format)}' is not a format Plan writes", "use --format=md (a pull-request comment), --format=text or --json", "--format");
        if (context.Arguments.Flag("diff"))
        {
            var text = PlanDiff.Format(PlanDiff.Compare(context, context.Arguments.Value("against")), format);
            if (format == "text") context.Log.Info(text);
            else context.PrintDocument(text);
        }
        else if (context.Arguments.Has("against") || context.Arguments.Has("format"))
            throw new UsageError("--against and --format go with --diff", "add --diff: ./build.sh --target=Plan --diff --against=main --format=md", context.Arguments.Has("against") ? "--against" : "--format");
        else if (format == "json") context.PrintDocument(Json(context.Plan));
        else context.Log.Info(Describe(context.Plan));
    }

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
