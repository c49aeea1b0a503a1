using Flatnet.Addressing;
using Flatnet.Inventory;

namespace Flatnet.Rendering;

// The one typed model every template reads. Scriban sees members in snake_case (OverlayIp -> overlay_ip) and runs
// with strict variables, so a misspelt name in a template is an error, never an empty string.

public sealed record LighthouseModel(string Name, string OverlayIp, IReadOnlyList<string> Endpoints);

public sealed record UnsafeRouteModel(string Route, string Via, string Host);

/// <summary>LocalCidr: which of this host's addresses the rule admits; null = its Nebula IP (and, before 1.10, anything).</summary>
public sealed record FirewallRuleModel(string Port, string Proto, string? Host, IReadOnlyList<string> Groups, string? Cidr, string? LocalCidr = null);

/// <summary>Nebula's admin interface as the config names it: 127.0.0.1 only, flatnet's key only (see Verification/AdminInterface).</summary>
public sealed record AdminModel(string Listen, string HostKey, string User, string AuthorizedKey);

/// <summary>Where the files live on the host, in the host's own path style. WslScriptsDir: the same scripts seen from WSL2.</summary>
public sealed record HostPaths(string Root, string NebulaDir, string ConfigDir, string LogsDir, string ScriptsDir, string Ca, string Cert, string Key,
    string Config, string Log, string NebulaBinary, string WslScriptsDir);

public sealed record HostModel(
    string Name,
    string Network,
    string Os,
    bool IsLighthouse,
    bool IsWindows,
    string OverlayIp,
    string OverlayCidr,
    string Overlay,
    string? RoutedBlock,
    string? WslAddress,
    bool Wsl,
    int ListenPort,
    bool UseRelays,
    IReadOnlyList<string> Groups,
    IReadOnlyList<LighthouseModel> Lighthouses,
    IReadOnlyList<UnsafeRouteModel> UnsafeRoutes,
    IReadOnlyList<string> AdvertiseDenyInterfaces,
    IReadOnlyList<FirewallRuleModel> Outbound,
    IReadOnlyList<FirewallRuleModel> Inbound,
    IReadOnlyList<string> Blocklist,
    Tuning Tuning,
    string TunDevice,
    string ServiceManager,
    string? WslDistro,
    HostPaths Paths,
    RoutePlan? Routes)
{
    /// <summary>The Nebula interface's name; Nebula names the adapter after tun.dev on Windows and Linux alike.</summary>
    public const string DefaultTunDevice = "nebula1";

    /// <summary>Nebula's admin interface on this host; null renders none (VerifyPing then cannot say direct or relayed).</summary>
    public AdminModel? Admin { get; init; }

    public static HostModel ForHost(AddressPlan plan, HostAddresses host, Verification.AdminInterface? admin = null)
    {
        var net = plan.Inventory.Network;
        var windows = host.Host.Os == HostOs.Windows;
        var model = new HostModel(
            host.Name, net.Name, windows ? "windows" : "linux", false, windows,
            host.OverlayAddress, host.OverlayCidr, plan.Overlay.ToString(), host.RoutedBlock?.ToString(), host.WslAddress, host.Host.Wsl,
            net.ListenPort, net.UseRelays, host.Host.Groups, LighthouseModels(plan),
            plan.OthersWithBlocks(host.Name).Select(o => new UnsafeRouteModel(o.RoutedBlock!.Value.ToString(), o.OverlayAddress, o.Name)).ToList(),
            windows
                // Hyper-V/WSL virtual switches and Nebula's own adapter: addresses other hosts cannot reach.
                ? ["vEthernet.*", DefaultTunDevice]
                // Same on Linux: container bridges, veth pairs (the lab's WSL stand-in) and Nebula itself.
                : ["docker.*", "br-.*", "veth.*", DefaultTunDevice],
            Rules(net.Firewall.Outbound, host.RoutedBlock), Rules(net.Firewall.Inbound, host.RoutedBlock), BlockedFingerprints(plan), net.Tuning,
            DefaultTunDevice, net.Nebula.Windows.Service, net.Nebula.Windows.WslDistro,
            windows ? WindowsPaths(net.Nebula.Windows.Root) : LinuxPaths(host.Host.Root ?? net.Nebula.Linux.Root, host.Host.NebulaBinary ?? net.Nebula.Linux.Binary),
            RoutePlan.For(plan, host));
        return admin is null ? model : model with
        {
            Admin = new AdminModel($"127.0.0.1:{admin.Port}", $"{model.Paths.ConfigDir}/{Verification.AdminInterface.HostKeyFileName}",
                admin.User, admin.AuthorizedKey),
        };
    }

    /// <summary>The lighthouse's own config (the lab runs one; a fleet's Stage 1 lighthouse already has its config).</summary>
    public static HostModel ForLighthouse(AddressPlan plan, LighthouseAddresses lighthouse, string root, string? binary = null)
    {
        var net = plan.Inventory.Network;
        return new HostModel(
            lighthouse.Name, net.Name, "linux", true, false,
            lighthouse.OverlayAddress, $"{lighthouse.OverlayAddress}/{plan.Overlay.PrefixLength}", plan.Overlay.ToString(), null, null, false,
            net.ListenPort, net.UseRelays, [], LighthouseModels(plan).Where(l => l.Name != lighthouse.Name).ToList(), [],
            ["docker.*", "br-.*", "veth.*", DefaultTunDevice],
            Rules(net.Firewall.Outbound, null), Rules(net.Firewall.Inbound, null), BlockedFingerprints(plan), net.Tuning,
            DefaultTunDevice, "systemd", null, LinuxPaths(root, binary ?? net.Nebula.Linux.Binary), null);
    }

    private static List<string> BlockedFingerprints(AddressPlan plan) => plan.Inventory.Blocklist.Select(b => b.Fingerprint).ToList();

    private static List<LighthouseModel> LighthouseModels(AddressPlan plan) =>
        plan.Lighthouses.Select(l => new LighthouseModel(l.Name, l.OverlayAddress, l.Lighthouse.Endpoints)).ToList();

    /// <summary>
    /// The inventory's policy, once for the host's own Nebula IP and once more for its routed block. Nebula 1.10 made
    /// firewall.default_local_cidr_any false: a rule without local_cidr then admits only the host's Nebula IP, and
    /// routed (WSL2) traffic is dropped on both sides ("no matching rule in firewall table"). Naming the block, rather
    /// than opening local_cidr to any, admits exactly the traffic this host routes. local_cidr with a CIDR parses on
    /// 1.6.1, 1.9.3 and 1.11.0 alike (`local_cidr: any` does not on 1.9.3), so one config serves a mixed mesh.
    /// </summary>
    private static List<FirewallRuleModel> Rules(IEnumerable<FirewallRule> rules, Ipv4Network? routedBlock)
    {
        var own = rules.Select(r => new FirewallRuleModel(r.Port, r.Proto, r.Host, r.Groups, r.Cidr)).ToList();
        return routedBlock is { } block ? [.. own, .. own.Select(r => r with { LocalCidr = block.ToString() })] : own;
    }

    /// <summary>The spec's layout under the root (F:\flatnet): nebula\, config\nebula\, logs\, scripts\.
    /// Nebula's config takes forward slashes on Windows too, so these are written with '/'.</summary>
    private static HostPaths WindowsPaths(string root)
    {
        var r = root.Replace('\\', '/').TrimEnd('/');
        return new HostPaths(r, $"{r}/nebula", $"{r}/config/nebula", $"{r}/logs", $"{r}/scripts",
            $"{r}/config/nebula/ca.crt", $"{r}/config/nebula/host.crt", $"{r}/config/nebula/host.key",
            $"{r}/config/nebula/config.yaml", $"{r}/logs/nebula.log", $"{r}/nebula/nebula.exe",
            // F:/flatnet -> /mnt/f/flatnet: WSL2 sees Windows drives under /mnt.
            r.Length >= 2 && r[1] == ':' ? $"/mnt/{char.ToLowerInvariant(r[0])}{r[2..]}/scripts" : $"{r}/scripts");
    }

    private static HostPaths LinuxPaths(string root, string binary)
    {
        var r = root.TrimEnd('/');
        return new HostPaths(r, $"{r}/nebula", $"{r}/config/nebula", $"{r}/logs", $"{r}/scripts",
            $"{r}/config/nebula/ca.crt", $"{r}/config/nebula/host.crt", $"{r}/config/nebula/host.key",
            $"{r}/config/nebula/config.yaml", $"{r}/logs/nebula.log", binary, $"{r}/scripts");
    }
}
