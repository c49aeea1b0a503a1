using Flatnet.Inventory;

namespace Flatnet.Addressing;

/// <summary>The plan's rules for the underlay: the LAN addresses flatnet reaches hosts at, and the lighthouses' endpoints.</summary>
internal sealed partial class PlanRules
{
    /// <summary>
    /// Addresses no machine is reached at: this network, multicast and the reserved block with the broadcast address.
    /// (Loopback is allowed: an SSH tunnel to a PC, `ssh -L 2222:pc:22`, is reached at 127.0.0.1 port 2222.)
    /// </summary>
    private static readonly (Ipv4Network Net, string What)[] Unreachable =
    [
        (Ipv4Network.Parse("0.0.0.0/8"), "\"this network\" (0.0.0.0/8)"), (Ipv4Network.Parse("224.0.0.0/4"), "multicast (224.0.0.0/4)"), (Ipv4Network.Parse("240.0.0.0/4"), "reserved (240.0.0.0/4, with the broadcast address)"),
    ];

    /// <summary>
    /// The LAN is not the mesh: a host's deploy address or a lighthouse's endpoint inside the overlay or the routed
    /// pool would be reached through Nebula (every WSL2 routes the pool through Windows, every peer routes a block into
    /// its host), the very tunnel that address is there to bring up.
    /// </summary>
    public void UnderlayLiesOutsideTheMesh()
    {
        foreach (var (file, field, text) in Underlay())
        {
            if (!Ipv4Network.TryParseAddress(text, out var a)) continue;
            var inside = Overlay.Contains(a) ? $"the overlay {Overlay}" : Pool.Contains(a) ? $"routed_pool {Pool}" : null;
            if (inside is not null)
                problems.Add(file, field, $"{text} is inside {inside}, which is reached through Nebula, not the LAN",
                    "give the address the machine has on the LAN (or its DNS name), as `ipconfig` (Windows) or `ip -4 addr` (Linux) shows it there");
            else if (Unreachable.FirstOrDefault(u => u.Net.Contains(a)) is { What: { } what })
                problems.Add(file, field, $"{text} is {what}: no other machine is reached there",
                    "give the address the machine has on the LAN (or its DNS name), as `ipconfig` (Windows) or `ip -4 addr` (Linux) shows it there");
        }
        // Two hosts at one address and port would be one machine: the second's bundle would land on the first.
        foreach (var twin in inventory.Hosts.Where(h => !string.IsNullOrWhiteSpace(h.Deploy.Address)).GroupBy(h => (h.Deploy.Address!.ToLowerInvariant(), h.Deploy.Port)).Where(g => g.Count() > 1))
            foreach (var h in twin.Skip(1))
                problems.Add(h.File, "deploy.address", $"{h.Deploy.Address} (port {h.Deploy.Port}) is also {twin.First().Name}'s deploy address",
                    "give each host its own address (or, behind one NAT router, its own forwarded port: deploy.port)");
    }

    private IEnumerable<(string File, string Field, string Address)> Underlay()
    {
        for (var i = 0; i < Net.Lighthouses.Count; i++)
            foreach (var ep in Net.Lighthouses[i].Endpoints)
                yield return (Net.File, $"lighthouses[{i}].endpoints", ep[..Math.Max(0, ep.LastIndexOf(':'))]);
        foreach (var h in inventory.Hosts)
            if (h.Deploy.Address is { } address) yield return (h.File, "deploy.address", address);
    }

}
