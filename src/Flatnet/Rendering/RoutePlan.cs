using Flatnet.Addressing;

namespace Flatnet.Rendering;

/// <summary>A route as the scripts need it: CIDR for ip(8) and New-NetRoute, network + mask for route.exe.</summary>
public sealed record Route(string Cidr, string Network, string Mask, int Prefix, string Comment)
{
    public static Route For(Ipv4Network net, string comment) => new(net.ToString(), net.NetworkAddress, net.NetMask, net.PrefixLength, comment);
}

/// <summary>
/// What routing a host and its WSL2 need, computed once and rendered into both setup-routing.ps1 (Windows) and its
/// Linux twin host-routing.sh, so the two scripts provably route the same thing.
///   host side: own routed block -> the WSL2 VM's current address; forwarding on; nothing else
///              (the overlay and the other hosts' blocks are Nebula's: its interface route and unsafe_routes).
///   WSL side:  the stable address inside the block; the overlay and every other block via the Windows gateway.
/// </summary>
public sealed record RoutePlan(Route OwnBlock, string WslAddress, IReadOnlyList<Route> WslRoutes, Route Overlay, IReadOnlyList<Route> Pool)
{
    /// <summary>Null for a host without WSL2: there is nothing to route.</summary>
    public static RoutePlan? For(AddressPlan plan, HostAddresses host) => host is { RoutedBlock: { } block, WslAddress: { } wsl } ? new(
        Route.For(block, $"{host.Name}'s own block, served by its WSL2"),
        wsl,
        new[] { Route.For(plan.Overlay, "the Nebula overlay (every host's Nebula IP)") }
            .Concat(PeerRoutes.Of(plan).WslRoutesFor(host.Name)).ToList(),
        Route.For(plan.Overlay, "the Nebula overlay"),
        [Route.For(plan.Inventory.Network.RoutedPool, "every host's routed block")]) : null;
}
