using Flatnet.Addressing;
using Flatnet.Inventory;

namespace Flatnet.Rendering;

// The one typed model every template reads. Scriban sees members in snake_case (OverlayIp -> overlay_ip) and runs
// with strict variables, so a misspelt name in a template is an error, never an empty string.

public sealed record LighthouseModel(string Name, string OverlayIp, IReadOnlyList<string> Endpoints);

public sealed record UnsafeRouteModel(string Route, string Via, string Host);

/// <summary>LocalCidr: which of this host's addresses the rule admits; null = its Nebula IP (and, before 1.10, anything).</summary>
public sealed record FirewallRuleModel(string Port, string Proto, string? Host, IReadOnlyList<string> Groups, string? Cidr, string? LocalCidr = null);

/// <summary>
/// Nebula's admin interface as the config names it: 127.0.0.1 only, flatnet's key and the host's own watcher's only
/// (see Pki/AdminInterface). The watcher's key is made on the host, whose install writes it over WatcherPlaceholder.
/// </summary>
public sealed record AdminModel(int Port, string HostKey, string User, string AuthorizedKey, string ConfigDir)
{
    public string Listen => $"127.0.0.1:{Port}";
    public string WatcherUser => Pki.AdminInterface.WatcherUser;
    public string WatcherKey => $"{ConfigDir}/{Pki.AdminInterface.WatcherKeyFileName}";
    public string WatcherKnownHosts => $"{ConfigDir}/watcher_known_hosts";
    /// <summary>The comment that marks the one line (`keys: []  # ...`) the install writes the watcher's key into.</summary>
    public string WatcherPlaceholder => "flatnet-watcher key: written here at install, made on this host";
    /// <summary>
    /// Seconds between the watcher's looks, on the clock: both ends of a tunnel look in the same second. Each look is a
    /// login that Nebula logs at info (on Windows, into the Application event log): 2,880 a day at 30 s.
    /// </summary>
    public int WatchInterval => 30;

    /// <summary>The most doublings of the wait for a peer that stays relayed: 2^8 looks, about two hours at 30 s.</summary>
    public int MaxDoublings => 8;
}

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
/// What a host's OS decides about its model (Platforms/ knows it): the OS's name as templates test it, where the files
/// live, the virtual interfaces Nebula must not advertise, and how a command runs inside its WSL2.
/// </summary>
public sealed record PlatformFacts(string Os, HostPaths Paths, IReadOnlyList<string> AdvertiseDenyInterfaces, string WslCommand);

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
    /// <summary>For the templates (is_windows); C# asks the host's platform (Platforms/) instead.</summary>
    public bool IsWindows => Os == "windows";
    public required string OverlayIp { get; init; }
    public required string OverlayCidr { get; init; }
    public required string Overlay { get; init; }
    public string? RoutedBlock { get; init; }
    public string? WslAddress { get; init; }
    public bool Wsl { get; init; }
    /// <summary>How a command runs inside the host's WSL2, on the host (wsl.exe on Windows; the lab's `ip netns exec ...`).</summary>
    public string WslCommand { get; init; } = "";
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
    /// <summary>
    /// The inventory names WSL's owner (wsl_user, else deploy.user): what talks to WSL goes through the owner's runner
    /// (templates/_wsl-owner.ps1.scriban), which runs it in place when the account logged in is the owner. The host
    /// judges that ($env:USERNAME), not deploy.user: ~/.ssh/config may log in as another account.
    /// </summary>
    public bool WslOwnerNamed { get; init; }
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

    /// <summary>The names this host's hosts file (and its WSL2's) carries in flatnet's block (<see cref="MeshNames"/>); none on a lighthouse.</summary>
    public IReadOnlyList<NameEntry> Names { get; init; } = [];

    /// <summary><see cref="Names"/> as the hosts file's lines ("ADDRESS NAME"), joined once: a fleet's worth of lines per host.</summary>
    public string NameLines => string.Join("\n", Names.Select(n => $"{n.Address} {n.Name}"));

    /// <summary>Nebula's admin interface on this host; null renders none (VerifyPing then cannot say direct or relayed).</summary>
    public AdminModel? Admin { get; init; }

    public static HostModel ForHost(AddressPlan plan, HostAddresses host, PlatformFacts platform, PeerRoutes peers, Pki.AdminInterface? admin = null)
    {
        var net = plan.Inventory.Network;
        // A managed lighthouse: am_lighthouse (and am_relay with use_relays), the other lighthouses as its own, and no
        // routes to the hosts' blocks: then a new host leaves its config as it is, and AddHost never restarts it (a
        // restarted lighthouse forgets every host that does not report again, for up to lighthouse.interval).
        var lighthouse = host.Host.IsLighthouse;
        var model = new HostModel
        {
            Name = host.Name, Network = net.Name, Os = platform.Os, IsLighthouse = lighthouse,
            OverlayIp = host.OverlayAddress, OverlayCidr = host.OverlayCidr, Overlay = plan.Overlay.ToString(),
            RoutedBlock = host.RoutedBlock?.ToString(), WslAddress = host.WslAddress, Wsl = host.Host.Wsl, WslCommand = platform.WslCommand,
            ListenPort = net.ListenPort, UseRelays = net.UseRelays, Groups = host.Host.Groups,
            Lighthouses = LighthouseModels(plan).Where(l => l.Name != host.Name).ToList(),
            UnsafeRoutes = lighthouse ? [] : peers.UnsafeRoutesFor(host.Name),
            AdvertiseDenyInterfaces = platform.AdvertiseDenyInterfaces,
            Outbound = Rules(net.Firewall.Outbound, host.RoutedBlock), Inbound = Rules(net.Firewall.Inbound, host.RoutedBlock),
            Blocklist = BlockedFingerprints(plan), Tuning = net.Tuning,
            ServiceManager = net.Nebula.Windows.Service, WslDistro = net.Nebula.Windows.WslDistro, WslUser = host.Host.WslUser,
            WslOwnerNamed = host.Host.Wsl && host.Host.WslUser is not null,
            Paths = platform.Paths,
            Routes = RoutePlan.For(plan, host),
            Names = lighthouse ? [] : MeshNames.SeenFrom(plan, host.Name),
        };
        return admin is null ? model : model with
        {
            Admin = new AdminModel(admin.Port, $"{model.Paths.ConfigDir}/{Pki.AdminInterface.HostKeyFileName}",
                admin.User, admin.AuthorizedKey, model.Paths.ConfigDir),
        };
    }

    /// <summary>
    /// A lighthouse's own config, for a lighthouse flatnet does not manage (its operator's copy) or the lab's stand-in:
    /// <paramref name="platform"/> says where its files live.
    /// </summary>
    public static HostModel ForLighthouse(AddressPlan plan, LighthouseAddresses lighthouse, PlatformFacts platform)
    {
        var net = plan.Inventory.Network;
        return new HostModel
        {
            Name = lighthouse.Name, Network = net.Name, Os = platform.Os, IsLighthouse = true,
            OverlayIp = lighthouse.OverlayAddress, OverlayCidr = $"{lighthouse.OverlayAddress}/{plan.Overlay.PrefixLength}", Overlay = plan.Overlay.ToString(),
            ListenPort = net.ListenPort, UseRelays = net.UseRelays,
            Lighthouses = LighthouseModels(plan).Where(l => l.Name != lighthouse.Name).ToList(),
            AdvertiseDenyInterfaces = platform.AdvertiseDenyInterfaces,
            Outbound = Rules(net.Firewall.Outbound, null), Inbound = Rules(net.Firewall.Inbound, null),
            Blocklist = BlockedFingerprints(plan), Tuning = net.Tuning, ServiceManager = "systemd",
            Paths = platform.Paths,
        };
    }


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
}
