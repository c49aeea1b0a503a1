using Flatnet.Provisioning;
using Flatnet.Addressing;
using Flatnet.Tools;
using Flatnet.Versions;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Lab;

/// <summary>One lab host: its namespace ("Windows"), the namespace behind it ("WSL2"; none for a host with wsl: false),
/// its LAN address (behind a NAT router, the router's: SSH to it is forwarded to the host) and the Nebula it runs.</summary>
public sealed record LabHost(string Name, NetworkNamespace Host, NetworkNamespace? Wsl, string Underlay, LabNat Nat)
{
    /// <summary>The NAT router in front of the host; none on the LAN.</summary>
    public NetworkNamespace? Router { get; init; }

    public NetworkNamespace WslNamespace => Wsl ?? throw new FlatnetException($"lab: {Name} has no WSL2 (wsl: false in its inventory file)");
}

/// <summary>
/// What stands between a lab host and the LAN. Cone: a NAT router that keeps source ports (hole punching works).
/// Symmetric: one that picks a new port for every destination (--random-fully), so punching fails and Nebula
/// must relay through the lighthouse.
/// </summary>
public enum LabNat { None, Cone, Symmetric }

/// <summary>What a lab is built with, besides the source workspace and its folder.</summary>
public sealed record LabOptions
{
    /// <summary>Hosts in the lab's inventory from the start (all when null); the others get namespaces and sshd but
    /// join the inventory only when <see cref="LabNetwork.Enroll"/> is called, as a new PC would.</summary>
    public IEnumerable<string>? Enrolled { get; init; }
    /// <summary>Hosts put behind their own NAT router, and which kind.</summary>
    public IReadOnlyDictionary<string, LabNat> Nat { get; init; } = new Dictionary<string, LabNat>();
    /// <summary>Which Nebula release each daemon runs (fetched into tools/nebula/ when missing).</summary>
    public LabVersions Versions { get; init; } = LabVersions.MachineDefault;
    /// <summary>Hosts that are Windows stand-ins (<see cref="LabWindows"/>): os: windows in the lab's inventory, reached as Windows' OpenSSH is.</summary>
    public IReadOnlyCollection<string> Windows { get; init; } = [];
    /// <summary>False: the lab's lighthouses run with relay.am_relay: false, as a Stage 1 lighthouse may.</summary>
    public bool LighthousesRelay { get; init; } = true;

    /// <summary>
    /// The lighthouses are flatnet's (managed: true): their namespaces run sshd like a host's, and flatnet signs,
    /// bundles and deploys them (AddHost --host=lighthouse) instead of the lab starting a Stage 1 stand-in.
    /// </summary>
    public bool ManagedLighthouses { get; init; }
}

/// <summary>
/// The local lab: real nebula and sshd in network namespaces standing in for the Windows PCs of the spec
/// (<see cref="LabTopology"/> draws it). Only addresses inside these namespaces are used. Dispose ends every process
/// in them and deletes them. Its parts: <see cref="LabTopology"/> (wires), <see cref="LabSshd"/> (how flatnet reaches
/// the hosts), <see cref="LabInventory"/> (artifacts/lab/hosts), <see cref="LabLighthouses"/>, <see cref="LabFaults"/>.
/// </summary>
public sealed class LabNetwork : IDisposable
{
    private readonly List<NetworkNamespace> _namespaces = [];
    private readonly LabTopology _wires;
    private readonly IReporter _log;
    private readonly NebulaReleases _releases;
    private readonly LabOptions _options;
    private readonly LabInventory _inventory;
    private readonly LabSshd _sshd;
    private LabLighthouses? _lighthouses;

    public string Directory { get; }
    public Workspace Workspace { get; }
    public IReadOnlyList<LabHost> Hosts { get; private set; } = [];
    public IReadOnlyList<LabLighthouse> Lighthouses => _lighthouses?.All ?? [];
    public string InventoryDirectory => _inventory.Directory;
    public LabFaults Faults => new(Directory, Hosts, _sshd);

    /// <summary>This lab's id (its namespaces are fn-ID-..., its link fnl-ID) and its LAN.</summary>
    public string Id => _wires.Id;
    public LabTopology Wires => _wires;

    private LabNetwork(string directory, Workspace source, IReporter log, LabOptions options, LabTopology wires)
    {
        _wires = wires;
        Directory = directory;
        _log = log;
        _options = options;
        _releases = new NebulaReleases(source.ToolsDirectory);
        _inventory = new LabInventory(directory, source.InventoryDirectory, wires);
        _sshd = new LabSshd(directory);
        Workspace = source with { InventoryDirectory = _inventory.Directory, ArtifactsDirectory = Path.Combine(directory, "artifacts") };
    }

    public static LabNetwork Build(Workspace source, string directory, IReporter log, LabOptions? options = null)
    {
        NetworkNamespace.RequireRoot("the lab");
        Clean(log);
        options ??= new LabOptions();
        var sourcePlan = AddressPlan.Load(source.InventoryDirectory);
        SafeFiles.DeleteOwnedDirectory(directory);
        SafeFiles.CreateOwnedDirectory(directory);
        var claim = LabRegistry.Claim(directory);
        var lab = new LabNetwork(Path.GetFullPath(directory), source, log, options, new LabTopology(claim.Id, claim.Octet));
        try
        {
            foreach (var v in options.Versions.All) lab._releases.Require(v, "nebula", log);
            lab.Create(sourcePlan, options.Enrolled?.ToHashSet() ?? sourcePlan.Pcs.Select(h => h.Name).ToHashSet());
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Removes what labs whose owner is gone left (a killed run): their namespaces, processes and links. A lab that
    /// runs, here or in another process, is never touched; a kept one (--keep) only when <paramref name="kept"/>.
    /// </summary>
    /// <param name="keptIn">with <paramref name="kept"/>: only the kept labs of this lab folder (a checkout's
    /// artifacts/lab), never another checkout's; null: every kept lab.</param>
    public static void Clean(IReporter log, bool kept = false, string? keptIn = null)
    {
        var dead = LabRegistry.Dead(kept, keptIn).ToHashSet();
        var live = LabRegistry.All().Where(l => !dead.Contains(l.Id)).Select(l => l.Id).ToHashSet();
        // A namespace or link of an id no registered lab has is an older flatnet's leftover, and dead too.
        bool Gone(string name) => LabRegistry.IdOf(name) is { } id && !live.Contains(id);
        var namespaces = NetworkNamespace.All().Where(Gone).ToList();
        foreach (var name in namespaces) NetworkNamespace.Attach(name).Dispose();
        foreach (var name in NetworkNamespace.EtcLeft().Where(Gone)) NetworkNamespace.RemoveEtc(name);
        foreach (var link in LabTopology.Links().Where(Gone)) LabTopology.RemoveLink(link);
        foreach (var id in dead) LabRegistry.Forget(id);
        if (namespaces.Count > 0) log.Info($"lab: removed {namespaces.Count} namespace(s) that labs no longer running left: {string.Join(", ", namespaces)}");
        if (kept && keptIn is not null && LabRegistry.All().Where(l => l.Kept && !dead.Contains(l.Id)).ToList() is { Count: > 0 } others)
            log.Info($"lab: left running, kept by another checkout: {string.Join(", ", others.Select(l => $"fn-{l.Id} ({l.Directory ?? "its folder not recorded"})"))}; --all removes those too");
    }

    private void Create(AddressPlan sourcePlan, HashSet<string> enrolled)
    {
        var id = _wires.Id;
        var lan = Add($"fn-{id}-lan");
        _wires.CreateLan(lan);
        var lighthouseNamespaces = new List<NetworkNamespace>();
        for (var i = 0; i < Math.Max(1, sourcePlan.Lighthouses.Count); i++)
        {
            var ns = Add($"fn-{id}-lh{i + 1}");
            if (i < sourcePlan.Lighthouses.Count) ns.BindEtc("hosts", Path.Combine(Directory, sourcePlan.Lighthouses[i].Name, "etc", "hosts"), LabEtc.LinuxHosts);
            LabTopology.Attach(lan, ns, $"{_wires.Lan}.{i + 1}/24");
            lighthouseNamespaces.Add(ns);
        }
        _sshd.MakeClientKey();
        // A managed lighthouse is reached like a host: its sshd's key is pinned in the lab's network.yaml.
        var lighthouseKeys = !_options.ManagedLighthouses ? [] : sourcePlan.Lighthouses.Select((l, i) =>
            _sshd.Start(new LabHost(l.Name, lighthouseNamespaces[i], null, $"{_wires.Lan}.{i + 1}", LabNat.None), $"{_wires.Lan}.{i + 1}")).ToList();

        var hosts = new List<LabHost>();
        var pcs = sourcePlan.Pcs.ToList();
        var versions = _options.Versions;
        // nebula-cert: the newest release in play (it reads every certificate version the others do), else this machine's.
        var certTool = versions.All.Any() ? _releases.Find(versions.All.Max(), "nebula-cert") : null;
        var unknown = _options.Windows.Except(pcs.Select(p => p.Name)).ToList();
        if (unknown.Count > 0)
            throw new UsageError($"names no host of the inventory: {string.Join(", ", unknown)}", $"name hosts of {Workspace.Relative(InventoryDirectory)}: {string.Join(", ", pcs.Select(p => p.Name))}", "--windows");
        for (var i = 0; i < pcs.Count; i++)
        {
            var source = pcs[i];
            var host = Add($"fn-{id}-h{i + 1}");
            // A host with wsl: false in the inventory has no WSL2 here either.
            var wsl = source.Host.Wsl ? Add($"fn-{id}-w{i + 1}") : null;
            // Each "machine" resolves names with a hosts file of its own, in the lab folder, which the install writes.
            var windowsHost = _options.Windows.Contains(source.Name);
            host.BindEtc("hosts", windowsHost ? LabWindows.HostsFile(Directory, source.Name) : Path.Combine(Directory, source.Name, "etc", "hosts"),
                windowsHost ? LabEtc.WindowsHosts : LabEtc.LinuxHosts);
            wsl?.BindEtc("hosts", Path.Combine(Directory, source.Name, "wsl-etc", "hosts"), LabEtc.LinuxHosts);
            var underlay = $"{_wires.Lan}.{11 + i}";
            var kind = _options.Nat.GetValueOrDefault(source.Name, LabNat.None);
            var listen = underlay;
            NetworkNamespace? router = null;
            if (kind == LabNat.None) LabTopology.Attach(lan, host, underlay + "/24");
            else
            {
                router = Add($"fn-{id}-r{i + 1}");
                LabTopology.Attach(lan, router, underlay + "/24");
                listen = LabTopology.BehindNat(router, host, i + 1, kind);
            }
            if (wsl is not null) LabTopology.ConnectWsl(host, wsl);
            var lab = new LabHost(source.Name, host, wsl, underlay, kind) { Router = router };
            hosts.Add(lab);
            var daemon = Daemon(versions.ForHost(i));
            var windows = _options.Windows.Contains(source.Name)
                ? LabWindows.Prepare(Directory, lab, daemon, certTool ?? LabPrerequisites.Which("nebula-cert") ?? throw new FlatnetException("lab: nebula-cert is not installed", fix: "apt-get install nebula"),
                    (_sshd.Config(source.Name), _sshd.PidFile(source.Name), _sshd.Log(source.Name)))
                : null;
            var hostKey = _sshd.Start(lab, listen, windows);
            _inventory.WriteHost(source, lab, hostKey, _sshd.ClientKey, daemon, enrolled.Contains(source.Name), windows: windows is not null);
        }
        Hosts = hosts;
        _inventory.WriteNetwork(Daemon(versions.ForLighthouse), certTool, Daemon(null).Binary,
            _options.ManagedLighthouses ? new LabManagedLighthouses(lighthouseKeys, _sshd.ClientKey) : null,
            _options.Windows.Count > 0 ? LabWindows.Release(Directory) : null);
        _lighthouses = LabLighthouses.Create(new FlatnetContext(Workspace, _log), lighthouseNamespaces, Directory, _wires.Lan, Daemon(versions.ForLighthouse), versions.CaVersion,
            _options.LighthousesRelay, _options.ManagedLighthouses);
        foreach (var h in hosts) LabSshd.WaitForPort(h.Underlay, 22, $"sshd on {h.Name}");
        foreach (var l in _options.ManagedLighthouses ? Lighthouses : []) LabSshd.WaitForPort(l.Underlay, 22, $"sshd on {l.Name}");
        _log.Info($"lab: {hosts.Count} host(s) on {_wires.Lan}.0/24, lighthouse(s) {string.Join(", ", Lighthouses.Select(l => l.Underlay))}; inventory {Workspace.Relative(InventoryDirectory)}");
    }

    /// <summary>Puts a host that has namespaces but is not yet in the lab's inventory into it (a new PC joining).</summary>
    public void Enroll(string name) => _inventory.Enroll(name);

    public void StartLighthouse(string name) => _lighthouses!.Start(name);

    public void StopLighthouse(string name) => _lighthouses!.Stop(name);

    /// <summary>The nebula binary of a release (null: this machine's) and the release it is, as the lab's inventory declares it.</summary>
    private LabDaemon Daemon(NebulaVersion? release)
    {
        if (release is { } v) return new LabDaemon(_releases.Find(v, "nebula")!, v);
        var machine = LabPrerequisites.Which("nebula") ?? throw new FlatnetException("lab: nebula is not installed", fix: "apt-get install nebula, or pass --nebula=VERSION");
        return new LabDaemon(machine, new Nebula(machine).Version);
    }

    private NetworkNamespace Add(string name)
    {
        var ns = NetworkNamespace.Create(name);
        _namespaces.Add(ns);
        return ns;
    }

    /// <summary>Removes one lab by its id, kept or not: its namespaces (and every process in them), its link, its registration.</summary>
    public static void Remove(string id)
    {
        foreach (var name in NetworkNamespace.All().Where(n => LabRegistry.IdOf(n) == id)) NetworkNamespace.Attach(name).Dispose();
        LabTopology.RemoveLink($"fnl-{id}");
        LabRegistry.Forget(id);
    }

    /// <summary>Leaves the lab running after this process ends (--keep): cleaning leaves it until LabClean removes kept labs.</summary>
    public void Keep() => LabRegistry.Keep(Id);

    public void Dispose()
    {
        for (var i = _namespaces.Count - 1; i >= 0; i--) _namespaces[i].Dispose();
        _namespaces.Clear();
        _wires.RemoveBuildMachineLink();
        LabRegistry.Forget(Id);
    }
}
