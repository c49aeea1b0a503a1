using System.Reflection;
using System.Text.RegularExpressions;
using Flatnet.Addressing;
using Flatnet.Versions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Flatnet.Inventory;

/// <summary>
/// Reads hosts/network.yaml and every other hosts/*.yaml (one host each) into an <see cref="Inventory"/>.
/// Shape errors (unknown keys, wrong types, missing required fields) are reported here with file and line;
/// address-plan rules (overlaps, duplicates) are <see cref="AddressPlan"/>'s job.
/// Relative paths in network.yaml are taken from the folder that holds the inventory folder (the repo root for hosts/).
/// </summary>
public static partial class InventoryLoader
{
    public const string NetworkFileName = "network.yaml";

    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    public static Inventory Load(string inventoryDirectory)
    {
        var dir = Path.GetFullPath(inventoryDirectory);
        if (!System.IO.Directory.Exists(dir))
            throw new FlatnetException(FlatnetException.Describe(Display(dir), null, "the inventory folder does not exist",
                "run from the repository root, or pass --inventory=FOLDER with network.yaml and one <host>.yaml per host"));
        var networkFile = Path.Combine(dir, NetworkFileName);
        if (!File.Exists(networkFile))
            throw new FlatnetException(FlatnetException.Describe(Display(networkFile), null, "missing",
                "create it; README.md shows the format, hosts/network.yaml in the repository is a complete example"));

        var baseDir = Path.GetDirectoryName(dir) ?? dir;
        var network = ToNetwork(Display(networkFile), Read<NetworkDocument>(networkFile), baseDir);
        var hosts = System.IO.Directory.GetFiles(dir, "*.yaml")
            .Where(f => Path.GetFileName(f) != NetworkFileName)
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => ToHost(Display(f), Read<HostDocument>(f), network))
            .ToList();
        return new Inventory(dir, network, hosts, ReadBlocklist(Path.Combine(dir, Inventory.BlocklistFileName)));
    }

    /// <summary>A path as the user would type it: relative to the current folder when below it.</summary>
    public static string Display(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    /// <summary>hosts/blocklist.txt: "fingerprint name date" per line, # comments. Written by RevokeHost.</summary>
    private static List<RevokedCert> ReadBlocklist(string file)
    {
        if (!File.Exists(file)) return [];
        var list = new List<RevokedCert>();
        var n = 0;
        foreach (var raw in File.ReadLines(file))
        {
            n++;
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[0].Length != 64 || !parts[0].All(Uri.IsHexDigit))
                throw new FlatnetException(FlatnetException.Describe(Display(file), $"line {n}", "expected 'FINGERPRINT NAME [DATE]' with a 64-hex-digit fingerprint",
                    "fix the line, or remove it to re-admit that certificate"));
            list.Add(new RevokedCert(parts[0].ToLowerInvariant(), parts[1], parts.Length > 2 ? parts[2] : ""));
        }
        return list;
    }

    private static T Read<T>(string file) where T : new()
    {
        try
        {
            return Yaml.Deserialize<T>(File.ReadAllText(file)) ?? new T();
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message ?? e.Message;
            var unknown = UnknownProperty().Match(e.Message);
            var at = $"line {e.Start.Line}";
            if (unknown.Success)
            {
                var type = typeof(T).Assembly.GetTypes().FirstOrDefault(t => t.FullName == unknown.Groups[2].Value) ?? typeof(T);
                throw new FlatnetException(FlatnetException.Describe(Display(file), at,
                    $"unknown key '{unknown.Groups[1].Value}'",
                    $"check the spelling; keys allowed here: {string.Join(", ", KnownKeys(type))}"), e);
            }
            throw new FlatnetException(FlatnetException.Describe(Display(file), at, $"not valid here: {inner}",
                "compare with the example in README.md"), e);
        }
    }

    [GeneratedRegex(@"Property '([^']+)' not found on type '([^']+)'")]
    private static partial Regex UnknownProperty();

    private static IEnumerable<string> KnownKeys(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => UnderscoredNamingConvention.Instance.Apply(p.Name));

    private static NetworkSettings ToNetwork(string file, NetworkDocument d, string baseDir)
    {
        Ipv4Network ParseNet(string? value, string field, string fallback)
        {
            if (Ipv4Network.TryParse(value ?? fallback, out var net, out var error)) return net;
            throw new FlatnetException(FlatnetException.Describe(file, field, error, $"write it like {fallback}"));
        }

        var ca = d.Ca ?? new CaDocument();
        var lighthouses = (d.Lighthouses ?? []).Select((l, i) => new Lighthouse(
            Required(l.Name, file, $"lighthouses[{i}].name", "the lighthouse's certificate name, e.g. lighthouse"),
            Required(l.OverlayIp, file, $"lighthouses[{i}].overlay_ip", "its Nebula IP, e.g. 10.100.0.1"),
            l.Endpoints ?? []) { NebulaVersion = Version(l.NebulaVersion, file, $"lighthouses[{i}].nebula_version") }).ToList();
        var nebula = d.Nebula ?? new NebulaDocument();
        var windows = nebula.Windows ?? new WindowsNebulaDocument();
        var linux = nebula.Linux ?? new LinuxNebulaDocument();
        var service = (windows.Service ?? "nebula").ToLowerInvariant();
        if (service is not ("nebula" or "nssm"))
            throw new FlatnetException(FlatnetException.Describe(file, "nebula.windows.service", $"'{windows.Service}' is not a service manager flatnet knows",
                "use nebula (nebula.exe -service install) or nssm"));

        return new NetworkSettings(
            file,
            d.Name ?? "flatnet",
            ParseNet(d.Overlay, "overlay", "10.100.0.0/16"),
            ParseNet(d.RoutedPool, "routed_pool", "10.101.0.0/16"),
            d.RoutedPrefix ?? 24,
            d.ListenPort ?? 4242,
            d.UseRelays ?? true,
            d.Groups ?? ["flatnet", "gateway"],
            new CaSettings(
                ca.Name ?? "flatnet-ca",
                Path.GetFullPath(ca.Crt ?? "pki/ca.crt", baseDir),
                Path.GetFullPath(ca.Key ?? "pki/ca.key", baseDir),
                ca.Duration,
                ca.CreateIfMissing ?? false),
            d.CertDuration,
            lighthouses,
            d.Firewall is null ? FirewallPolicy.SpecDefault : new FirewallPolicy(
                (d.Firewall.Outbound ?? []).Select((r, i) => ToRule(file, $"firewall.outbound[{i}]", r)).ToList(),
                (d.Firewall.Inbound ?? []).Select((r, i) => ToRule(file, $"firewall.inbound[{i}]", r)).ToList()),
            new NebulaSettings(
                nebula.CertTool is null ? null : Path.GetFullPath(nebula.CertTool, baseDir),
                new WindowsNebula(windows.Root ?? @"F:\flatnet",
                    windows.Binaries is null ? null : Path.GetFullPath(windows.Binaries, baseDir), service, windows.WslDistro),
                new LinuxNebula(linux.Root ?? "/opt/flatnet", linux.Binary ?? "/usr/bin/nebula")) { AdminPort = AdminPort(nebula.AdminPort, file) },
            d.Tuning is null ? Tuning.Flatnet : new Tuning(
                d.Tuning.Mtu ?? Tuning.Flatnet.Mtu, d.Tuning.TxQueue ?? Tuning.Flatnet.TxQueue,
                d.Tuning.ReadBuffer ?? Tuning.Flatnet.ReadBuffer, d.Tuning.WriteBuffer ?? Tuning.Flatnet.WriteBuffer));
    }

    private static FirewallRule ToRule(string file, string field, FirewallRuleDocument r)
    {
        var groups = new List<string>();
        if (r.Group is not null) groups.Add(r.Group);
        groups.AddRange(r.Groups ?? []);
        if (r.Host is null && groups.Count == 0 && r.Cidr is null)
            throw new FlatnetException(FlatnetException.Describe(file, field, "the rule says nothing about whom it allows",
                "add host: any, group: NAME, groups: [A, B] or cidr: NET, as in Nebula's examples/config.yml"));
        var proto = (r.Proto ?? "any").ToLowerInvariant();
        if (proto is not ("any" or "tcp" or "udp" or "icmp"))
            throw new FlatnetException(FlatnetException.Describe(file, field + ".proto", $"'{r.Proto}' is not a protocol Nebula filters on",
                "use any, tcp, udp or icmp"));
        return new FirewallRule(r.Port ?? "any", proto, r.Host, groups, r.Cidr);
    }

    private static HostEntry ToHost(string file, HostDocument d, NetworkSettings network)
    {
        var os = (d.Os ?? "windows").ToLowerInvariant() switch
        {
            "windows" => HostOs.Windows,
            "linux" => HostOs.Linux,
            _ => throw new FlatnetException(FlatnetException.Describe(file, "os", $"'{d.Os}' is not supported", "use windows or linux")),
        };
        var deploy = d.Deploy ?? new DeployDocument();
        var transport = (deploy.Transport ?? "none").ToLowerInvariant() switch
        {
            "none" => DeployTransport.None,
            "ssh" => DeployTransport.Ssh,
            "winrm" => DeployTransport.WinRm,
            _ => throw new FlatnetException(FlatnetException.Describe(file, "deploy.transport", $"'{deploy.Transport}' is not a transport flatnet knows",
                "use ssh, winrm, or none (bundle only, installed by hand)")),
        };
        if (transport != DeployTransport.None && string.IsNullOrWhiteSpace(deploy.Address))
            throw new FlatnetException(FlatnetException.Describe(file, "deploy.address", $"transport {deploy.Transport} needs an address",
                "set deploy.address to the host's LAN address or DNS name, or set deploy.transport: none"));
        if (os == HostOs.Linux && (d.Wsl ?? true) && string.IsNullOrWhiteSpace(d.WslCommand))
            throw new FlatnetException(FlatnetException.Describe(file, "wsl_command", "a Linux host with wsl: true needs a way into its WSL",
                "set wsl_command to the command prefix that runs a command there, or set wsl: false"));
        var name = Required(d.Name, file, "name", $"set name: {Path.GetFileNameWithoutExtension(file)} (the file name without .yaml)");
        if (os == HostOs.Windows && d.NebulaBinary is not null)
            throw new FlatnetException(FlatnetException.Describe(file, "nebula_binary", "is for Linux hosts; a Windows host runs ROOT\\nebula\\nebula.exe",
                "remove nebula_binary, or set os: linux"));
        return new HostEntry(file, name, d.Index, os, d.OverlayIp, d.RoutedBlock,
            d.Groups ?? network.Groups, d.Wsl ?? true, d.Root,
            // How to run a command inside the host's WSL2, on the host: wsl.exe on Windows; the lab sets its own.
            d.WslCommand ?? (os == HostOs.Windows ? "wsl.exe -u root -e" : ""),
            new DeploySettings(transport, deploy.Address, deploy.Port ?? (transport == DeployTransport.WinRm ? 5985 : 22),
                deploy.User, deploy.Identity, deploy.HostKey, deploy.KeygenOnHost ?? false))
        {
            NebulaVersion = Version(d.NebulaVersion, file, "nebula_version"),
            NebulaBinary = d.NebulaBinary,
        };
    }

    private static int AdminPort(int? port, string file) => port switch
    {
        null => NebulaSettings.DefaultAdminPort,
        0 => 0,
        22 => throw new FlatnetException(FlatnetException.Describe(file, "nebula.admin_port", "Nebula refuses port 22 for its admin interface",
            $"use another port, e.g. {NebulaSettings.DefaultAdminPort}, or 0 to turn the interface off")),
        < 0 or > 65535 => throw new FlatnetException(FlatnetException.Describe(file, "nebula.admin_port", $"{port} is not a TCP port",
            $"use 1 to 65535 (default {NebulaSettings.DefaultAdminPort}), or 0 to turn the interface off")),
        _ => port.Value,
    };

    private static NebulaVersion? Version(string? value, string file, string field) =>
        value is null ? null
        : NebulaVersion.TryParse(value, out var v) ? v
        : throw new FlatnetException(FlatnetException.Describe(file, field, $"'{value}' is not a Nebula version",
            "write the release as MAJOR.MINOR.PATCH, e.g. 1.11.0 (nebula -version prints it)"));

    private static string Required(string? value, string file, string field, string fix) =>
        string.IsNullOrWhiteSpace(value)
            ? throw new FlatnetException(FlatnetException.Describe(file, field, "is required", fix))
            : value.Trim();
}
