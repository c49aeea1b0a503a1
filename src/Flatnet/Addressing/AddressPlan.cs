using Flatnet.Inventory;
using Flatnet.Versions;

namespace Flatnet.Addressing;

/// <summary>Addresses of one lighthouse.</summary>
public sealed record LighthouseAddresses(Lighthouse Lighthouse, uint OverlayIp)
{
    public string Name => Lighthouse.Name;
    public string Called => Lighthouse.Called;
    public string OverlayAddress => Ipv4Network.FormatAddress(OverlayIp);
}

/// <summary>
/// Addresses of one host: its Nebula IP, the routed block it serves (its WSL2, later its containers) and the
/// stable address its WSL2 takes inside that block, so WSL2's own changing 172.x NAT address never has to be routed.
/// A host without WSL2 has no block unless its inventory file gives it one.
/// </summary>
public sealed record HostAddresses(HostEntry Host, uint OverlayIp, int OverlayPrefix, Ipv4Network? RoutedBlock)
{
    public string Name => Host.Name;
    public string OverlayAddress => Ipv4Network.FormatAddress(OverlayIp);
    /// <summary>What nebula-cert -ip takes: the address with the overlay's prefix, e.g. 10.100.2.1/16.</summary>
    public string OverlayCidr => $"{OverlayAddress}/{OverlayPrefix}";
    /// <summary>The first address of the block, e.g. 10.101.2.1; null for a host without WSL2.</summary>
    public string? WslAddress => Host.Wsl && RoutedBlock is { } b ? Ipv4Network.FormatAddress(b.Network + 1) : null;
    /// <summary>What the host's certificate lists as subnets (-unsafe-networks): its block, if it has one.</summary>
    public IReadOnlyList<string> CertificateSubnets => RoutedBlock is { } b ? [b.ToString()] : [];
}

/// <summary>
/// The computed and validated address plan. Build() refuses a plan with any error, listing every problem
/// (file, field, fix) at once, so nothing is written from a bad inventory; the rules are <see cref="PlanRules"/>'s,
/// one method each. Warnings are returned, not thrown.
/// </summary>
public sealed record AddressPlan(
    HostInventory Inventory,
    Ipv4Network Overlay,
    IReadOnlyList<LighthouseAddresses> Lighthouses,
    IReadOnlyList<HostAddresses> Hosts,
    IReadOnlyList<string> Warnings)
{
    /// <summary>A host, or a managed lighthouse, by name.</summary>
    public HostAddresses Host(string name)
    {
        if (Hosts.FirstOrDefault(h => h.Name == name) is { } found) return found;
        Inventory.Host(name); // throws the helpful "no host named" error
        throw new InvalidOperationException($"{name} is in the inventory but not in the plan");
    }

    /// <summary>
    /// The active hosts that serve a routed block: each is an unsafe route and a WSL2 route for every other host. A
    /// revoked (or removed) host is nobody's peer, so no config routes to it.
    /// </summary>
    public IEnumerable<HostAddresses> Routed => Active.Where(h => h.RoutedBlock is not null);

    /// <summary>The PCs: every host but the managed lighthouses (which <see cref="Hosts"/> lists first).</summary>
    public IEnumerable<HostAddresses> Pcs => Hosts.Where(h => !h.Host.IsLighthouse);

    /// <summary>
    /// Hosts whose certificate is not revoked and that are not awaiting their join reply: the ones every bundle, check
    /// and release is for. A pending host keeps its index and addresses (nothing else may take them).
    /// </summary>
    public IEnumerable<HostAddresses> Active => Hosts.Where(h => !Inventory.IsRevoked(h.Name) && !h.Host.Deploy.AwaitingJoin);

    /// <summary>The Nebula daemons of the mesh: the lighthouses (declared in network.yaml: Stage 1's is not flatnet's) and every active host (declared in its file).</summary>
    public MeshVersions Daemons => new(
        Lighthouses.Select(l => new Daemon(l.Name, "lighthouse", l.Lighthouse.NebulaVersion, $"{Inventory.Network.File}: lighthouses: nebula_version"))
            .Concat(Active.Select(h => new Daemon(h.Name, "host", h.Host.NebulaVersion, $"{h.Host.File}: nebula_version")))
            .ToList());

    /// <summary>Active hosts flatnet can reach to deploy to (a transport other than none).</summary>
    public IEnumerable<HostAddresses> Deployable => Active.Where(h => h.Host.Deploy.Transport != DeployTransport.None);

    /// <summary>
    /// The inventory in <paramref name="inventoryDirectory"/> as a plan: the files' problems and the plan's rules in one
    /// list, so a run names every problem of every file at once (an unknown key does not hide a duplicate index).
    /// </summary>
    public static AddressPlan Load(string inventoryDirectory)
    {
        var (inventory, problems, networkRead) = InventoryLoader.Read(inventoryDirectory);
        if (!networkRead) problems.ThrowIfAny(inventory.Directory);
        var plan = Build(inventory, problems);
        problems.ThrowIfAny(inventory.Directory);
        return plan;
    }

    public static AddressPlan Build(HostInventory inventory)
    {
        var problems = new InventoryProblems(inventory.Lines);
        var plan = Build(inventory, problems);
        problems.ThrowIfAny(inventory.Directory);
        return plan;
    }

    /// <summary>The plan, with every rule's refusal added to <paramref name="problems"/> (the caller throws them all at once).</summary>
    public static AddressPlan Build(HostInventory inventory, InventoryProblems problems)
    {
        var rules = new PlanRules(inventory, problems);
        rules.OverlayFitsThePlan();
        rules.RoutedPoolLiesApart();
        rules.RoutedPrefixFitsThePool();
        rules.UnderlayLiesOutsideTheMesh();
        rules.MtuIsUsable();
        rules.ListenPortIsAPort();
        var lighthouses = rules.Lighthouses();
        // A managed lighthouse is deployed like a host, and first: it must carry a new CA or blocklist before any peer.
        var hosts = lighthouses.Where(l => l.Lighthouse.Managed is not null)
            .Select(l => new HostAddresses(l.Lighthouse.Managed!, l.OverlayIp, inventory.Network.Overlay.PrefixLength, null)).ToList();
        foreach (var h in inventory.Hosts)
            if (rules.Host(h, hosts) is { } placed) hosts.Add(placed);
        rules.WslNamesAreFree(hosts);
        return new AddressPlan(inventory, inventory.Network.Overlay, lighthouses, hosts, inventory.Warnings.Concat(problems.Warnings).Distinct().ToList());
    }
}
