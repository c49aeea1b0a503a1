namespace Flatnet.Inventory;

/// <summary>
/// network.yaml's fields, typed and defaulted, each with the grammar it really has (<see cref="Grammar"/>). Every
/// refusal is recorded with its file and field and the loading goes on, so a user sees every problem at once.
/// </summary>
internal static class NetworkFields
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
        FieldChecks.CheckGroups(file, "groups", groups, problems);

        var lighthouses = (d.Lighthouses ?? []).Select((l, i) =>
        {
            var field = $"lighthouses[{i}]";
            foreach (var (ep, j) in (l.Endpoints ?? []).Select((ep, j) => (ep, j)))
                CheckEndpoint(file, $"{field}.endpoints[{j}]", ep, problems);
            var name = FieldChecks.Required(l.Name, file, $"{field}.name", "the lighthouse's certificate name, e.g. lighthouse", problems);
            var version = FieldChecks.Version(l.NebulaVersion, file, $"{field}.nebula_version", problems);
            return new Lighthouse(name, FieldChecks.Required(l.OverlayIp, file, $"{field}.overlay_ip", "its Nebula IP, e.g. 10.100.0.1", problems), l.Endpoints ?? [])
            {
                NebulaVersion = version, Managed = HostFields.ManagedLighthouse(file, field, name, l, version, problems),
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
        problems.Check(file, "nebula.windows.root", Grammar.WindowsRoot(windowsRoot));
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
        problems.Check(file, "nebula.linux.root", Grammar.LinuxRoot(linuxRoot));
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

        var names = d.Names is null ? MeshNaming.Default : new MeshNaming(d.Names.Enabled ?? true, string.IsNullOrEmpty(d.Names.Suffix) ? null : d.Names.Suffix);
        if (names.Suffix is { } suffix) problems.Check(file, "names.suffix", Grammar.DnsSuffix(suffix));

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
                    { ReleaseSha256 = windows.ReleaseSha256?.ToLowerInvariant(), Arch = arch, InstalledByHand = windows.InstalledByHand ?? false },
                new LinuxNebula(linuxRoot, linuxBinary)) { AdminPort = AdminPort(nebula.AdminPort, file, problems), AdminKey = AdminKey(nebula.AdminKey, file, problems) },
            Tuning = tuning,
            Names = names,
        };
    }

    private static void CheckEndpoint(string file, string field, string endpoint, InventoryProblems problems)
    {
        var colon = endpoint.LastIndexOf(':');
        // Exactly digits after the colon: int.TryParse's defaults would take " 4242", "+4242" or "4242 ".
        if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535
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

    /// <summary>nebula.admin_key: the public half of flatnet's admin key as OpenSSH writes it ("ssh-ed25519 AAAA..."), or null.</summary>
    private static string? AdminKey(string? key, string file, InventoryProblems problems)
    {
        if (key is null) return null;
        if (Grammar.SshPublicKey(key) is ("ssh-ed25519", { Length: > 60 and < 80 } blob))
            return $"ssh-ed25519 {blob}";
        problems.Add(file, "nebula.admin_key", $"'{Grammar.Shown(key)}' is not an ed25519 public key as OpenSSH writes it",
            "remove the line: the next writing run records flatnet's admin key there again (from pki/nebula-admin_ed25519.pub)");
        return null;
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
}
