using System.Text;
using Flatnet.Addressing;

namespace Flatnet.Rendering;

/// <summary>
/// Every active host's block as the others route it (an unsafe route via its Nebula IP),
/// made once per address plan: each host's model lists all the others', so building them per host would format the
/// same addresses n² times. Also their fingerprint, which stands for those lists in a bundle's inputs.
/// </summary>
public sealed class PeerRoutes
{
    private readonly IReadOnlyList<(string Name, UnsafeRouteModel Unsafe)> _all;

    /// <summary>SHA-256 of every active host's name, Nebula IP and block, in plan order: all the unsafe routes depend on.</summary>
    public string Fingerprint { get; }

    public PeerRoutes(AddressPlan plan)
    {
        _all = plan.Routed.Select(o => (o.Name, new UnsafeRouteModel(o.RoutedBlock!.Value.ToString(), o.OverlayAddress, o.Name))).ToList();
        Fingerprint = Digest.Sha256(Encoding.UTF8.GetBytes(string.Join("\n", _all.Select(p => $"{p.Name} {p.Unsafe.Via} {p.Unsafe.Route}"))));
    }

    public IReadOnlyList<UnsafeRouteModel> UnsafeRoutesFor(string host) => _all.Where(p => p.Name != host).Select(p => p.Unsafe).ToList();
}
