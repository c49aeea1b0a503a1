using Flatnet.Files;
using Flatnet.Inventory;
using Flatnet.Output;
using Flatnet.Tools;

namespace Flatnet.Provisioning;

/// <summary>
/// A host flatnet signed a certificate for that no hosts/*.yaml names any more (its file renamed or deleted by hand):
/// its certificate stays valid for its whole life and its bundle (with its key, when made here) stays in
/// artifacts/bundles. Said at PackageAll with the command that revokes it (RevokeHost takes such a name too).
/// </summary>
public static class OrphanedHosts
{
    /// <summary>The names under artifacts/hosts/ with a certificate, that no host or lighthouse of the inventory has.</summary>
    public static IReadOnlyList<string> Find(FlatnetContext context)
    {
        var root = Path.Combine(context.Workspace.ArtifactsDirectory, "hosts");
        if (!Directory.Exists(root)) return [];
        var named = context.Plan.Hosts.Select(h => h.Name).Concat(context.Plan.Lighthouses.Select(l => l.Name)).ToHashSet(StringComparer.Ordinal);
        return Directory.EnumerateDirectories(root).Select(d => Path.GetFileName(d)).Where(n => Grammar.HostName(n) is null && !named.Contains(n))
            .Where(n => File.Exists(Path.Combine(context.Workspace.PkiDirectory(n), "host.crt")) && !TempFolders.IsLink(context.Workspace.HostDirectory(n)))
            .Order(NaturalOrder.Instance).ToList();
    }

    /// <summary>Each orphan whose certificate is not revoked, as a warning with its fix.</summary>
    public static void Warn(FlatnetContext context)
    {
        foreach (var name in Find(context))
        {
            var crt = Path.Combine(context.Workspace.PkiDirectory(name), "host.crt");
            NebulaCertInfo info;
            try { info = context.NebulaCert.Print(crt); }
            catch (FlatnetException) { continue; } // not a certificate: nothing valid to warn of
            if (context.Plan.Inventory.Blocklist.Contains(info.Fingerprint) || info.NotAfter <= DateTimeOffset.UtcNow) continue;
            context.Log.Warn($"{name} is in no file of {Workspace.Relative(context.Workspace.InventoryDirectory)} now, but the certificate flatnet signed for it " +
                             $"({string.Join(", ", info.Ips)}) is valid until {info.NotAfter:yyyy-MM-dd}" +
                             (File.Exists(context.Workspace.BundlePath(name)) ? $" and its bundle is still at {Workspace.Relative(context.Workspace.BundlePath(name))}; " : "; ") +
                             $"fix: ./build.sh --target=RevokeHost --host={name} revokes it (a host renamed by hand needs it too)");
        }
    }
}
