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
        .WithDuplicateKeyChecking() // a key written twice is a mistake, not "the last one wins"
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

        // Every file is read and every field checked before anything is refused, so all problems are listed at once.
        var problems = new InventoryProblems();
        var baseDir = Path.GetDirectoryName(dir) ?? dir;
        var network = ToNetwork(Display(networkFile), Read<NetworkDocument>(networkFile, problems) ?? new NetworkDocument(), baseDir, problems);
        var hosts = System.IO.Directory.GetFiles(dir, "*.yaml")
            .Where(f => Path.GetFileName(f) != NetworkFileName)
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => (File: f, Document: Read<HostDocument>(f, problems)))
            .Where(h => h.Document is not null) // a file that does not parse is one problem, not many
            .Select(h => ToHost(Display(h.File), h.Document!, network, problems))
            .ToList();
        var blocklist = ReadBlocklist(Path.Combine(dir, Inventory.BlocklistFileName), problems);
        problems.ThrowIfAny(dir);
        return new Inventory(dir, network, hosts, blocklist);
    }

    /// <summary>A path as the user would type it: relative to the current folder when below it.</summary>
    public static string Display(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    /// <summary>hosts/blocklist.txt: "fingerprint name date" per line, # comments. Written by RevokeHost.</summary>
    private static List<RevokedCert> ReadBlocklist(string file, InventoryProblems problems)
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
            {
                problems.AddRaw(FlatnetException.Describe(Display(file), $"line {n}", "expected 'FINGERPRINT NAME [DATE]' with a 64-hex-digit fingerprint",
                    "fix the line, or remove it to re-admit that certificate"));
                continue;
            }
            list.Add(new RevokedCert(parts[0].ToLowerInvariant(), parts[1], parts.Length > 2 ? parts[2] : ""));
        }
        return list;
    }

    /// <summary>The file's YAML as typed; a file that does not parse is a problem (with its line), and null.</summary>
    private static T? Read<T>(string file, InventoryProblems problems) where T : class, new()
    {
        var text = File.ReadAllText(file);
        problems.MapLines(Display(file), text);
        try
        {
            return Yaml.Deserialize<T>(text) ?? new T();
        }
        catch (YamlException e)
        {
            var unknown = UnknownProperty().Match(e.Message);
            var at = $"line {e.Start.Line}";
            if (unknown.Success)
            {
                var type = typeof(T).Assembly.GetTypes().FirstOrDefault(t => t.FullName == unknown.Groups[2].Value) ?? typeof(T);
                problems.AddRaw(FlatnetException.Describe(Display(file), at, $"unknown key '{unknown.Groups[1].Value}'",
                    $"check the spelling; keys allowed here: {string.Join(", ", KnownKeys(type))}"));
            }
            else if (e.Message.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase))
                problems.AddRaw(FlatnetException.Describe(Display(file), at, "a key is written twice in one mapping",
                    "keep one of them: YAML does not say which would win"));
            else
                problems.AddRaw(FlatnetException.Describe(Display(file), at, $"not valid here: {PlainReason(e)}",
                    "compare with the example in README.md"));
            return null;
        }
    }

    /// <summary>What the YAML parser objects to, in words a user can act on: never a .NET type name.</summary>
    private static string PlainReason(YamlException e)
    {
        switch (e.InnerException)
        {
            case FormatException f when InputString().Match(f.Message) is { Success: true } m:
                return $"'{Grammar.Shown(m.Groups[1].Value)}' is not a number";
            case FormatException:
                return "expected a number or true/false";
            case OverflowException:
                return "the number is too large";
        }
        var text = (e.InnerException?.Message ?? e.Message).Split('\n')[0];
        if (text.Contains("deserialize") || text.Contains("System.") || text.Contains("Exception"))
        {
            var target = DotNetType().Match(text) is { Success: true } m ? m.Groups[1].Value : "";
            return target switch
            {
                "Int32" or "Int64" => "expected a whole number",
                "Boolean" => "expected true or false",
                "String" => "expected a single value (text), not a list or a mapping",
                _ when text.Contains("List") => "expected a list, like [a, b]",
                _ => "this value does not have the shape this key takes",
            };
        }
        return text;
    }

    [GeneratedRegex(@"input string '([^']*)'")]
    private static partial Regex InputString();

    [GeneratedRegex(@"System\.(?:Nullable`1\[\[System\.)?(\w+)")]
    private static partial Regex DotNetType();

    [GeneratedRegex(@"Property '([^']+)' not found on type '([^']+)'")]
    private static partial Regex UnknownProperty();

    private static IEnumerable<string> KnownKeys(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => UnderscoredNamingConvention.Instance.Apply(p.Name));

    private static NetworkSettings ToNetwork(string file, NetworkDocument d, string baseDir, InventoryProblems problems)
    {
        Ipv4Network ParseNet(string? value, string field, string fallback)
        {
            if (Ipv4Network.TryParse(value ?? fallback, out var net, out var error)) return net;
            problems.Add(file, field, error, $"write it like {fallback}");
            return Ipv4Network.Parse(fallback);
        }

        var name = d.Name ?? "flatnet";
        problems.Check(file, "name", Grammar.Word(name, "network name", "flatnet"));
        var ca = d.Ca ?? new CaDocument();
        problems.Check(file, "ca.name", Grammar.Word(ca.Name ?? "flatnet-ca", "CA name", "flatnet-ca"));
        if (ca.Duration is not null) problems.Check(file, "ca.duration", Grammar.Duration(ca.Duration));
        if (d.CertDuration is not null) problems.Check(file, "cert_duration", Grammar.Duration(d.CertDuration));
        var listenPort = d.ListenPort ?? 4242;
        problems.Check(file, "listen_port", Grammar.Port(listenPort, "4242"));
        var groups = d.Groups ?? ["flatnet", "gateway"];
        CheckGroups(file, "groups", groups, problems);

        var lighthouses = (d.Lighthouses ?? []).Select((l, i) =>
        {
            var field = $"lighthouses[{i}]";
            foreach (var (ep, j) in (l.Endpoints ?? []).Select((ep, j) => (ep, j)))
                CheckEndpoint(file, $"{field}.endpoints[{j}]", ep, problems);
            return new Lighthouse(
                Required(l.Name, file, $"{field}.name", "the lighthouse's certificate name, e.g. lighthouse", problems),
                Required(l.OverlayIp, file, $"{field}.overlay_ip", "its Nebula IP, e.g. 10.100.0.1", problems),
                l.Endpoints ?? []) { NebulaVersion = Version(l.NebulaVersion, file, $"{field}.nebula_version", problems) };
        }).ToList();

        var nebula = d.Nebula ?? new NebulaDocument();
        var windows = nebula.Windows ?? new WindowsNebulaDocument();
        var linux = nebula.Linux ?? new LinuxNebulaDocument();
        var service = (windows.Service ?? "nebula").ToLowerInvariant();
        if (service is not ("nebula" or "nssm"))
            problems.Add(file, "nebula.windows.service", $"'{Grammar.Shown(windows.Service ?? "")}' is not a service manager flatnet knows",
                "use nebula (nebula.exe -service install) or nssm");
        var windowsRoot = windows.Root ?? @"F:\flatnet";
        problems.Check(file, "nebula.windows.root", Grammar.WindowsPath(windowsRoot));
        if (windows.WslDistro is not null) problems.Check(file, "nebula.windows.wsl_distro", Grammar.Word(windows.WslDistro, "WSL distro name", "Ubuntu-24.04"));
        var linuxRoot = linux.Root ?? "/opt/flatnet";
        problems.Check(file, "nebula.linux.root", Grammar.LinuxPath(linuxRoot));
        var linuxBinary = linux.Binary ?? "/usr/bin/nebula";
        problems.Check(file, "nebula.linux.binary", Grammar.LinuxPath(linuxBinary));

        var tuning = d.Tuning is null ? Tuning.Flatnet : new Tuning(
            d.Tuning.Mtu ?? Tuning.Flatnet.Mtu, d.Tuning.TxQueue ?? Tuning.Flatnet.TxQueue,
            d.Tuning.ReadBuffer ?? Tuning.Flatnet.ReadBuffer, d.Tuning.WriteBuffer ?? Tuning.Flatnet.WriteBuffer);
        if (tuning.TxQueue is < 1 or > 1_000_000)
            problems.Add(file, "tuning.tx_queue", $"{tuning.TxQueue} is not a queue length", $"use 1 to 1000000 packets; flatnet's default is {Tuning.Flatnet.TxQueue}");
        foreach (var (field, buffer) in new[] { ("tuning.read_buffer", tuning.ReadBuffer), ("tuning.write_buffer", tuning.WriteBuffer) })
            if (buffer is < 1 or > 1 << 30)
                problems.Add(file, field, $"{buffer} is not a socket buffer size", $"use 1 to 1073741824 bytes; flatnet's default is {Tuning.Flatnet.ReadBuffer} (32 MiB)");

        return new NetworkSettings(
            file,
            name,
            ParseNet(d.Overlay, "overlay", "10.100.0.0/16"),
            ParseNet(d.RoutedPool, "routed_pool", "10.101.0.0/16"),
            d.RoutedPrefix ?? 24,
            listenPort,
            d.UseRelays ?? true,
            groups,
            new CaSettings(
                ca.Name ?? "flatnet-ca",
                Path.GetFullPath(ca.Crt ?? "pki/ca.crt", baseDir),
                Path.GetFullPath(ca.Key ?? "pki/ca.key", baseDir),
                ca.Duration,
                ca.CreateIfMissing ?? false),
            d.CertDuration,
            lighthouses,
            d.Firewall is null ? FirewallPolicy.SpecDefault : new FirewallPolicy(
                (d.Firewall.Outbound ?? []).Select((r, i) => ToRule(file, $"firewall.outbound[{i}]", r, problems)).ToList(),
                (d.Firewall.Inbound ?? []).Select((r, i) => ToRule(file, $"firewall.inbound[{i}]", r, problems)).ToList()),
            new NebulaSettings(
                nebula.CertTool is null ? null : Path.GetFullPath(nebula.CertTool, baseDir),
                new WindowsNebula(windowsRoot,
                    windows.Binaries is null ? null : Path.GetFullPath(windows.Binaries, baseDir), service, windows.WslDistro),
                new LinuxNebula(linuxRoot, linuxBinary)) { AdminPort = AdminPort(nebula.AdminPort, file, problems) },
            tuning);
    }

    private static void CheckGroups(string file, string field, IReadOnlyList<string> groups, InventoryProblems problems)
    {
        if (groups.Count == 0)
            problems.Add(file, field, "is empty, so no firewall rule that names a group admits this host",
                "list at least one group, e.g. groups: [flatnet, gateway]");
        foreach (var g in groups) problems.Check(file, field, Grammar.Word(g, "group name", "flatnet"));
    }

    private static void CheckEndpoint(string file, string field, string endpoint, InventoryProblems problems)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out var port) || port is < 1 or > 65535
            || Grammar.Address(endpoint[..colon]) is not null)
            problems.Add(file, field, $"'{Grammar.Shown(endpoint)}' is not HOST:PORT", "write it like \"192.168.1.10:4242\"");
    }

    private static FirewallRule ToRule(string file, string field, FirewallRuleDocument r, InventoryProblems problems)
    {
        var groups = new List<string>();
        if (r.Group is not null) groups.Add(r.Group);
        groups.AddRange(r.Groups ?? []);
        if (r.Host is null && groups.Count == 0 && r.Cidr is null)
            problems.Add(file, field, "the rule says nothing about whom it allows",
                "add host: any, group: NAME, groups: [A, B] or cidr: NET, as in Nebula's examples/config.yml");
        var proto = (r.Proto ?? "any").ToLowerInvariant();
        if (proto is not ("any" or "tcp" or "udp" or "icmp"))
            problems.Add(file, field + ".proto", $"'{Grammar.Shown(r.Proto ?? "")}' is not a protocol Nebula filters on", "use any, tcp, udp or icmp");
        var port = r.Port ?? "any";
        problems.Check(file, field + ".port", Grammar.FirewallPort(port));
        if (r.Host is not null) problems.Check(file, field + ".host", Grammar.FirewallHost(r.Host));
        foreach (var g in groups) problems.Check(file, field + (r.Group == g ? ".group" : ".groups"), Grammar.Word(g, "group name", "flatnet"));
        if (r.Cidr is not null) problems.Check(file, field + ".cidr", Grammar.Cidr(r.Cidr));
        return new FirewallRule(port, proto, r.Host, groups, r.Cidr);
    }

    private static HostEntry ToHost(string file, HostDocument d, NetworkSettings network, InventoryProblems problems)
    {
        var os = (d.Os ?? "windows").ToLowerInvariant() switch
        {
            "windows" => HostOs.Windows,
            "linux" => HostOs.Linux,
            _ => Refused(HostOs.Windows, () => problems.Add(file, "os", $"'{Grammar.Shown(d.Os ?? "")}' is not supported", "use windows or linux")),
        };
        var deploy = d.Deploy ?? new DeployDocument();
        var transport = (deploy.Transport ?? "none").ToLowerInvariant() switch
        {
            "none" => DeployTransport.None,
            "ssh" => DeployTransport.Ssh,
            "winrm" => DeployTransport.WinRm,
            _ => Refused(DeployTransport.None, () => problems.Add(file, "deploy.transport", $"'{Grammar.Shown(deploy.Transport ?? "")}' is not a transport flatnet knows",
                "use ssh, winrm, or none (bundle only, installed by hand)")),
        };
        if (transport != DeployTransport.None && string.IsNullOrWhiteSpace(deploy.Address))
            problems.Add(file, "deploy.address", $"transport {deploy.Transport} needs an address",
                "set deploy.address to the host's LAN address or DNS name, or set deploy.transport: none");
        else if (deploy.Address is not null) problems.Check(file, "deploy.address", Grammar.Address(deploy.Address));
        var port = deploy.Port ?? (transport == DeployTransport.WinRm ? 5985 : 22);
        problems.Check(file, "deploy.port", Grammar.Port(port));
        if (deploy.User is not null) problems.Check(file, "deploy.user", Grammar.User(deploy.User));
        if (deploy.HostKey is not null) problems.Check(file, "deploy.host_key", Grammar.HostKey(deploy.HostKey.Trim()));
        var wsl = d.Wsl ?? true;
        if (os == HostOs.Linux && wsl && string.IsNullOrWhiteSpace(d.WslCommand))
            problems.Add(file, "wsl_command", "a Linux host with wsl: true needs a way into its WSL",
                "set wsl_command to the command prefix that runs a command there, or set wsl: false");
        if (d.WslCommand is not null) problems.Check(file, "wsl_command", Grammar.CommandPrefix(d.WslCommand));
        if (d.Root is not null) problems.Check(file, "root", os == HostOs.Windows ? Grammar.WindowsPath(d.Root) : Grammar.LinuxPath(d.Root));
        var name = Required(d.Name, file, "name", $"set name: {Path.GetFileNameWithoutExtension(file)} (the file name without .yaml)", problems);
        if (os == HostOs.Windows && d.NebulaBinary is not null)
            problems.Add(file, "nebula_binary", "is for Linux hosts; a Windows host runs ROOT\\nebula\\nebula.exe", "remove nebula_binary, or set os: linux");
        else if (d.NebulaBinary is not null) problems.Check(file, "nebula_binary", Grammar.LinuxPath(d.NebulaBinary));
        var groups = d.Groups ?? network.Groups;
        if (d.Groups is not null) CheckGroups(file, "groups", groups, problems);
        return new HostEntry(file, name, d.Index, os, d.OverlayIp, d.RoutedBlock,
            groups, wsl, d.Root,
            // How to run a command inside the host's WSL2, on the host: wsl.exe on Windows; the lab sets its own.
            d.WslCommand ?? (os == HostOs.Windows ? "wsl.exe -u root -e" : ""),
            new DeploySettings(transport, deploy.Address, port, deploy.User, deploy.Identity, deploy.HostKey?.Trim(), deploy.KeygenOnHost ?? false))
        {
            NebulaVersion = Version(d.NebulaVersion, file, "nebula_version", problems),
            NebulaBinary = d.NebulaBinary,
            RoutedBlockOutsidePool = d.RoutedBlockOutsidePool ?? false,
        };
    }

    private static T Refused<T>(T placeholder, Action record)
    {
        record();
        return placeholder;
    }

    private static int AdminPort(int? port, string file, InventoryProblems problems)
    {
        switch (port)
        {
            case null: return NebulaSettings.DefaultAdminPort;
            case 0: return 0;
            case 22:
                problems.Add(file, "nebula.admin_port", "Nebula refuses port 22 for its admin interface",
                    $"use another port, e.g. {NebulaSettings.DefaultAdminPort}, or 0 to turn the interface off");
                return NebulaSettings.DefaultAdminPort;
            case < 0 or > 65535:
                problems.Add(file, "nebula.admin_port", $"{port} is not a TCP port",
                    $"use 1 to 65535 (default {NebulaSettings.DefaultAdminPort}), or 0 to turn the interface off");
                return NebulaSettings.DefaultAdminPort;
            default: return port.Value;
        }
    }

    private static NebulaVersion? Version(string? value, string file, string field, InventoryProblems problems)
    {
        if (value is null) return null;
        if (NebulaVersion.TryParse(value, out var v)) return v;
        problems.Add(file, field, $"'{Grammar.Shown(value)}' is not a Nebula version",
            "write the release as MAJOR.MINOR.PATCH, e.g. 1.11.0 (nebula -version prints it)");
        return null;
    }

    private static string Required(string? value, string file, string field, string fix, InventoryProblems problems)
    {
        if (!string.IsNullOrWhiteSpace(value)) return value.Trim();
        problems.Add(file, field, "is required", fix);
        return "";
    }
}
