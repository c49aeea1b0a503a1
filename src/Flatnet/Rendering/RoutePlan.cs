using Flatnet.Addressing;
using Flatnet.Inventory;

namespace Flatnet.Rendering;

/// <summary>A route as the scripts need it: its CIDR (for ip(8) and New-NetRoute) and what it is for.</summary>
public sealed record Route(string Cidr, string Comment)
{
    public static Route For(Ipv4Network net, string comment) => new(net.ToString(), comment);
}

/// <summary>
/// What routing a host and its WSL2 need, computed once and rendered into both setup-routing.ps1 (Windows) and its
/// Linux twin host-routing.sh, so the two scripts provably route the same thing.
///   host side: own routed block -> the WSL2 VM's current address; forwarding on; nothing else
///              (the overlay and the other hosts' blocks are Nebula's: its interface route and unsafe_routes).
///   WSL side:  the stable address inside the block; the overlay and the whole routed pool via the Windows gateway:
///              two routes, whatever the fleet's size, and none to change when a host joins or leaves (Windows and
///              Nebula know which blocks exist; a packet to a block no host serves ends there).
/// </summary>
public sealed record RoutePlan(Route OwnBlock, string WslAddress, Route Overlay, IReadOnlyList<Route> Pool)
{
    /// <summary>What WSL2 sends to Windows: the overlay and the routed pool.</summary>
    public IReadOnlyList<Route> WslRoutes => [Overlay, .. Pool];

    /// <summary>Null for a host without WSL2: there is nothing to route.</summary>
    public static RoutePlan? For(AddressPlan plan, HostAddresses host) => host is { RoutedBlock: { } block, WslAddress: { } wsl } ? new(
        Route.For(block, $"{host.Name}'s own block, served by its WSL2"),
        wsl,
        Route.For(plan.Overlay, "the Nebula overlay (every host's Nebula IP)"),
        [Route.For(plan.Inventory.Network.RoutedPool, "the routed pool (every host's block)")]) : null;
}
