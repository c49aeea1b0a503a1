using Flatnet.Versions;

namespace Flatnet.Inventory;

public enum HostOs { Windows, Linux }

public enum DeployTransport { None, Ssh, WinRm }

/// <summary>The whole inventory: the network file, every host file and the blocklist, typed and defaulted, not yet validated as a plan.</summary>
public sealed record HostInventory(string Directory, NetworkSettings Network, IReadOnlyList<HostEntry> Hosts, Blocklist Blocklist)
{
    /// <summary>Where each field is written, for problems found after loading.</summary>
    public FieldLines Lines { get; init; } = FieldLines.None;

    /// <summary>What loading found allowed but probably not meant, each with its fix.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public bool IsRevoked(string host) => Blocklist.IsRevoked(host);

    public HostEntry Host(string name) =>
        Hosts.FirstOrDefault(h => h.Name == name) ?? throw new FlatnetException($"no host named '{name}' in {Workspace.Relative(Directory)}",
            fix: Hosts.Count == 0
                ? $"add {Workspace.Relative(Path.Combine(Directory, name + ".yaml"))}"
                : $"use one of: {string.Join(", ", Hosts.Select(h => h.Name))}, or add {Workspace.Relative(Path.Combine(Directory, name + ".yaml"))}",
            field: "--host");
}

public sealed record NetworkSettings
{
    public required string File { get; init; }
    public required string Name { get; init; }
    public required Ipv4Network Overlay { get; init; }
    public required Ipv4Network RoutedPool { get; init; }
    public required int RoutedPrefix { get; init; }
    public required int ListenPort { get; init; }
    public required bool UseRelays { get; init; }
    public required IReadOnlyList<string> Groups { get; init; }
    public required CaSettings Ca { get; init; }
    public string? CertDuration { get; init; }
    public required IReadOnlyList<Lighthouse> Lighthouses { get; init; }
    public required FirewallPolicy Firewall { get; init; }
    public required NebulaSettings Nebula { get; init; }
    public required Tuning Tuning { get; init; }
    public MeshNaming Names { get; init; } = MeshNaming.Default;
}

/// <summary>
/// Names for the mesh (names: in network.yaml): every host and WSL2 by name (host-c, host-c-wsl), under
/// <see cref="Suffix"/> when one is set (host-c.office.lan), in a block flatnet keeps in each host's hosts file.
/// </summary>
public sealed record MeshNaming(bool Enabled, string? Suffix)
{
    public static MeshNaming Default { get; } = new(true, null);
}

/// <summary>
/// Data-path settings rendered into every config. Ours: 32 MiB UDP socket buffers and a 5000-packet tun queue
/// (the Benchmark target measures them against Nebula's defaults); MTU stays at Nebula's internet-safe 1300.
/// A null buffer is left out, so the OS default applies, as in Nebula's own example.
/// </summary>
public sealed record Tuning(int Mtu, int TxQueue, int? ReadBuffer, int? WriteBuffer)
{
    public static Tuning Flatnet { get; } = new(1300, 5000, 32 * 1024 * 1024, 32 * 1024 * 1024);
    public static Tuning NebulaDefaults { get; } = new(1300, 500, null, null);
}

/// <summary>CreateIfMissing: host tasks may create a CA when none is there (the lab); off for a fleet whose lighthouse has one.</summary>
public sealed record CaSettings(string Name, string CrtPath, string KeyPath, string? Duration, bool CreateIfMissing);

public sealed record Lighthouse(string Name, string OverlayIp, IReadOnlyList<string> Endpoints)
{
    /// <summary>How a sentence names it: "lighthouse office-1", or its name alone when that says lighthouse already (never "lighthouse lighthouse").</summary>
    public string Called => CalledFor(Name);

    /// <summary>"lighthouse office-1"; a lighthouse whose name says so already is not called so twice ("lighthouse", not "lighthouse lighthouse").</summary>
    public static string CalledFor(string name) => name.Contains("lighthouse", StringComparison.OrdinalIgnoreCase) ? name : $"lighthouse {name}";

    /// <summary>The Nebula release the lighthouse runs. Stage 1's lighthouse is not flatnet's, so it is declared, not asked.</summary>
    public NebulaVersion? NebulaVersion { get; init; }

    /// <summary>
    /// managed: true: the lighthouse as a deployable host (its os, root, groups and deploy section), which the address
    /// plan lists first among the hosts, so every rollout reaches it before any peer. Null: flatnet does not manage it.
    /// </summary>
    public HostEntry? Managed { get; init; }
}

public sealed record FirewallRule(string Port, string Proto, string? Host, IReadOnlyList<string> Groups, string? Cidr);

public sealed record FirewallPolicy(IReadOnlyList<FirewallRule> Outbound, IReadOnlyList<FirewallRule> Inbound)
{
    /// <summary>The spec's policy: anything out; ICMP in from anyone; anything in from group flatnet.</summary>
    public static FirewallPolicy SpecDefault { get; } = new(
        [new FirewallRule("any", "any", "any", [], null)],
        [new FirewallRule("any", "icmp", "any", [], null), new FirewallRule("any", "any", null, ["flatnet"], null)]);
}

public sealed record NebulaSettings(string? CertTool, WindowsNebula Windows, LinuxNebula Linux)
{
    /// <summary>Where Nebula's admin interface listens on each host's loopback (VerifyPing reads tunnel state there); 0 turns it off.</summary>
    public int AdminPort { get; init; } = DefaultAdminPort;
    /// <summary>The public half of flatnet's admin key, recorded in the inventory so that renders are the same in every clone.</summary>
    public string? AdminKey { get; init; }
    public const int DefaultAdminPort = 2222;
}

/// <summary>Where things live on a Windows host. Service is "nebula" (nebula.exe -service install) or "nssm".</summary>
public sealed record WindowsNebula(string Root, string? Release, string Service, string? WslDistro)
{
    /// <summary>SHA-256 of the release zip, when the inventory pins it (Nebula publishes them in SHASUM256.txt).</summary>
    public string? ReleaseSha256 { get; init; }

    /// <summary>Nebula's binaries (nebula.exe, wintun.dll) are put on every Windows host by hand: bundles carry none, on purpose.</summary>
    public bool InstalledByHand { get; init; }

    /// <summary>The hosts' processor architecture, as the release names it: amd64 or arm64 (its wintun.dll folder).</summary>
    public string Arch { get; init; } = "amd64";
}

public sealed record LinuxNebula(string Root, string Binary);

public sealed record HostEntry
{
    public required string File { get; init; }
    public required string Name { get; init; }
    public int? Index { get; init; }
    public required HostOs Os { get; init; }
    public string? OverlayIp { get; init; }
    public string? RoutedBlock { get; init; }
    public required IReadOnlyList<string> Groups { get; init; }
    public required bool Wsl { get; init; }
    public string? Root { get; init; }
    /// <summary>The inventory's wsl_command: how a command runs inside the host's WSL2 (null: the platform's default).</summary>
    public string? WslCommand { get; init; }
    public required DeploySettings Deploy { get; init; }

    /// <summary>A managed lighthouse (network.yaml's lighthouses[], managed: true), not a PC: no WSL2, no block, am_lighthouse.</summary>
    public bool IsLighthouse { get; init; }

    /// <summary>The Nebula release the host runs, when the inventory declares it; otherwise DeployHost asks the host.</summary>
    public NebulaVersion? NebulaVersion { get; init; }

    /// <summary>A Linux host's nebula binary, when it is not network.yaml's nebula.linux.binary.</summary>
    public string? NebulaBinary { get; init; }

    /// <summary>The Windows account that owns the host's WSL distros (the routing watcher runs as it); null: the installing user.</summary>
    public string? WslUser { get; init; }

    /// <summary>The inventory's explicit word that routed_block may lie outside routed_pool.</summary>
    public bool RoutedBlockOutsidePool { get; init; }
}

public sealed record DeploySettings(
    DeployTransport Transport, string? Address, int Port, string? User, string? Identity, string? HostKey, bool KeygenOnHost)
{
    /// <summary>Written by Join and its reply not back yet (no address, no pinned host key): pending, left out of the fleet.</summary>
    public bool AwaitingJoin { get; init; }

    /// <summary>WinRM over HTTPS (the default): the SHA-256 of the host's listener certificate, pinned like an SSH host key.</summary>
    public string? WinRmCertificate { get; init; }

    /// <summary>WinRM over plain HTTP (5985): only when the inventory says so; the server is then not authenticated.</summary>
    public bool WinRmHttp { get; init; }

    /// <summary>Whether the inventory wrote deploy.port (else ~/.ssh/config's Port may apply, then the default).</summary>
    public bool PortGiven { get; init; }
}
