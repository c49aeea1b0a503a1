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
public sealed record HostPaths
{
    public required string Root { get; init; }
    public required string NebulaBinary { get; init; }
    public required string WslScriptsDir { get; init; }
    public string NebulaDir => $"{Root}/nebula";
    public string ConfigDir => $"{Root}/config/nebula";
    public string LogsDir => $"{Root}/logs";
    public string ScriptsDir => $"{Root}/scripts";
    public string Config => $"{ConfigDir}/config.yaml";
    public string Log => $"{LogsDir}/nebula.log";
    /// <summary>The root as the host's own shell writes it: F:\flatnet on Windows; a stand-in /path (the lab) as it is.</summary>
    public string NativeRoot => Native(Root);

    /// <summary>A drive path (F:/flatnet/...) in Windows' own spelling (F:\flatnet\...); anything else, the lab's /path stand-ins, as it is.</summary>
    public static string Native(string path) => IsDrivePath(path) ? path.Replace('/', '\\') : path;

    public static bool IsDrivePath(string path) => path.Length >= 2 && path[1] == ':';
    // The pki files, which `nebula -test` on the build machine points at its own copies.
    public string Ca { get; init; } = "";
    public string Cert { get; init; } = "";
    public string Key { get; init; } = "";

    /// <summary>The spec's layout under a root (F:\flatnet or /opt/flatnet): nebula/, config/nebula/, logs/, scripts/.</summary>
    public static HostPaths Under(string root, string nebulaBinary, string wslScriptsDir) => new HostPaths
    {
        Root = root, NebulaBinary = nebulaBinary, WslScriptsDir = wslScriptsDir,
    }.WithPki($"{root}/config/nebula");

    public HostPaths WithPki(string directory) => this with { Ca = $"{directory}/ca.crt", Cert = $"{directory}/host.crt", Key = $"{directory}/host.key" };
}

/// <summary>
/// A host's (or the lab lighthouse's) config as the templates see it. Built with named members only: two values of
/// the same type cannot be swapped by position.
/// </summary>
public sealed record HostModel
{
    public required string Name { get; init; }
    public required string Network { get; init; }
    public required string Os { get; init; }
    public bool IsLighthouse { get; init; }
    public bool IsWindows => Os == "windows";
    public required string OverlayIp { get; init; }
    public required string OverlayCidr { get; init; }
    public required string Overlay { get; init; }
    public string? RoutedBlock { get; init; }
    public string? WslAddress { get; init; }
    public bool Wsl { get; init; }
    public required int ListenPort { get; init; }
    public required bool UseRelays { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = [];
    public required IReadOnlyList<LighthouseModel> Lighthouses { get; init; }
    public IReadOnlyList<UnsafeRouteModel> UnsafeRoutes { get; init; } = [];
    public required IReadOnlyList<string> AdvertiseDenyInterfaces { get; init; }
    public required IReadOnlyList<FirewallRuleModel> Outbound { get; init; }
    public required IReadOnlyList<FirewallRuleModel> Inbound { get; init; }
    public required IReadOnlyList<string> Blocklist { get; init; }
    public required Tuning Tuning { get; init; }
    public string TunDevice { get; init; } = DefaultTunDevice;
    public required string ServiceManager { get; init; }
    public string? WslDistro { get; init; }
    /// <summary>The Windows account that owns WSL on the host (wsl_user, else deploy.user); null: whoever installs.</summary>
    public string? WslUser { get; init; }
    public required HostPaths Paths { get; init; }
    public RoutePlan? Routes { get; init; }

    /// <summary>
    /// Seconds between a node's reports to the lighthouses (lighthouse.interval). It is also how long a restarted
    /// lighthouse cannot find a host, so it is Nebula's own default (10), not the example config's 60.
    /// </summary>
    public int LighthouseInterval { get; init; } = DefaultLighthouseInterval;
    public const int DefaultLighthouseInterval = 10;

    /// <summary>The Nebula interface's name; Nebula names the adapter after tun.dev on Windows and Linux alike.</summary>
    public const string DefaultTunDevice = "nebula1";

    /// <summary>Nebula's admin interface on this host; null renders none (VerifyPing then cannot say direct or relayed).</summary>
    public AdminModel? Admin { get; init; }

    public static HostModel ForHost(AddressPlan plan, HostAddresses host, Pki.AdminInterface? admin = null)
    {
        var net = plan.Inventory.Network;
        var windows = host.Host.Os == HostOs.Windows;
        // A managed lighthouse: am_lighthouse (and am_relay with use_relays), the other lighthouses as its own, and no
        // routes to the hosts' blocks: then a new host leaves its config as it is, and AddHost never restarts it (a
        // restarted lighthouse forgets every host that does not report again, for up to lighthouse.interval).
        var lighthouse = host.Host.IsLighthouse;
        var model = new HostModel
        {
            Name = host.Name, Network = net.Name, Os = windows ? "windows" : "linux", IsLighthouse = lighthouse,
            OverlayIp = host.OverlayAddress, OverlayCidr = host.OverlayCidr, Overlay = plan.Overlay.ToString(),
            RoutedBlock = host.RoutedBlock?.ToString(), WslAddress = host.WslAddress, Wsl = host.Host.Wsl,
            ListenPort = net.ListenPort, UseRelays = net.UseRelays, Groups = host.Host.Groups,
            Lighthouses = LighthouseModels(plan).Where(l => l.Name != host.Name).ToList(),
            UnsafeRoutes = lighthouse ? [] : PeerRoutes.Of(plan).UnsafeRoutesFor(host.Name),
            AdvertiseDenyInterfaces = windows
                // Hyper-V/WSL virtual switches and Nebula's own adapter: addresses other hosts cannot reach.
                ? ["vEthernet.*", DefaultTunDevice]
                // Same on Linux: container bridges, veth pairs (the lab's WSL stand-in) and Nebula itself.
                : LinuxVirtualInterfaces,
            Outbound = Rules(net.Firewall.Outbound, host.RoutedBlock), Inbound = Rules(net.Firewall.Inbound, host.RoutedBlock),
            Blocklist = BlockedFingerprints(plan), Tuning = net.Tuning,
            ServiceManager = net.Nebula.Windows.Service, WslDistro = net.Nebula.Windows.WslDistro, WslUser = host.Host.WslUser,
            Paths = windows ? WindowsPaths(net.Nebula.Windows.Root) : LinuxPaths(host.Host.Root ?? net.Nebula.Linux.Root, host.Host.NebulaBinary ?? net.Nebula.Linux.Binary),
            Routes = RoutePlan.For(plan, host),
        };
        return admin is null ? model : model with
        {
            Admin = new AdminModel($"127.0.0.1:{admin.Port}", $"{model.Paths.ConfigDir}/{Pki.AdminInterface.HostKeyFileName}",
                admin.User, admin.AuthorizedKey),
        };
    }

    /// <summary>The lighthouse's own config (the lab runs one; a fleet's Stage 1 lighthouse already has its config).</summary>
    public static HostModel ForLighthouse(AddressPlan plan, LighthouseAddresses lighthouse, string root, string? binary = null)
    {
        var net = plan.Inventory.Network;
        return new HostModel
        {
            Name = lighthouse.Name, Network = net.Name, Os = "linux", IsLighthouse = true,
            OverlayIp = lighthouse.OverlayAddress, OverlayCidr = $"{lighthouse.OverlayAddress}/{plan.Overlay.PrefixLength}", Overlay = plan.Overlay.ToString(),
            ListenPort = net.ListenPort, UseRelays = net.UseRelays,
            Lighthouses = LighthouseModels(plan).Where(l => l.Name != lighthouse.Name).ToList(),
            AdvertiseDenyInterfaces = LinuxVirtualInterfaces,
            Outbound = Rules(net.Firewall.Outbound, null), Inbound = Rules(net.Firewall.Inbound, null),
            Blocklist = BlockedFingerprints(plan), Tuning = net.Tuning, ServiceManager = "systemd",
            Paths = LinuxPaths(root, binary ?? net.Nebula.Linux.Binary),
        };
    }

    private static readonly IReadOnlyList<string> LinuxVirtualInterfaces = ["docker.*", "br-.*", "veth.*", DefaultTunDevice];

    private static List<string> BlockedFingerprints(AddressPlan plan) => plan.Inventory.Blocklist.Fingerprints.ToList();

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

    /// <summary>Nebula's config takes forward slashes on Windows too, so Windows paths are written with '/'.</summary>
    private static HostPaths WindowsPaths(string root)
    {
        var r = root.Replace('\\', '/').TrimEnd('/');
        return HostPaths.Under(r, $"{r}/nebula/nebula.exe",
            // F:/flatnet -> /mnt/f/flatnet: WSL2 sees Windows drives under /mnt.
            HostPaths.IsDrivePath(r) ? $"/mnt/{char.ToLowerInvariant(r[0])}{r[2..]}/scripts" : $"{r}/scripts");
    }

    private static HostPaths LinuxPaths(string root, string binary)
    {
        var r = root.TrimEnd('/');
        return HostPaths.Under(r, binary, $"{r}/scripts");
    }
}
