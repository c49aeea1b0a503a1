using System.Text.RegularExpressions;
using Flatnet.Inventory;
using Flatnet.Versions;

namespace Flatnet.Addressing;

/// <summary>Addresses of one lighthouse.</summary>
public sealed record LighthouseAddresses(Lighthouse Lighthouse, uint OverlayIp)
{
    public string Name => Lighthouse.Name;
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
/// (file, field, fix) at once, so nothing is written from a bad inventory. Warnings are returned, not thrown.
/// </summary>
public sealed partial record AddressPlan(
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

    /// <summary>Hosts whose certificate is not revoked: the ones every bundle, check and release is for.</summary>
    public IEnumerable<HostAddresses> Active => Hosts.Where(h => !Inventory.IsRevoked(h.Name));

    /// <summary>The Nebula daemons of the mesh: the lighthouses (declared in network.yaml: Stage 1's is not flatnet's) and every active host (declared in its file).</summary>
    public MeshVersions Daemons => new(
        Lighthouses.Select(l => new Daemon(l.Name, "lighthouse", l.Lighthouse.NebulaVersion, $"{Inventory.Network.File}: lighthouses: nebula_version"))
            .Concat(Active.Select(h => new Daemon(h.Name, "host", h.Host.NebulaVersion, $"{h.Host.File}: nebula_version")))
            .ToList());

    /// <summary>Active hosts flatnet can reach to deploy to (a transport other than none).</summary>
    public IEnumerable<HostAddresses> Deployable => Active.Where(h => h.Host.Deploy.Transport != DeployTransport.None);

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex HostName();

    /// <summary>Addresses a routed block must never swallow: the lighthouses' endpoints and the hosts' deploy addresses.</summary>
    private static IEnumerable<(string What, uint Address)> Reachable(HostInventory inventory)
    {
        foreach (var lh in inventory.Network.Lighthouses)
            foreach (var ep in lh.Endpoints)
                if (Ipv4Network.TryParseAddress(ep[..Math.Max(0, ep.LastIndexOf(':'))], out var a)) yield return ($"lighthouse {lh.Name}'s endpoint", a);
        foreach (var h in inventory.Hosts)
            if (Ipv4Network.TryParseAddress(h.Deploy.Address, out var a)) yield return ($"{h.Name}'s deploy address", a);
    }

    public static AddressPlan Build(HostInventory inventory)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var net = inventory.Network;
        var nf = net.File;
        void Error(string file, string field, string problem, string fix) => errors.Add(FlatnetException.Format(file, inventory.Lines.LineOf(file, field), field, problem, fix));

        var overlay = net.Overlay;
        if (overlay.PrefixLength is < 8 or > 24)
            Error(nf, "overlay", $"/{overlay.PrefixLength} does not fit the plan (host N = {overlay.NetworkAddress[..overlay.NetworkAddress.LastIndexOf('.')]}.N.1)",
                "use a prefix from /8 to /24; the spec uses 10.100.0.0/16");
        if (overlay.Overlaps(Ipv4Network.WslNatRange))
            warnings.Add(FlatnetException.Format(nf, inventory.Lines.LineOf(nf, "overlay"), "overlay", $"{overlay} overlaps 172.16.0.0/12, where WSL2 picks its NAT network at boot",
                "prefer a 10.x network such as 10.100.0.0/16, so WSL2 never lands on top of the overlay"));

        var pool = net.RoutedPool;
        if (pool.Overlaps(overlay))
            Error(nf, "routed_pool", $"{pool} overlaps the overlay {overlay}; Nebula will not route unsafe_routes inside its own network",
                "pick a pool outside the overlay, e.g. 10.101.0.0/16");
        if (pool.Overlaps(Ipv4Network.WslNatRange))
            Error(nf, "routed_pool", $"{pool} overlaps 172.16.0.0/12, WSL2's own NAT range; two hosts' WSL2 could collide with it",
                "pick a pool outside 172.16.0.0/12, e.g. 10.101.0.0/16");
        if (net.RoutedPrefix < pool.PrefixLength || net.RoutedPrefix > 30)
            Error(nf, "routed_prefix", $"/{net.RoutedPrefix} does not fit inside the pool {pool} with room for hosts",
                $"use a prefix from /{pool.PrefixLength} to /30; the default is /24");
        if (net.Tuning.Mtu is < 576 or > 9000)
            Error(nf, "tuning.mtu", $"{net.Tuning.Mtu} is not a usable MTU", "use 1300 (Nebula's safe default across the internet) up to 9000 on a jumbo-frame LAN");
        if (net.ListenPort is < 1 or > 65535)
            Error(nf, "listen_port", $"{net.ListenPort} is not a UDP port", "use 4242, Nebula's default");

        // Every name and overlay IP is claimed once; the first claimer is named in the error.
        var names = new Dictionary<string, string>();
        var ips = new Dictionary<uint, string>();
        void Claim(string file, string field, string name, uint? ip)
        {
            if (!HostName().IsMatch(name))
                Error(file, field, $"'{name}' is not a valid host name",
                    "use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. host-c)");
            if (!names.TryAdd(name, file))
                Error(file, field, $"the name '{name}' is already used by {names[name]}", "give every host and lighthouse its own name");
            if (ip is { } a && !ips.TryAdd(a, $"{name} ({file})"))
                Error(file, "overlay_ip", $"{Ipv4Network.FormatAddress(a)} is already used by {ips[a]}", "give every host its own index or overlay_ip");
        }

        uint? OverlayAddress(string file, string field, string? text)
        {
            if (!Ipv4Network.TryParseAddress(text, out var a))
            {
                Error(file, field, $"'{text}' is not an IPv4 address", $"write it like {overlay.NetworkAddress[..^1]}1");
                return null;
            }
            if (!overlay.Contains(a) || a == overlay.Network || a == overlay.Last)
            {
                Error(file, field, $"{text} is not a usable address of the overlay {overlay}", $"pick an address inside {overlay}, not its first or last");
                return null;
            }
            return a;
        }

        if (net.Lighthouses.Count == 0)
            Error(nf, "lighthouses", "no lighthouse is listed; hosts could not find each other",
                "add the Stage 1 lighthouse: lighthouses: [{name: lighthouse, overlay_ip: 10.100.0.1, endpoints: [\"LAN-IP:4242\"]}]");
        var lighthouses = new List<LighthouseAddresses>();
        for (var i = 0; i < net.Lighthouses.Count; i++)
        {
            var lh = net.Lighthouses[i];
            var ip = OverlayAddress(nf, $"lighthouses[{i}].overlay_ip", lh.OverlayIp);
            Claim(nf, $"lighthouses[{i}].name", lh.Name, ip);
            if (lh.Endpoints.Count == 0)
                Error(nf, $"lighthouses[{i}].endpoints", $"lighthouse {lh.Name} has no endpoint", "list its LAN or public address with the port, e.g. \"192.168.1.10:4242\"");
            if (ip is { } a) lighthouses.Add(new LighthouseAddresses(lh, a));
        }

        var indexes = new Dictionary<int, string>();
        // A managed lighthouse is deployed like a host, and first: it must carry a new CA or blocklist before any peer.
        var hosts = lighthouses.Where(l => l.Lighthouse.Managed is not null)
            .Select(l => new HostAddresses(l.Lighthouse.Managed!, l.OverlayIp, overlay.PrefixLength, null)).ToList();
        var hostBits = 32 - overlay.PrefixLength;
        foreach (var h in inventory.Hosts)
        {
            var f = h.File;
            var stem = Path.GetFileNameWithoutExtension(f);
            if (stem != h.Name)
                Error(f, "name", $"'{h.Name}' does not match the file name '{stem}.yaml'", $"rename the file to {h.Name}.yaml or set name: {stem}");
            if (h.Deploy.Transport == DeployTransport.WinRm && h.Deploy.WinRmHttp)
                warnings.Add(FlatnetException.Format(f, inventory.Lines.LineOf(f, "deploy.winrm_http"), "deploy.winrm_http",
                    "WinRM over plain HTTP: nothing proves that the machine answering is the host, and it gets the deploy password",
                    "give the host an HTTPS listener and pin its certificate (winrm_cert:), or use transport: ssh"));

            uint? ip = null;
            var indexAccepted = false;
            if (h.Index is { } n)
            {
                var max = hostBits >= 9 ? (1 << (hostBits - 8)) - 1 : 0;
                if (n < 1 || n > max)
                    Error(f, "index", $"{n} is outside 1..{max}, the host numbers the overlay {overlay} has room for",
                        max == 0 ? "widen the overlay (e.g. /16)" : $"pick a free index from 1 to {max} (0 is the lighthouse's)");
                else if (!indexes.TryAdd(n, f))
                    Error(f, "index", $"{n} is already used by {indexes[n]}", "give every host its own index");
                else
                {
                    indexAccepted = true;
                    if (h.OverlayIp is null) ip = overlay.Network + (uint)(n << 8) + 1;
                }
            }
            if (h.OverlayIp is not null)
                ip = OverlayAddress(f, "overlay_ip", h.OverlayIp);
            else if (h.Index is null)
                Error(f, "index", "neither index nor overlay_ip is set", "add index: N (the host gets 10.100.N.1), the next free number");
            Claim(f, "name", h.Name, ip);

            Ipv4Network? block = null;
            if (h.RoutedBlock is not null)
            {
                if (Ipv4Network.TryParse(h.RoutedBlock, out var b, out var why)) block = b;
                else Error(f, "routed_block", why, "write it like 10.101.3.0/24");
            }
            else if (!h.Wsl)
            {
                // No WSL2, so nothing to route to: no block, and no peer carries a dead route to one.
            }
            else if (h.Index is { } n2 && indexAccepted && net.RoutedPrefix >= pool.PrefixLength && net.RoutedPrefix <= 30)
            {
                if ((ulong)n2 < 1UL << (net.RoutedPrefix - pool.PrefixLength)) block = pool.Subnet(net.RoutedPrefix, (uint)n2);
                else Error(f, "index", $"block number {n2} does not fit the routed pool {pool} in /{net.RoutedPrefix} steps",
                    "widen routed_pool in network.yaml, or set routed_block for this host");
            }
            else if (h.Index is null)
                Error(f, "routed_block", "no index, so no routed block can be derived", "add index: N, or routed_block: NET");

            if (block is { } bl)
            {
                if (bl.PrefixLength > 30)
                    Error(f, "routed_block", $"{bl} is too small to hold a WSL2 address", "use /30 or larger, /24 by default");
                if (bl.Overlaps(overlay))
                    Error(f, "routed_block", $"{bl} overlaps the overlay {overlay}; Nebula will not route it as an unsafe route",
                        $"pick a block outside the overlay, e.g. inside {pool}");
                if (bl.Overlaps(Ipv4Network.WslNatRange))
                    Error(f, "routed_block", $"{bl} overlaps 172.16.0.0/12, where WSL2 picks its own NAT network",
                        $"pick a block outside 172.16.0.0/12, e.g. inside {pool}");
                foreach (var other in hosts.Where(o => o.RoutedBlock is { } ob && ob.Overlaps(bl)))
                    Error(f, "routed_block", $"{bl} overlaps {other.Name}'s block {other.RoutedBlock}", "give every host its own block");
                // Every peer routes this block into this host: outside the pool it could swallow a LAN, an endpoint, the world.
                if (!pool.Contains(bl) && !h.RoutedBlockOutsidePool)
                    Error(f, "routed_block", $"{bl} lies outside routed_pool {pool}; every peer would route it into {h.Name}",
                        $"pick a block inside {pool}, or, if it really must lie outside, set routed_block_outside_pool: true");
                else if (!pool.Contains(bl))
                    foreach (var (what, address) in Reachable(inventory).Where(r => bl.Contains(r.Address)))
                        Error(f, "routed_block", $"{bl} covers {what} ({Ipv4Network.FormatAddress(address)}); peers would send that traffic into {h.Name}",
                            "pick a block that covers no lighthouse endpoint and no host's deploy address");
                if (bl.PrefixLength < net.RoutedPrefix)
                    warnings.Add(FlatnetException.Format(f, inventory.Lines.LineOf(f, "routed_block"), "routed_block", $"{bl} is wider than the /{net.RoutedPrefix} each host needs",
                        $"a /{net.RoutedPrefix} is enough for a WSL2 (and its containers); a wider block routes more than {h.Name} serves"));
            }
            if (ip is { } a)
                hosts.Add(new HostAddresses(h, a, overlay.PrefixLength, block));
        }

        if (errors.Count > 0)
            throw new InventoryProblem(Workspace.Relative(inventory.Directory), errors);
        return new AddressPlan(inventory, overlay, lighthouses, hosts, warnings);
    }

}
