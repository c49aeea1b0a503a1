using Flatnet.Transport;
using Flatnet.Addressing;

namespace Flatnet.Verification;

/// <summary>
/// CheckLighthouse, part of VerifyPing: what the hosts' side can prove of each lighthouse. Reached: by how many of the
/// checked hosts. Relays: a tunnel relayed through it was seen (the opposite, a pair with no path at all, is one of
/// VerifyPing's diagnoses). Refuses revoked certificates: a managed lighthouse reports the bundle it runs, so its
/// pki.blocklist is known to be the current one; of an unmanaged one nothing here can tell, and the line says what
/// its operator must match.
/// </summary>
public sealed class LighthouseCheck(AddressPlan plan, string artifactsDirectory, Func<HostAddresses, IHostConnection, bool> runsBuiltBundle)
{
    public IReadOnlyList<string> Check(PingMatrix matrix, IReadOnlyDictionary<string, IHostConnection> connections)
    {
        var revoked = plan.Inventory.Blocklist.Fingerprints.Count();
        var pcs = matrix.Hosts.Where(h => plan.Lighthouses.All(l => l.Name != h.Host)).ToList();
        var lines = new List<string>();
        foreach (var lh in plan.Lighthouses)
        {
            var reached = pcs.Count(h => h.Running && !h.LighthousesUnreached.Contains(lh.Name));
            var relayed = PingMatrix.RelayedPairs(matrix.Results, lh.OverlayAddress);
            var relays = relayed.Count > 0 ? $"relays {string.Join(", ", relayed)}"
                : plan.Inventory.Network.UseRelays ? "no tunnel relayed through it now" : "relays off (use_relays: false)";
            lines.Add($"{lh.Called}: reached by {reached} of {pcs.Count} hosts; {relays}; {Blocklist(lh, revoked, connections)}");
        }
        return lines;
    }

    private string Blocklist(LighthouseAddresses lh, int revoked, IReadOnlyDictionary<string, IHostConnection> connections)
    {
        if (lh.Lighthouse.Managed is null)
            return revoked == 0 ? "nothing is revoked"
                : $"not flatnet's: it refuses the {revoked} revoked certificate(s) only if its pki.blocklist lists them " +
                  $"(see {Workspace.Relative(Path.Combine(artifactsDirectory, "lighthouses", lh.Name, "config.yaml"))})";
        if (!connections.TryGetValue(lh.Name, out var connection)) return "its bundle was not checked (it was not among the hosts checked)";
        return runsBuiltBundle(plan.Host(lh.Name), connection)
            ? $"runs the bundle built for it, so it refuses the {revoked} revoked certificate(s)"
            : $"runs an older bundle than the one built for it, so its blocklist may be behind: ./build.sh --target=AddHost --host={lh.Name}";
    }
}
