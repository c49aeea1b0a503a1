using Flatnet.Pki;
using Flatnet.Inventory;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// Revocation (RevokeHost): puts the host's certificate fingerprint in hosts/blocklist.txt, which every config carries as
/// pki.blocklist, and brings every other host to the config that refuses it. A peer that cannot be reached stays
/// pending, and re-running RevokeHost deploys to it.
/// </summary>
public static class Revocation
{
    public static string Revoke(FlatnetContext context, string host)
    {
        var fingerprint = Record(context, host);
        PeerConvergence.Update(context, host, $"the revocation of {host} is recorded", $"./build.sh --target=RevokeHost --host={host}");
        return fingerprint;
    }

    /// <summary>The fix's last step for a revoked host's pki/ that holds what is not flatnet's: its certificate is what is revoked, so it stays.</summary>
    public const string KeepTheCertificate = "run this again (keep host.crt: it is the certificate to revoke; if pki/ is a link, put the folder it leads to in its place)";

    /// <summary>
    /// Puts the host's certificate on the blocklist (once), and renders the lighthouse's config with it before any
    /// peer is touched. From here on the host is out of the plan: no bundle, route or check is made for it.
    /// </summary>
    public static string Record(FlatnetContext context, string host)
    {
        // A name no file of the inventory has any more, whose certificate flatnet signed (OrphanedHosts), is revoked too.
        if (!OrphanedHosts.Find(context).Contains(host)) context.Plan.Host(host);
        var crt = Path.Combine(HostCertificates.OwnPkiDirectory(context.Workspace, host, KeepTheCertificate), "host.crt");
        if (!File.Exists(crt))
            throw new FlatnetException($"{host}: no certificate at {Workspace.Relative(crt)} to revoke.",
                fix: $"run from the workspace that signed it, or add its fingerprint (nebula-cert print) to hosts/{Blocklist.FileName} by hand");
        var fingerprint = context.NebulaCert.Print(crt).Fingerprint;
        // What every config will carry is read before the blocklist is written: a CA file that stops the configs (two
        // certificates in ca.crt, a rotation's CA missing) stops the revocation before its first write (battery 20).
        _ = context.Ca.TrustedPem();
        RequireNoLinkWhereTheRolloutWrites(context, host);
        var file = Blocklist.PathIn(context.Workspace.InventoryDirectory);
        if (context.Plan.Inventory.Blocklist.Contains(fingerprint))
            context.Log.Info($"{host}: certificate {fingerprint[..16]}... is already revoked; making sure every peer has it");
        else
        {
            Blocklist.Append(file, fingerprint, host, DateTime.UtcNow);
            context.Log.Info($"{host}: revoked certificate {fingerprint} ({Workspace.Relative(file)})");
            context.InventoryChanged(); // the blocklist is in every host's config
        }
        // The lighthouses go first: a managed one is first in every rollout; an unmanaged one's config for its operator
        // carries the new blocklist before any peer is touched.
        var lighthouses = LighthouseConfigs.Render(context);
        if (lighthouses.Count > 0)
            context.Log.Info($"{host}: the lighthouse must refuse it too: add {fingerprint} to pki.blocklist in its config and reload it " +
                             $"(kill -HUP, or restart the service); see {string.Join(", ", lighthouses.Select(Workspace.Relative))}");
        return fingerprint;
    }

    /// <summary>
    /// Every folder the rollout after the blocklist writes in (the lighthouses' configs, each peer's pki, render and
    /// bundle) is checked for a link before the blocklist is written: a link stops the revocation before its first write,
    /// not after it (battery 42: a link at artifacts/lighthouses/NAME stopped RemoveHost with the blocklist written).
    /// </summary>
    private static void RequireNoLinkWhereTheRolloutWrites(FlatnetContext context, string host)
    {
        var workspace = context.Workspace;
        foreach (var lighthouse in context.Plan.Lighthouses.Where(l => l.Lighthouse.Managed is null))
            SafeFiles.RequireNoLinkOnTheWay(LighthouseConfigs.Folder(context, lighthouse.Name));
        foreach (var peer in context.Plan.Active.Where(h => h.Name != host).Select(h => h.Name))
            foreach (var dir in new[] { workspace.PkiDirectory(peer), workspace.RenderDirectory(peer), workspace.BundleDirectory(peer),
                         Path.GetDirectoryName(workspace.BundlePath(peer))!, Path.Combine(workspace.ArtifactsDirectory, "render", peer) })
                SafeFiles.RequireNoLinkOnTheWay(dir);
    }
}
