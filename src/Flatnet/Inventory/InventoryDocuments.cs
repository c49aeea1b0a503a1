namespace Flatnet.Inventory;

// The YAML shapes of hosts/network.yaml and hosts/<name>.yaml, exactly as written by people.
// Mutable because YamlDotNet fills them; InventoryLoader turns them into the immutable records in Inventory.cs.
// Keys are snake_case (overlay_ip, routed_block). Unknown keys are errors, so a typo never silently becomes a default.

public sealed class NetworkDocument
{
    public string? Name { get; set; }
    public string? Overlay { get; set; }
    public string? RoutedPool { get; set; }
    public int? RoutedPrefix { get; set; }
    public int? ListenPort { get; set; }
    public bool? UseRelays { get; set; }
    public List<string>? Groups { get; set; }
    public CaDocument? Ca { get; set; }
    public string? CertDuration { get; set; }
    public List<LighthouseDocument>? Lighthouses { get; set; }
    public FirewallDocument? Firewall { get; set; }
    public NebulaDocument? Nebula { get; set; }
    public TuningDocument? Tuning { get; set; }
    public NamesDocument? Names { get; set; }
}

public sealed class NamesDocument
{
    public bool? Enabled { get; set; }
    public string? Suffix { get; set; }
}

public sealed class TuningDocument
{
    public int? Mtu { get; set; }
    public int? TxQueue { get; set; }
    public int? ReadBuffer { get; set; }
    public int? WriteBuffer { get; set; }
}

public sealed class CaDocument
{
    public string? Name { get; set; }
    public string? Crt { get; set; }
    public string? Key { get; set; }
    public string? Duration { get; set; }
    public bool? CreateIfMissing { get; set; }
}

public sealed class LighthouseDocument
{
    public string? Name { get; set; }
    public string? OverlayIp { get; set; }
    public List<string>? Endpoints { get; set; }
    public string? NebulaVersion { get; set; }
    // managed: true: flatnet signs, renders, bundles and deploys it like a host (the fields below, as in a host file).
    public bool? Managed { get; set; }
    public string? Os { get; set; }
    public string? Root { get; set; }
    public string? NebulaBinary { get; set; }
    public List<string>? Groups { get; set; }
    public DeployDocument? Deploy { get; set; }
}

public sealed class FirewallDocument
{
    public List<FirewallRuleDocument>? Outbound { get; set; }
    public List<FirewallRuleDocument>? Inbound { get; set; }
}

public sealed class FirewallRuleDocument
{
    public string? Port { get; set; }
    public string? Proto { get; set; }
    public string? Host { get; set; }
    public string? Group { get; set; }
    public List<string>? Groups { get; set; }
    public string? Cidr { get; set; }
}

public sealed class NebulaDocument
{
    public string? CertTool { get; set; }
    public int? AdminPort { get; set; }
    public string? AdminKey { get; set; }
    public WindowsNebulaDocument? Windows { get; set; }
    public LinuxNebulaDocument? Linux { get; set; }
}

public sealed class WindowsNebulaDocument
{
    public string? Root { get; set; }
    public string? Binaries { get; set; }
    public string? Release { get; set; }
    public string? ReleaseSha256 { get; set; }
    public bool? InstalledByHand { get; set; }
    public string? Arch { get; set; }
    public string? Service { get; set; }
    public string? WslDistro { get; set; }
}

public sealed class LinuxNebulaDocument
{
    public string? Root { get; set; }
    public string? Binary { get; set; }
}

public sealed class HostDocument
{
    public string? Name { get; set; }
    public int? Index { get; set; }
    public string? Os { get; set; }
    public string? OverlayIp { get; set; }
    public string? RoutedBlock { get; set; }
    public bool? RoutedBlockOutsidePool { get; set; }
    public List<string>? Groups { get; set; }
    public bool? Wsl { get; set; }
    public string? Root { get; set; }
    public string? WslCommand { get; set; }
    public string? WslUser { get; set; }
    public string? NebulaVersion { get; set; }
    public string? NebulaBinary { get; set; }
    public DeployDocument? Deploy { get; set; }
}

public sealed class DeployDocument
{
    public string? Transport { get; set; }
    public string? Address { get; set; }
    public int? Port { get; set; }
    public string? User { get; set; }
    public string? Identity { get; set; }
    public string? HostKey { get; set; }
    public bool? KeygenOnHost { get; set; }
    public string? WinrmCert { get; set; }
    public bool? WinrmHttp { get; set; }
}
