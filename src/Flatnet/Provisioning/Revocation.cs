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
        var rerun = $"./build.sh --target=RevokeHost --host={host}";
        var fingerprint = Record(context, host, rerun);
        AfterRecorded(context, host, rerun, () => PeerConvergence.Update(context, host, $"the revocation of {host} is recorded", rerun));
        return fingerprint;
    }

    /// <summary>The fix's last step for a revoked host's pki/ that holds what is not flatnet's: its certificate is what is revoked, so it stays.</summary>
    public const string KeepTheCertificate = "run this again (host.crt is the certificate to revoke: keep it there)";

    /// <summary>
    /// Puts the host's certificate on the blocklist (once), and renders the lighthouse's config with it before any
    /// peer is touched. From here on the host is out of the plan: no bundle, route or check is made for it.
    /// </summary>
    /// <param name="rerun">the command that finishes the revocation, said if what follows the blocklist's write stops.</param>
    public static string Record(FlatnetContext context, string host, string rerun)
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
        RequireWritableWhereTheRolloutWrites(context, host);
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
        var lighthouses = AfterRecorded(context, host, rerun, () => LighthouseConfigs.Render(context));
        if (lighthouses.Count > 0)
            context.Log.Info($"{host}: the lighthouse must refuse it too: add {fingerprint} to pki.blocklist in its config and reload it " +
                             $"(kill -HUP, or restart the service); see {string.Join(", ", lighthouses.Select(Workspace.Relative))}");
        return fingerprint;
    }

    /// <summary>
    /// Runs <paramref name="step"/>, a part of what follows the blocklist's write: a stop there (a file of the user's
    /// where a peer's bundle goes, found by content; the system's refusal: no permission, no room) says that the
    /// revocation is recorded and that running it again finishes it (battery 44: "nothing was changed" was said with the
    /// blocklist written). Pending peers say so themselves.
    /// </summary>
    public static T AfterRecorded<T>(FlatnetContext context, string host, string rerun, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception thrown) when ((thrown as FlatnetException ?? SystemRefusals.Plain(thrown)) is { } e and not PendingHosts)
        {
            // The system's refusals too (no permission, no room: battery 45 had one said with no word of the record).
            var where = (e.File is null ? "" : e.File + ": ") + (e.Line is { } line ? $"line {line}: " : "") + (e.Field is null ? "" : e.Field + ": ");
            throw new FlatnetException($"{host}: its revocation is recorded ({Workspace.Relative(Blocklist.PathIn(context.Workspace.InventoryDirectory))}), but the rollout that follows stopped: " +
                                       where + e.Problem.Replace("; nothing was changed", "; it was left as it is", StringComparison.Ordinal),
                [.. e.Fixes.Select(f => f.Replace(", " + SystemRefusals.Again, "", StringComparison.Ordinal)),
                 $"then {rerun} finishes the revocation"], inner: thrown);
        }
    }

    /// <summary>
    /// Everything the rollout after the blocklist writes (the lighthouses' configs, the scratch of nebula -test, each
    /// peer's pki, render, bundle folder and zip) is checked before the blocklist is written: a link, a FIFO or a folder
    /// where a file goes stops the revocation before its first write, not after it (batteries 42 and 43).
    /// </summary>
    private static void RequireWritableWhereTheRolloutWrites(FlatnetContext context, string host)
    {
        var workspace = context.Workspace;
        LighthouseConfigs.RequireReplaceable(context);
        SafeFiles.RequireNoLinkOnTheWay(Path.Combine(workspace.ArtifactsDirectory, "check"));
        foreach (var peer in context.Plan.Active.Where(h => h.Name != host).Select(h => h.Name))
        {
            foreach (var dir in new[] { workspace.PkiDirectory(peer), Path.Combine(workspace.ArtifactsDirectory, "render", peer) })
                SafeFiles.RequireNoLinkOnTheWay(dir);
            SafeFiles.RequireReplaceable(workspace.RenderDirectory(peer));
            SafeFiles.RequireReplaceable(workspace.BundleDirectory(peer));
            // Its build records, beside them (battery 45: a FIFO at bundle.inputs was found after the record).
            SafeFiles.RequireReplaceable(workspace.HostDirectory(peer), ["bundle.inputs", "render.inputs", "render.files"]);
            var zip = workspace.BundlePath(peer);
            SafeFiles.RequireReplaceable(Path.GetDirectoryName(zip)!, [Path.GetFileName(zip)]);
            HostPipeline.RequireFlatnetsZip(zip);
        }
    }
}
