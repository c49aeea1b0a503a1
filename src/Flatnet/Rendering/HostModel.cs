using Flatnet.Addressing;
using Flatnet.Inventory;

namespace Flatnet.Rendering;

// The one typed model every template reads. Scriban sees members in snake_case (OverlayIp -> overlay_ip) and runs
// with strict variables, so a misspelt name in a template is an error, never an empty string.

public sealed record LighthouseModel(string Name, string OverlayIp, IReadOnlyList<string> Endpoints);

public sealed record UnsafeRouteModel(string Route, string Via, string Host);

public sealed record FirewallRuleModel(string Port, string Proto, string? Host, IReadOnlyList<string> Groups, string? Cidr);

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

    public static HostModel ForHost(AddressPlan plan, HostAddresses host)
    {
        var net = plan.Inventory.Network;
        var windows = host.Host.Os == HostOs.Windows;
        return new HostModel(
            host.Name, net.Name, windows ? "windows" : "linux", false, windows,
            host.OverlayAddress, host.OverlayCidr, plan.Overlay.ToString(), host.RoutedBlock.ToString(), host.WslAddress, host.Host.Wsl,
            net.ListenPort, net.UseRelays, host.Host.Groups, LighthouseModels(plan),
            plan.Others(host.Name).Select(o => new UnsafeRouteModel(o.RoutedBlock.ToString(), o.OverlayAddress, o.Name)).ToList(),
            windows
                // Hyper-V/WSL virtual switches and Nebula's own adapter: addresses other hosts cannot reach.
                ? ["vEthernet.*", DefaultTunDevice]
                // Same on Linux: container bridges, veth pairs (the lab's WSL stand-in) and Nebula itself.
                : ["docker.*", "br-.*", "veth.*", DefaultTunDevice],
            Rules(net.Firewall.Outbound), Rules(net.Firewall.Inbound), BlockedFingerprints(plan), net.Tuning,
            DefaultTunDevice, net.Nebula.Windows.Service, net.Nebula.Windows.WslDistro,
            windows ? WindowsPaths(net.Nebula.Windows.Root) : LinuxPaths(host.Host.Root ?? net.Nebula.Linux.Root, net.Nebula.Linux.Binary),
            RoutePlan.For(plan, host));
    }

    /// <summary>The lighthouse's own config (the lab runs one; a fleet's Stage 1 lighthouse already has its config).</summary>
    public static HostModel ForLighthouse(AddressPlan plan, LighthouseAddresses lighthouse, string root)
    {
        var net = plan.Inventory.Network;
        return new HostModel(
            lighthouse.Name, net.Name, "linux", true, false,
            lighthouse.OverlayAddress, $"{lighthouse.OverlayAddress}/{plan.Overlay.PrefixLength}", plan.Overlay.ToString(), null, null, false,
            net.ListenPort, net.UseRelays, [], LighthouseModels(plan).Where(l => l.Name != lighthouse.Name).ToList(), [],
            ["docker.*", "br-.*", "veth.*", DefaultTunDevice],
            Rules(net.Firewall.Outbound), Rules(net.Firewall.Inbound), BlockedFingerprints(plan), net.Tuning,
            DefaultTunDevice, "systemd", null, LinuxPaths(root, net.Nebula.Linux.Binary), null);
    }

    private static List<string> BlockedFingerprints(AddressPlan plan) => plan.Inventory.Blocklist.Select(b => b.Fingerprint).ToList();

    private static List<LighthouseModel> LighthouseModels(AddressPlan plan) =>
        plan.Lighthouses.Select(l => new LighthouseModel(l.Name, l.OverlayAddress, l.Lighthouse.Endpoints)).ToList();

    private static List<FirewallRuleModel> Rules(IEnumerable<FirewallRule> rules) =>
        rules.Select(r => new FirewallRuleModel(r.Port, r.Proto, r.Host, r.Groups, r.Cidr)).ToList();

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
