using Flatnet.Addressing;
using Flatnet.Versions;

namespace Flatnet.Inventory;

/// <summary>
/// Turns the documents YAML was read into (<see cref="NetworkDocument"/>, <see cref="HostDocument"/>) into typed,
/// defaulted settings, field by field, each with the grammar it really has (<see cref="Grammar"/>). Every refusal
/// is recorded with its file and field and the loading goes on, so a user sees every problem at once.
/// </summary>
internal static class InventoryFields
{
    internal static NetworkSettings ToNetwork(string file, NetworkDocument d, string baseDir, InventoryProblems problems)
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
            var name = Required(l.Name, file, $"{field}.name", "the lighthouse's certificate name, e.g. lighthouse", problems);
            var version = Version(l.NebulaVersion, file, $"{field}.nebula_version", problems);
            return new Lighthouse(name, Required(l.OverlayIp, file, $"{field}.overlay_ip", "its Nebula IP, e.g. 10.100.0.1", problems), l.Endpoints ?? [])
            {
                NebulaVersion = version, Managed = ManagedLighthouse(file, field, name, l, version, problems),
            };
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
        if (windows.Binaries is not null)
            problems.Add(file, "nebula.windows.binaries", "is replaced by nebula.windows.release: the exe files alone lack wintun.dll, without which Nebula's adapter never appears",
                "set release: to Nebula's Windows release zip (nebula-windows-amd64.zip) or the folder it unpacks to");
        var arch = (windows.Arch ?? "amd64").ToLowerInvariant();
        if (arch is not ("amd64" or "arm64"))
            problems.Add(file, "nebula.windows.arch", $"'{Grammar.Shown(windows.Arch ?? "")}' is not an architecture Nebula releases for Windows", "use amd64 (most PCs) or arm64");
        if (windows.ReleaseSha256 is { } sha && (sha.Length != 64 || !sha.All(Uri.IsHexDigit)))
            problems.Add(file, "nebula.windows.release_sha256", "is not a SHA-256 (64 hex digits)", "copy the zip's line from the release's SHASUM256.txt");
        if (windows.ReleaseSha256 is not null && windows.Release is null)
            problems.Add(file, "nebula.windows.release_sha256", "pins a release, but no release is set", "set release: to the zip it belongs to");
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

        return new NetworkSettings
        {
            File = file,
            Name = name,
            Overlay = ParseNet(d.Overlay, "overlay", "10.100.0.0/16"),
            RoutedPool = ParseNet(d.RoutedPool, "routed_pool", "10.101.0.0/16"),
            RoutedPrefix = d.RoutedPrefix ?? 24,
            ListenPort = listenPort,
            UseRelays = d.UseRelays ?? true,
            Groups = groups,
            Ca = new CaSettings(
                ca.Name ?? "flatnet-ca",
                Path.GetFullPath(ca.Crt ?? "pki/ca.crt", baseDir),
                Path.GetFullPath(ca.Key ?? "pki/ca.key", baseDir),
                ca.Duration,
                ca.CreateIfMissing ?? false),
            CertDuration = d.CertDuration,
            Lighthouses = lighthouses,
            Firewall = d.Firewall is null ? FirewallPolicy.SpecDefault : new FirewallPolicy(
                (d.Firewall.Outbound ?? []).Select((r, i) => ToRule(file, $"firewall.outbound[{i}]", r, problems)).ToList(),
                (d.Firewall.Inbound ?? []).Select((r, i) => ToRule(file, $"firewall.inbound[{i}]", r, problems)).ToList()),
            Nebula = new NebulaSettings(
                nebula.CertTool is null ? null : Path.GetFullPath(nebula.CertTool, baseDir),
                new WindowsNebula(windowsRoot,
                    windows.Release is null ? null : Path.GetFullPath(windows.Release, baseDir), service, windows.WslDistro)
                    { ReleaseSha256 = windows.ReleaseSha256?.ToLowerInvariant(), Arch = arch },
                new LinuxNebula(linuxRoot, linuxBinary)) { AdminPort = AdminPort(nebula.AdminPort, file, problems) },
            Tuning = tuning,
        };
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

    internal static HostEntry ToHost(string file, HostDocument d, NetworkSettings network, InventoryProblems problems)
    {
        var os = (d.Os ?? "windows").ToLowerInvariant() switch
        {
            "windows" => HostOs.Windows,
            "linux" => HostOs.Linux,
            _ => Refused(HostOs.Windows, () => problems.Add(file, "os", $"'{Grammar.Shown(d.Os ?? "")}' is not supported", "use windows or linux")),
        };
        var deploy = ToDeploy(file, "", d.Deploy ?? new DeployDocument(), problems);
        if (d.WslUser is not null) problems.Check(file, "wsl_user", Grammar.User(d.WslUser));
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
        return new HostEntry
        {
            File = file, Name = name, Index = d.Index, Os = os, OverlayIp = d.OverlayIp, RoutedBlock = d.RoutedBlock,
            Groups = groups, Wsl = wsl, Root = d.Root,
            // How to run a command inside the host's WSL2, on the host; null: the platform's own way (wsl.exe on Windows).
            WslCommand = d.WslCommand,
            Deploy = deploy,
            NebulaVersion = Version(d.NebulaVersion, file, "nebula_version", problems),
            NebulaBinary = d.NebulaBinary,
            RoutedBlockOutsidePool = d.RoutedBlockOutsidePool ?? false,
            // WSL distros belong to one Windows account; unless said otherwise, the one flatnet logs in as.
            WslUser = d.WslUser ?? deploy.User,
        };
    }

    /// <summary>
    /// The deploy section of a host file (prefix "") or of a managed lighthouse (prefix "lighthouses[0]."): how flatnet
    /// reaches it, with the server authenticated (SSH host key, WinRM certificate) unless the inventory says otherwise.
    /// </summary>
    private static DeploySettings ToDeploy(string file, string prefix, DeployDocument deploy, InventoryProblems problems)
    {
        var transport = (deploy.Transport ?? "none").ToLowerInvariant() switch
        {
            "none" => DeployTransport.None,
            "ssh" => DeployTransport.Ssh,
            "winrm" => DeployTransport.WinRm,
            _ => Refused(DeployTransport.None, () => problems.Add(file, prefix + "deploy.transport", $"'{Grammar.Shown(deploy.Transport ?? "")}' is not a transport flatnet knows",
                "use ssh, winrm, or none (bundle only, installed by hand)")),
        };
        if (transport != DeployTransport.None && string.IsNullOrWhiteSpace(deploy.Address))
            problems.Add(file, prefix + "deploy.address", $"transport {deploy.Transport} needs an address",
                "set deploy.address to the host's LAN address or DNS name, or set deploy.transport: none");
        else if (deploy.Address is not null) problems.Check(file, prefix + "deploy.address", Grammar.Address(deploy.Address));
        var winrmHttp = deploy.WinrmHttp ?? false;
        var port = deploy.Port ?? (transport != DeployTransport.WinRm ? 22 : winrmHttp ? 5985 : 5986);
        if (transport == DeployTransport.WinRm && !winrmHttp && deploy.WinrmCert is null)
            problems.Add(file, prefix + "deploy.winrm_cert", "WinRM over HTTPS needs the host's certificate pinned, or flatnet cannot tell the host from an impostor",
                "on the host run: Get-ChildItem Cert:\\LocalMachine\\My | ForEach-Object { $_.GetCertHashString('SHA256') } (the WinRM HTTPS listener's certificate), and set winrm_cert: to it; or use transport: ssh");
        if (deploy.WinrmCert is { } pin && (pin.Length != 64 || !pin.All(Uri.IsHexDigit)))
            problems.Add(file, prefix + "deploy.winrm_cert", "is not a SHA-256 (64 hex digits)", "the certificate's GetCertHashString('SHA256') on the host");
        problems.Check(file, prefix + "deploy.port", Grammar.Port(port));
        if (deploy.User is not null) problems.Check(file, prefix + "deploy.user", Grammar.User(deploy.User));
        if (deploy.HostKey is not null) problems.Check(file, prefix + "deploy.host_key", Grammar.HostKey(deploy.HostKey.Trim()));
        return new DeploySettings(transport, deploy.Address, port, deploy.User, deploy.Identity, deploy.HostKey?.Trim(), deploy.KeygenOnHost ?? false)
        {
            WinRmCertificate = deploy.WinrmCert?.ToLowerInvariant(), WinRmHttp = winrmHttp,
        };
    }

    /// <summary>
    /// A lighthouse with managed: true, as the host flatnet deploys it to: no WSL2, no routed block, its own groups
    /// (default: lighthouse). Without managed: true the host fields are refused, so a half-declared lighthouse is never
    /// silently left alone.
    /// </summary>
    private static HostEntry? ManagedLighthouse(string file, string field, string name, LighthouseDocument l, NebulaVersion? version, InventoryProblems problems)
    {
        if (l.Managed != true)
        {
            foreach (var (given, key) in new (object?, string)[] { (l.Os, "os"), (l.Root, "root"), (l.NebulaBinary, "nebula_binary"), (l.Groups, "groups"), (l.Deploy, "deploy") })
                if (given is not null)
                    problems.Add(file, $"{field}.{key}", "applies only to a lighthouse flatnet manages",
                        "add managed: true to deploy it with flatnet, or remove the field (flatnet then renders artifacts/lighthouses/NAME/ for its operator)");
            return null;
        }
        var os = (l.Os ?? "linux").ToLowerInvariant() switch
        {
            "windows" => HostOs.Windows,
            "linux" => HostOs.Linux,
            _ => Refused(HostOs.Linux, () => problems.Add(file, $"{field}.os", $"'{Grammar.Shown(l.Os ?? "")}' is not supported", "use linux or windows")),
        };
        if (l.Root is not null) problems.Check(file, $"{field}.root", os == HostOs.Windows ? Grammar.WindowsPath(l.Root) : Grammar.LinuxPath(l.Root));
        if (l.NebulaBinary is not null) problems.Check(file, $"{field}.nebula_binary", Grammar.LinuxPath(l.NebulaBinary));
        var groups = l.Groups ?? ["lighthouse"];
        CheckGroups(file, $"{field}.groups", groups, problems);
        var deploy = ToDeploy(file, $"{field}.", l.Deploy ?? new DeployDocument(), problems);
        if (deploy.Transport == DeployTransport.None)
            problems.Add(file, $"{field}.deploy.transport", "a managed lighthouse needs a way in",
                "set deploy: { transport: ssh, address: ..., user: ... } as for a host, or remove managed: true");
        return new HostEntry
        {
            File = file, Name = name, Os = os, OverlayIp = l.OverlayIp, Groups = groups, Wsl = false, Root = l.Root,
            Deploy = deploy, NebulaVersion = version, NebulaBinary = l.NebulaBinary, IsLighthouse = true,
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
