using Flatnet.Output;
using Flatnet.Inventory;

namespace Flatnet.Addressing;

/// <summary>
/// The address plan's rules, one method each, in the order they are checked (so problems read top to bottom as the
/// files do). Each refusal goes to the inventory's one problem collector with its file, line, field and fix.
/// </summary>
internal sealed partial class PlanRules(HostInventory inventory, InventoryProblems problems)
{
    private NetworkSettings Net => inventory.Network;
    private Ipv4Network Overlay => Net.Overlay;
    private Ipv4Network Pool => Net.RoutedPool;

    // Every name and overlay IP is claimed once; the first claimer is named in the error.
    private readonly Dictionary<string, string> _names = [];
    private readonly Dictionary<uint, string> _ips = [];
    private readonly Dictionary<int, string> _indexes = [];

    public void OverlayFitsThePlan()
    {
        if (Overlay.PrefixLength is < 8 or > 24)
            problems.Add(Net.File, "overlay", $"/{Overlay.PrefixLength} does not fit the plan (host N = {Overlay.NetworkAddress[..Overlay.NetworkAddress.LastIndexOf('.')]}.N.1)",
                "use a prefix from /8 to /24; the spec uses 10.100.0.0/16");
        if (Overlay.Overlaps(Ipv4Network.WslNatRange))
            problems.Warn(Net.File, "overlay", $"{Overlay} overlaps 172.16.0.0/12, where WSL2 picks its NAT network at boot",
                "prefer a 10.x network such as 10.100.0.0/16, so WSL2 never lands on top of the overlay");
    }

    public void RoutedPoolLiesApart()
    {
        if (Pool.Overlaps(Overlay))
            problems.Add(Net.File, "routed_pool", $"{Pool} overlaps the overlay {Overlay}; Nebula will not route unsafe_routes inside its own network",
                "pick a pool outside the overlay, e.g. 10.101.0.0/16");
        if (Pool.Overlaps(Ipv4Network.WslNatRange))
            problems.Add(Net.File, "routed_pool", $"{Pool} overlaps 172.16.0.0/12, WSL2's own NAT range; two hosts' WSL2 could collide with it",
                "pick a pool outside 172.16.0.0/12, e.g. 10.101.0.0/16");
    }

    private bool PrefixFits => Net.RoutedPrefix >= Pool.PrefixLength && Net.RoutedPrefix <= 30;

    public void RoutedPrefixFitsThePool()
    {
        if (!PrefixFits)
            problems.Add(Net.File, "routed_prefix", $"/{Net.RoutedPrefix} does not fit inside the pool {Pool} with room for hosts",
                $"use a prefix from /{Pool.PrefixLength} to /30; the default is /24");
    }

    public void MtuIsUsable()
    {
        if (Net.Tuning.Mtu is < 576 or > 9000)
            problems.Add(Net.File, "tuning.mtu", $"{Net.Tuning.Mtu} is not a usable MTU", "use 1300 (Nebula's safe default across the internet) up to 9000 on a jumbo-frame LAN");
    }

    public void ListenPortIsAPort()
    {
        if (Net.ListenPort is < 1 or > 65535)
            problems.Add(Net.File, "listen_port", $"{Net.ListenPort} is not a UDP port", "use 4242, Nebula's default");
    }

    /// <summary>Every lighthouse: an address of the overlay, a name and IP of its own, an endpoint to find it at.</summary>
    public List<LighthouseAddresses> Lighthouses()
    {
        if (Net.Lighthouses.Count == 0)
            problems.Add(Net.File, "lighthouses", "no lighthouse is listed; hosts could not find each other",
                "add the Stage 1 lighthouse: lighthouses: [{name: lighthouse, overlay_ip: 10.100.0.1, endpoints: [\"LAN-IP:4242\"]}]");
        var lighthouses = new List<LighthouseAddresses>();
        for (var i = 0; i < Net.Lighthouses.Count; i++)
        {
            var lh = Net.Lighthouses[i];
            var ip = OverlayAddress(Net.File, $"lighthouses[{i}].overlay_ip", lh.OverlayIp);
            Claim(Net.File, $"lighthouses[{i}].name", lh.Name, ip);
            if (lh.Endpoints.Count == 0)
                problems.Add(Net.File, $"lighthouses[{i}].endpoints", $"{lh.Called} has no endpoint", "list its LAN or public address with the port, e.g. \"192.168.1.10:4242\"");
            if (ip is { } a) lighthouses.Add(new LighthouseAddresses(lh, a));
        }
        return lighthouses;
    }

    /// <summary>One host's addresses, checked against the hosts placed before it; null when it has no overlay IP.</summary>
    public HostAddresses? Host(HostEntry h, IReadOnlyList<HostAddresses> placed)
    {
        FileNameIsTheHostsName(h);
        WinRmOverHttpIsNamed(h);
        var (ip, indexAccepted) = OverlayIpOf(h);
        Claim(h.File, "name", h.Name, ip);
        var block = BlockOf(h, indexAccepted);
        if (block is { } b) BlockIsUsable(h, b, placed);
        return ip is { } a ? new HostAddresses(h, a, Overlay.PrefixLength, block) : null;
    }

    /// <summary>With names on, a WSL2's name (host-c-wsl) is a DNS label no host or lighthouse already has.</summary>
    public void WslNamesAreFree(IReadOnlyList<HostAddresses> hosts)
    {
        if (!Net.Names.Enabled) return;
        foreach (var h in hosts.Where(h => h.Host.Wsl && !h.Host.IsLighthouse))
        {
            var wsl = h.Name + MeshNames.WslEnding;
            if (wsl.Length > 63)
                problems.Add(h.Host.File, "name", $"'{h.Name}' is too long for its WSL2's name '{wsl}' (a DNS label has at most 63 characters)",
                    "shorten the host's name to 59 characters or fewer, or set names: {enabled: false} in network.yaml");
            else if (_names.TryGetValue(wsl, out var owner))
                problems.Add(h.Host.File, "name", $"its WSL2's name '{wsl}' is the name of {Workspace.Relative(owner)}",
                    $"rename one of them, or set names: {{enabled: false}} in {Workspace.Relative(Net.File)}");
        }
    }

    private void FileNameIsTheHostsName(HostEntry h)
    {
        var stem = Path.GetFileNameWithoutExtension(h.File);
        if (stem == h.Name) return;
        // Only a fix that can work is offered (battery 40: a name refused on the next line was offered as the file's new name).
        var nameFits = Inventory.Grammar.HostName(h.Name) is null;
        var stemFits = Inventory.Grammar.HostName(stem) is null;
        problems.Add(h.File, "name", $"'{Terminal.OneLine(h.Name)}' does not match the file name '{Terminal.OneLine(stem)}.yaml'",
            (nameFits, stemFits) switch
            {
                (true, true) => $"rename the file to {h.Name}.yaml or set name: {stem}",
                (true, false) => $"rename the file to {h.Name}.yaml",
                (false, true) => $"set name: {stem}",
                _ => "give the host a name of lower-case letters, digits and '-', and the file that name with .yaml",
            });
    }

    private void WinRmOverHttpIsNamed(HostEntry h)
    {
        if (h.Deploy.Transport == DeployTransport.WinRm && h.Deploy.WinRmHttp)
            problems.Warn(h.File, "deploy.winrm_http", "WinRM over plain HTTP: nothing proves that the machine answering is the host, and it gets the deploy password",
                "give the host an HTTPS listener and pin its certificate (winrm_cert:), or use transport: ssh");
    }

    /// <summary>overlay_ip when given, else derived from the index (10.100.N.1); whether the index was taken.</summary>
    private (uint? Ip, bool IndexAccepted) OverlayIpOf(HostEntry h)
    {
        uint? ip = null;
        var indexAccepted = false;
        if (h.Index is { } n)
        {
            var hostBits = 32 - Overlay.PrefixLength;
            var max = hostBits >= 9 ? (1 << (hostBits - 8)) - 1 : 0;
            if (n < 1 || n > max)
                problems.Add(h.File, "index", $"{n} is outside 1..{max}, the host numbers the overlay {Overlay} has room for",
                    max == 0 ? "widen the overlay (e.g. /16)" : $"pick a free index from 1 to {max} (0 is the lighthouse's)");
            else if (!_indexes.TryAdd(n, h.File))
                problems.Add(h.File, "index", $"{n} is already used by {_indexes[n]}", "give every host its own index");
            else
            {
                indexAccepted = true;
                if (h.OverlayIp is null) ip = Overlay.Network + (uint)(n << 8) + 1;
            }
        }
        if (h.OverlayIp is not null)
            ip = OverlayAddress(h.File, "overlay_ip", h.OverlayIp);
        else if (h.Index is null)
            problems.Add(h.File, "index", "neither index nor overlay_ip is set", "add index: N (the host gets 10.100.N.1), the next free number");
        return (ip, indexAccepted);
    }

    /// <summary>routed_block when given; none without WSL2; else the index-th block of the pool.</summary>
    private Ipv4Network? BlockOf(HostEntry h, bool indexAccepted)
    {
        if (h.RoutedBlock is not null)
        {
            if (Ipv4Network.TryParse(h.RoutedBlock, out var b, out var why)) return b;
            problems.Add(h.File, "routed_block", why, "write it like 10.101.3.0/24");
            return null;
        }
        // No WSL2, so nothing to route to: no block, and no peer carries a dead route to one.
        if (!h.Wsl) return null;
        if (h.Index is { } n && indexAccepted && PrefixFits)
        {
            if ((ulong)n < 1UL << (Net.RoutedPrefix - Pool.PrefixLength)) return Pool.Subnet(Net.RoutedPrefix, (uint)n);
            problems.Add(h.File, "index", $"block number {n} does not fit the routed pool {Pool} in /{Net.RoutedPrefix} steps",
                "widen routed_pool in network.yaml, or set routed_block for this host");
        }
        else if (h.Index is null)
            problems.Add(h.File, "routed_block", "no index, so no routed block can be derived", "add index: N, or routed_block: NET");
        return null;
    }

    private void BlockIsUsable(HostEntry h, Ipv4Network block, IReadOnlyList<HostAddresses> placed)
    {
        var f = h.File;
        if (block.PrefixLength > 30)
            problems.Add(f, "routed_block", $"{block} is too small to hold a WSL2 address", "use /30 or larger, /24 by default");
        if (block.Overlaps(Overlay))
            problems.Add(f, "routed_block", $"{block} overlaps the overlay {Overlay}; Nebula will not route it as an unsafe route",
                $"pick a block outside the overlay, e.g. inside {Pool}");
        if (block.Overlaps(Ipv4Network.WslNatRange))
            problems.Add(f, "routed_block", $"{block} overlaps 172.16.0.0/12, where WSL2 picks its own NAT network",
                $"pick a block outside 172.16.0.0/12, e.g. inside {Pool}");
        foreach (var other in placed.Where(o => o.RoutedBlock is { } ob && ob.Overlaps(block)))
            problems.Add(f, "routed_block", $"{block} overlaps {other.Name}'s block {other.RoutedBlock}", "give every host its own block");
        // Every peer routes this block into this host: outside the pool it could swallow a LAN, an endpoint, the world.
        if (!Pool.Contains(block) && !h.RoutedBlockOutsidePool)
            problems.Add(f, "routed_block", $"{block} lies outside routed_pool {Pool}; every peer would route it into {h.Name}",
                $"pick a block inside {Pool}, or, if it really must lie outside, set routed_block_outside_pool: true");
        else if (!Pool.Contains(block))
            foreach (var (what, address) in Reachable().Where(r => block.Contains(r.Address)))
                problems.Add(f, "routed_block", $"{block} covers {what} ({Ipv4Network.FormatAddress(address)}); peers would send that traffic into {h.Name}",
                    "pick a block that covers no lighthouse endpoint and no host's deploy address");
        if (block.PrefixLength < Net.RoutedPrefix)
            problems.Warn(f, "routed_block", $"{block} is wider than the /{Net.RoutedPrefix} each host needs",
                $"a /{Net.RoutedPrefix} is enough for a WSL2 (and its containers); a wider block routes more than {h.Name} serves");
    }

    private void Claim(string file, string field, string name, uint? ip)
    {
        problems.Check(file, field, Grammar.HostName(name));
        if (!_names.TryAdd(name, file))
            problems.Add(file, field, $"the name '{name}' is already used by {_names[name]}", "give every host and lighthouse its own name");
        if (ip is { } a && !_ips.TryAdd(a, $"{name} ({file})"))
            problems.Add(file, "overlay_ip", $"{Ipv4Network.FormatAddress(a)} is already used by {_ips[a]}", "give every host its own index or overlay_ip");
    }

    private uint? OverlayAddress(string file, string field, string? text)
    {
        if (!Ipv4Network.TryParseAddress(text, out var a))
        {
            problems.Add(file, field, $"'{text}' is not an IPv4 address", $"write it like {Overlay.NetworkAddress[..^1]}1");
            return null;
        }
        if (!Overlay.Contains(a) || a == Overlay.Network || a == Overlay.Last)
        {
            problems.Add(file, field, $"{text} is not a usable address of the overlay {Overlay}", $"pick an address inside {Overlay}, not its first or last");
            return null;
        }
        return a;
    }

    /// <summary>Addresses a routed block must never swallow: the lighthouses' endpoints and the hosts' deploy addresses.</summary>
    private IEnumerable<(string What, uint Address)> Reachable()
    {
        foreach (var lh in Net.Lighthouses)
            foreach (var ep in lh.Endpoints)
                if (Ipv4Network.TryParseAddress(ep[..Math.Max(0, ep.LastIndexOf(':'))], out var a)) yield return ($"{lh.Called}'s endpoint", a);
        foreach (var h in inventory.Hosts)
            if (Ipv4Network.TryParseAddress(h.Deploy.Address, out var a)) yield return ($"{h.Name}'s deploy address", a);
    }
}
