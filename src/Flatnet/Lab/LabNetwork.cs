using System.Net.Sockets;
using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Pki;
using Flatnet.Rendering;
using Flatnet.Tools;
using Flatnet.Versions;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Flatnet.Lab;

/// <summary>One lab host: its namespace ("Windows"), the namespace behind it ("WSL2"; none for a host with wsl: false),
/// its LAN address (behind a NAT router, the router's: SSH to it is forwarded to the host) and the Nebula it runs.</summary>
public sealed record LabHost(string Name, NetworkNamespace Host, NetworkNamespace? Wsl, string Underlay, LabNat Nat)
{
    public NetworkNamespace WslNamespace => Wsl ?? throw new FlatnetException($"lab: {Name} has no WSL2 (wsl: false in its inventory file)");
}

/// <summary>
/// What stands between a lab host and the LAN. Cone: a NAT router that keeps source ports (hole punching works).
/// Symmetric: one that picks a new port for every destination (--random-fully), so punching fails and Nebula
/// must relay through the lighthouse.
/// </summary>
public enum LabNat { None, Cone, Symmetric }

/// <summary>
/// The local lab: real nebula and sshd in network namespaces standing in for the Windows PCs of the spec.
///   lan      a bridge: the LAN 198.18.0.0/24 (the build machine joins it as .254, like an admin PC)
///   lhN      the inventory's lighthouses, 198.18.0.N, each with its own nebula (Stage 1's, already running)
///   hN       host N at 198.18.0.(10+N), running sshd; flatnet deploys to it over real SSH
///   wN       its WSL2: 172.29.16.2/20 behind a NATed veth, the same range on every host (as WSL2 may pick)
/// Only addresses inside these namespaces are used. Dispose ends every process in them and deletes them.
/// The lab's inventory (artifacts/lab/hosts) is made from the source inventory with lab addresses and pinned host keys.
/// </summary>
public sealed class LabNetwork : IDisposable
{
    public const string Lan = "198.18.0";
    public const string WslNetwork = "172.29.16";
    private const string BuildMachineLink = "fnl-lab";

    private readonly List<NetworkNamespace> _namespaces = [];
    private readonly IReporter _log;
    private readonly string _sourceInventory;
    private readonly NebulaReleases _releases;
    private string? _pathPrefix;
    private LabVersions _versions = LabVersions.MachineDefault;

    public string Directory { get; }
    public Workspace Workspace { get; }
    public IReadOnlyList<LabHost> Hosts { get; private set; } = [];
    /// <summary>One lab lighthouse: its namespace and the nebula config it runs.</summary>
    public sealed record LabLighthouse(string Name, NetworkNamespace Namespace, string Underlay, string Config, string Log, string Binary);

    public IReadOnlyList<LabLighthouse> Lighthouses { get; private set; } = [];
    public string InventoryDirectory => Path.Combine(Directory, "hosts");

    private LabNetwork(string directory, Workspace source, IReporter log)
    {
        Directory = directory;
        _log = log;
        _sourceInventory = source.InventoryDirectory;
        _releases = new NebulaReleases(source.ToolsDirectory);
        Workspace = source with { InventoryDirectory = Path.Combine(directory, "hosts"), ArtifactsDirectory = Path.Combine(directory, "artifacts") };
    }

    /// <param name="enrolled">hosts that are in the lab's inventory from the start (all when null); the others
    /// get namespaces and sshd but join the inventory only when <see cref="Enroll"/> is called, as a new PC would.</param>
    /// <param name="pathPrefix">folders put first on the PATH of every SSH session on the lab's hosts (tests use it to
    /// give a "Windows" host a powershell.exe).</param>
    /// <param name="nat">hosts put behind their own NAT router, and which kind.</param>
    /// <param name="versions">which Nebula release each daemon runs (fetched into tools/nebula/ when missing).</param>
    public static LabNetwork Build(Workspace source, string directory, IReporter log, IEnumerable<string>? enrolled = null, string? pathPrefix = null,
        IReadOnlyDictionary<string, LabNat>? nat = null, LabVersions? versions = null)
    {
        NetworkNamespace.RequireRoot("the lab");
        Clean(log);
        var sourcePlan = AddressPlan.Build(InventoryLoader.Load(source.InventoryDirectory));
        SafeFiles.DeleteOwnedDirectory(directory);
        SafeFiles.CreateOwnedDirectory(directory);
        var lab = new LabNetwork(Path.GetFullPath(directory), source, log) { _pathPrefix = pathPrefix, _versions = versions ?? LabVersions.MachineDefault };
        foreach (var v in lab._versions.All) lab._releases.Require(v, "nebula", log);
        try
        {
            lab.Create(sourcePlan, enrolled?.ToHashSet() ?? sourcePlan.Hosts.Select(h => h.Name).ToHashSet(), nat ?? new Dictionary<string, LabNat>());
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>Removes what an earlier lab left (a killed run): its namespaces and the build machine's link.</summary>
    public static void Clean(IReporter log)
    {
        var left = NetworkNamespace.Leftovers();
        foreach (var name in left) NetworkNamespace.Attach(name).Dispose();
        ProcessRunner.Run("ip", ["link", "delete", BuildMachineLink]);
        if (left.Count > 0) log.Info($"lab: removed {left.Count} namespace(s) an earlier run left: {string.Join(", ", left)}");
    }

    private void Create(AddressPlan sourcePlan, HashSet<string> enrolled, IReadOnlyDictionary<string, LabNat> nat)
    {
        var id = Guid.NewGuid().ToString("N")[..4];
        var lan = Add(NetworkNamespace.Create($"fn-{id}-lan"));
        lan.Run("ip", "link", "add", "br0", "type", "bridge");
        lan.Run("ip", "link", "set", "br0", "up");

        // The build machine on the LAN, so flatnet reaches the hosts' sshd like an admin PC would.
        ProcessRunner.Run("ip", ["link", "add", BuildMachineLink, "type", "veth", "peer", "name", "fnl-peer"]).EnsureSuccess("ip link add");
        ProcessRunner.Run("ip", ["link", "set", "fnl-peer", "netns", lan.Name]).EnsureSuccess("ip link set");
        lan.Run("ip", "link", "set", "fnl-peer", "master", "br0");
        lan.Run("ip", "link", "set", "fnl-peer", "up");
        ProcessRunner.Run("ip", ["addr", "add", $"{Lan}.254/24", "dev", BuildMachineLink]).EnsureSuccess("ip addr add");
        ProcessRunner.Run("ip", ["link", "set", BuildMachineLink, "up"]).EnsureSuccess("ip link set up");

        var lighthouseNamespaces = new List<NetworkNamespace>();
        for (var i = 0; i < Math.Max(1, sourcePlan.Lighthouses.Count); i++)
        {
            var ns = Add(NetworkNamespace.Create($"fn-{id}-lh{i + 1}"));
            Attach(lan, ns, $"{Lan}.{i + 1}/24");
            lighthouseNamespaces.Add(ns);
        }

        var ssh = Path.Combine(Directory, "ssh");
        System.IO.Directory.CreateDirectory(ssh);
        SafeFiles.RestrictToOwner(ssh);
        KeyGen(Path.Combine(ssh, "id_ed25519"));
        File.Copy(Path.Combine(ssh, "id_ed25519.pub"), Path.Combine(ssh, "authorized_keys"));
        System.IO.Directory.CreateDirectory("/run/sshd"); // sshd's privilege-separation folder

        var hosts = new List<LabHost>();
        for (var i = 0; i < sourcePlan.Hosts.Count; i++)
        {
            var source = sourcePlan.Hosts[i];
            var host = Add(NetworkNamespace.Create($"fn-{id}-h{i + 1}"));
            // A host with wsl: false in the inventory has no WSL2 here either.
            var wsl = source.Host.Wsl ? Add(NetworkNamespace.Create($"fn-{id}-w{i + 1}")) : null;
            var underlay = $"{Lan}.{11 + i}";
            var kind = nat.GetValueOrDefault(source.Name, LabNat.None);
            var listen = underlay;
            if (kind == LabNat.None) Attach(lan, host, underlay + "/24");
            else
            {
                // The router holds the host's LAN address; the host sits behind it on 100.64.N.0/24.
                var router = Add(NetworkNamespace.Create($"fn-{id}-r{i + 1}"));
                Attach(lan, router, underlay + "/24");
                var inside = $"100.64.{i + 1}";
                listen = inside + ".2";
                NetworkNamespace.Link(router, "in0", inside + ".1/24", host, "lan0", listen + "/24");
                host.Run("ip", "route", "add", "default", "via", inside + ".1");
                router.Run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
                router.Run(["iptables", "-t", "nat", "-A", "POSTROUTING", "-s", inside + ".0/24", "-o", "lan0", "-j", "MASQUERADE",
                    .. kind == LabNat.Symmetric ? new[] { "--random-fully" } : []]);
                router.Run("iptables", "-t", "nat", "-A", "PREROUTING", "-i", "lan0", "-p", "tcp", "--dport", "22", "-j", "DNAT", "--to-destination", listen + ":22");
                // Like a home router, drop what nobody inside asked for. Dropped here, before conntrack confirms it,
                // a stray handshake leaves no state behind that would steal the port the host's punch needs.
                router.Run("iptables", "-A", "INPUT", "-i", "lan0", "-j", "DROP");
            }
            if (wsl is not null)
            {
                NetworkNamespace.Link(host, "veth-wsl", $"{WslNetwork}.1/20", wsl, "eth0", $"{WslNetwork}.2/20");
                wsl.Run("ip", "route", "add", "default", "via", $"{WslNetwork}.1");
                // WSL2's NAT: its own traffic to the LAN leaves as the host. Traffic from its stable address is routed, not NATed.
                host.Run("iptables", "-t", "nat", "-A", "POSTROUTING", "-s", $"{WslNetwork}.0/20", "-o", "lan0", "-j", "MASQUERADE");
            }
            var lab = new LabHost(source.Name, host, wsl, underlay, kind);
            hosts.Add(lab);
            var fingerprint = StartSshd(lab, listen, ssh);
            WriteHost(source, lab, fingerprint, ssh, Daemon(_versions.ForHost(i)), write: enrolled.Contains(source.Name));
        }
        Hosts = hosts;
        WriteNetwork();
        CreateLighthouses(lighthouseNamespaces);
        foreach (var h in hosts) WaitForPort(h.Underlay, 22, $"sshd on {h.Name}");
        _log.Info($"lab: {hosts.Count} host(s) on {Lan}.0/24, lighthouse(s) {string.Join(", ", Lighthouses.Select(l => l.Underlay))}; inventory {InventoryLoader.Display(InventoryDirectory)}");
    }

    /// <summary>Puts a host that has namespaces but is not yet in the lab's inventory into it (a new PC joining).</summary>
    public void Enroll(string name)
    {
        var staged = Path.Combine(Directory, "pending", name + ".yaml");
        if (!File.Exists(staged)) throw new FlatnetException($"lab: no pending host {name}");
        File.Move(staged, Path.Combine(InventoryDirectory, name + ".yaml"), overwrite: true);
    }

    /// <summary>
    /// Restarts a host's "WSL2" the way Windows does: a new VM (new MAC) that comes back with a new NAT address
    /// ({WslNetwork}.SUFFIX), after which WSL runs the [boot] command from its wsl.conf.
    /// </summary>
    public void RestartWsl(string host, int addressSuffix)
    {
        var wsl = Hosts.Single(h => h.Name == host).WslNamespace;
        wsl.Run("ip", "addr", "flush", "dev", "eth0");
        wsl.Run("ip", "link", "set", "dev", "eth0", "down");
        wsl.Run("ip", "link", "set", "dev", "eth0", "address", $"02:f1:a7:00:00:{addressSuffix:x2}");
        wsl.Run("ip", "link", "set", "dev", "eth0", "up");
        wsl.Run("ip", "addr", "add", $"{WslNetwork}.{addressSuffix}/20", "dev", "eth0");
        wsl.Run("ip", "route", "add", "default", "via", $"{WslNetwork}.1");
        var boot = File.ReadAllLines(Path.Combine(Directory, host, "wsl-etc", "wsl.conf")).Single(l => l.StartsWith("command = ")).Split('"')[1];
        wsl.Run("bash", boot);
    }

    private NetworkNamespace Add(NetworkNamespace ns)
    {
        _namespaces.Add(ns);
        return ns;
    }

    private static void Attach(NetworkNamespace lan, NetworkNamespace node, string address)
    {
        var port = "p-" + node.Name[3..];
        NetworkNamespace.Link(lan, port, null, node, "lan0", address);
        lan.Run("ip", "link", "set", port, "master", "br0");
    }

    private static void KeyGen(string path) =>
        SshKeygen.Ed25519(path, "flatnet-lab");

    private string StartSshd(LabHost host, string listen, string ssh)
    {
        var dir = Path.Combine(Directory, host.Name);
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "etc"));
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "wsl-etc"));
        var hostKey = Path.Combine(dir, "ssh_host_ed25519_key");
        KeyGen(hostKey);
        var config = Path.Combine(dir, "sshd_config");
        // SetEnv makes this "machine" keep its persistent files (sysctl.d) in the lab folder, never in the real /etc,
        // and run nebula as a plain process (there is no systemd inside a namespace).
        File.WriteAllText(config, $"""
            ListenAddress {listen}
            Port 22
            HostKey {hostKey}
            PidFile {Path.Combine(dir, "sshd.pid")}
            AuthorizedKeysFile {Path.Combine(ssh, "authorized_keys")}
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            Subsystem sftp internal-sftp
            SetEnv FLATNET_ETC={Path.Combine(dir, "etc")} FLATNET_SERVICE=pidfile PATH={(_pathPrefix is null ? "" : _pathPrefix + ":")}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

            """);
        var sshd = LabPrerequisites.Which("sshd")!;
        host.Host.Run(sshd, "-t", "-f", config);
        host.Host.Run(sshd, "-f", config, "-E", Path.Combine(dir, "sshd.log"));
        var print = ProcessRunner.Run("ssh-keygen", ["-l", "-E", "sha256", "-f", hostKey + ".pub"]).EnsureSuccess("ssh-keygen -l");
        return print.StdOut.Split(' ')[1];
    }

    /// <summary>The nebula binary of a release (null: this machine's) and the release it is, as the lab's inventory declares it.</summary>
    private (string Binary, NebulaVersion Version) Daemon(NebulaVersion? release)
    {
        if (release is { } v) return (_releases.Find(v, "nebula")!, v);
        var machine = LabPrerequisites.Which("nebula") ?? throw new FlatnetException("lab: nebula is not installed.\n    fix: apt-get install nebula, or pass --nebula=VERSION");
        return (machine, new Nebula(machine).Version);
    }

    private void WriteHost(HostAddresses source, LabHost lab, string fingerprint, string ssh, (string Binary, NebulaVersion Version) nebula, bool write)
    {
        var doc = new HostDocument
        {
            Name = source.Name,
            Index = source.Host.Index,
            OverlayIp = source.Host.OverlayIp,
            RoutedBlock = source.Host.RoutedBlock,
            Os = "linux",
            Groups = source.Host.Groups.ToList(),
            Wsl = source.Host.Wsl,
            NebulaVersion = nebula.Version.ToString(),
            NebulaBinary = nebula.Binary,
            Root = Path.Combine(Directory, source.Name, "flatnet"),
            WslCommand = lab.Wsl is null ? null : $"ip netns exec {lab.Wsl.Name} env FLATNET_ETC={Path.Combine(Directory, source.Name, "wsl-etc")}",
            Deploy = new DeployDocument
            {
                Transport = "ssh", Address = lab.Underlay, Port = 22, User = "root",
                Identity = Path.Combine(ssh, "id_ed25519"), HostKey = fingerprint, KeygenOnHost = source.Host.Deploy.KeygenOnHost,
            },
        };
        var folder = write ? InventoryDirectory : Path.Combine(Directory, "pending");
        System.IO.Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, source.Name + ".yaml"),
            $"# Lab stand-in for {source.Name}: namespace {lab.Host.Name} (LAN {lab.Underlay}), {(lab.Wsl is null ? "no WSL2" : "its WSL2 " + lab.Wsl.Name)}, Nebula {nebula.Version}. Made by the Lab target.\n" + Yaml.Serialize(doc));
    }

    private void WriteNetwork()
    {
        var source = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
            .Deserialize<NetworkDocument>(File.ReadAllText(Path.Combine(_sourceInventory, InventoryLoader.NetworkFileName)));
        source.Ca = new CaDocument { Name = "flatnet-lab-ca", Crt = "pki/ca.crt", Key = "pki/ca.key", CreateIfMissing = true };
        var port = source.ListenPort ?? 4242;
        var lighthouse = Daemon(_versions.ForLighthouse);
        source.Lighthouses = [.. (source.Lighthouses ?? []).Select((l, i) => new LighthouseDocument
            { Name = l.Name, OverlayIp = l.OverlayIp, Endpoints = [$"{Lan}.{i + 1}:{port}"], NebulaVersion = lighthouse.Version.ToString() })];
        // nebula-cert: the newest release in play (it reads every certificate version the others do), else this machine's.
        var certTool = _versions.All.Any() ? _releases.Find(_versions.All.Max(), "nebula-cert") : null;
        source.Nebula = new NebulaDocument { CertTool = certTool, Linux = new LinuxNebulaDocument { Binary = Daemon(null).Binary } };
        System.IO.Directory.CreateDirectory(InventoryDirectory);
        File.WriteAllText(Path.Combine(InventoryDirectory, InventoryLoader.NetworkFileName),
            "# The lab's network, made by the Lab target from hosts/network.yaml: lab CA, lab lighthouse address.\n" + Yaml.Serialize(source));
    }

    private void CreateLighthouses(IReadOnlyList<NetworkNamespace> namespaces)
    {
        var control = new ControlPlane(Workspace, _log);
        if (_versions.CaVersion is { } forced)
        {
            // A CA of a given version, as a Stage 1 lighthouse made it, before flatnet chooses one.
            var settings = control.Plan().Inventory.Network.Ca;
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(settings.KeyPath)!);
            control.NebulaCert.Ca(new NebulaCertCaSettings(settings.Name, settings.CrtPath, settings.KeyPath) { CertificateVersion = forced });
        }
        control.InitCa();
        control.Ca.RequireUsable(); // a CA some daemon cannot read stops the lab here, before anything runs
        var plan = control.Plan();
        var lighthouseNebula = Daemon(_versions.ForLighthouse);
        var lighthouses = new List<LabLighthouse>();
        for (var i = 0; i < plan.Lighthouses.Count; i++)
        {
            var lighthouse = plan.Lighthouses[i];
            var model = HostModel.ForLighthouse(plan, lighthouse, Path.Combine(Directory, lighthouse.Name), lighthouseNebula.Binary);
            System.IO.Directory.CreateDirectory(model.Paths.ConfigDir);
            System.IO.Directory.CreateDirectory(model.Paths.LogsDir);
            File.Copy(control.Ca.CrtPath, model.Paths.Ca);
            control.NebulaCert.Sign(new NebulaCertSignSettings(lighthouse.Name, $"{lighthouse.OverlayAddress}/{plan.Overlay.PrefixLength}",
                control.Ca.CrtPath, control.Ca.KeyPath, model.Paths.Cert) { OutKey = model.Paths.Key, Groups = ["lighthouse"] });
            File.WriteAllText(model.Paths.Config, control.Renderer.RenderConfig(model));
            new Nebula(lighthouseNebula.Binary).Test(model.Paths.Config, lighthouse.Name);
            lighthouses.Add(new LabLighthouse(lighthouse.Name, namespaces[i], $"{Lan}.{i + 1}", model.Paths.Config, model.Paths.Log, model.Paths.NebulaBinary));
        }
        Lighthouses = lighthouses;
        foreach (var l in lighthouses) StartLighthouse(l.Name);
    }

    /// <summary>Starts a lab lighthouse's nebula (they all start with the lab); fails at once, with its log, if it does not come up.</summary>
    public void StartLighthouse(string name)
    {
        var l = Lighthouses.Single(x => x.Name == name);
        l.Namespace.Start(l.Log, l.Binary, "-config", l.Config);
        // Up means: the process lives and has made its interface. A bad config or certificate ends it within a moment.
        for (var i = 0; i < 30; i++)
        {
            Thread.Sleep(100);
            if (!l.Namespace.Runs("nebula")) break;
            if (l.Namespace.Try("ip", "link", "show", HostModel.DefaultTunDevice).Succeeded) return;
        }
        var said = File.Exists(l.Log) ? string.Join("\n      ", File.ReadAllLines(l.Log).TakeLast(6)) : "(no log)";
        throw new FlatnetException($"lab: the lighthouse {name}'s nebula ({l.Binary}) did not start.\n    its log ({InventoryLoader.Display(l.Log)}):\n      {said}");
    }

    /// <summary>Stops a lab lighthouse's nebula, as if that machine went down.</summary>
    public void StopLighthouse(string name) => Lighthouses.Single(x => x.Name == name).Namespace.KillAll();

    private static void WaitForPort(string address, int port, string what)
    {
        for (var i = 0; i < 50; i++)
        {
            try
            {
                using var client = new TcpClient();
                if (client.ConnectAsync(address, port).Wait(200) && client.Connected) return;
            }
            catch (AggregateException) { }
            Thread.Sleep(100);
        }
        throw new FlatnetException($"lab: {what} did not come up at {address}:{port}");
    }

    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .Build();

    public void Dispose()
    {
        for (var i = _namespaces.Count - 1; i >= 0; i--) _namespaces[i].Dispose();
        _namespaces.Clear();
        ProcessRunner.Run("ip", ["link", "delete", BuildMachineLink]);
    }
}
