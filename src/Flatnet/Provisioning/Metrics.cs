using System.Text.RegularExpressions;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// Where the mesh's metrics go (<see cref="Verification.MeshMetrics"/>): artifacts/verify/NAME always, and the file
/// --metrics names (a textfile collector's folder, say) too. Each is written under a new name and renamed, as the
/// collector asks, so it never reads half a file; a link there is replaced, never written through.
/// </summary>
public static class Metrics
{
    public static string PathOf(FlatnetContext context, string name) => Path.Combine(context.Workspace.ArtifactsDirectory, "verify", name);

    /// <summary>
    /// The file --metrics names, checked before any host is read: a *.prom file (what a textfile collector reads), not
    /// a device, a link or a folder (a rename would replace /dev/null), outside flatnet's own folders, in a folder that
    /// exists. ~ is this account's home; a relative path is the repository's. Null without --metrics.
    /// </summary>
    public static string? Target(FlatnetContext context)
    {
        if (!context.Arguments.Has("metrics")) return null;
        var given = context.Arguments.Value("metrics") ?? "";
        var path = Workspace.HomeExpanded(given);
        UsageError Refused(string problem, string fix) => new($"'{Inventory.Grammar.Shown(given)}' {problem}; nothing was read or written", fix, "--metrics");
        if (path.Length == 0 || !path.EndsWith(".prom", StringComparison.Ordinal))
            throw Refused("is not a .prom file", "name a file ending in .prom (node_exporter's textfile collector reads only those), e.g. --metrics=/var/lib/node_exporter/textfile/flatnet.prom");
        var full = Path.GetFullPath(path);
        if (TempFolders.IsLink(full) || Directory.Exists(full) || File.Exists(full) && InputFiles.NotRegular(full) is not null)
            throw Refused("is a link, a folder or a device, not a file flatnet may replace", "name a new file, or one flatnet wrote before");
        // Compared as the folders really are: a parent reached through a link (/tmp/x -> hosts) is that folder.
        var real = Real(Path.GetDirectoryName(full)!) + Path.DirectorySeparatorChar;
        foreach (var own in new[] { context.Workspace.InventoryDirectory, context.Workspace.ArtifactsDirectory, Path.GetDirectoryName(context.Ca.KeyPath)! })
            if (real.StartsWith(Real(own).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw Refused($"is inside {Workspace.Relative(own)}, flatnet's own", "name a file outside the inventory, pki/ and the artifacts (artifacts/verify/*.prom is written anyway)");
        if (!Directory.Exists(Path.GetDirectoryName(full)))
            throw Refused("is in a folder that does not exist", "make the folder first (the collector's, e.g. /var/lib/node_exporter/textfile)");
        return full;
    }

    /// <summary>A folder's path with every link on the way resolved (as far as the folders exist).</summary>
    private static string Real(string folder)
    {
        var path = Path.GetFullPath(folder);
        var parts = path.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var resolved = Path.GetPathRoot(path) ?? "/";
        foreach (var part in parts)
        {
            var next = Path.Combine(resolved, part);
            var info = new DirectoryInfo(next);
            resolved = info.Exists && info.ResolveLinkTarget(returnFinalTarget: true) is { } target ? Real(target.FullName) : next;
        }
        return resolved;
    }

    /// <summary>How every metrics file of flatnet's begins: a file at its path that does not is someone else's.</summary>
    public static readonly Regex Shape = new(@"\A# HELP flatnet_[a-z0-9_]+ ", RegexOptions.CultureInvariant);

    /// <summary>The files <see cref="Write"/> would write, checked before a run writes any of its outputs.</summary>
    public static void RequireOurs(FlatnetContext context, string name, string? target)
    {
        SafeFiles.RequireOursOrNothing(PathOf(context, name), Shape);
        if (target is not null) SafeFiles.RequireOursOrNothing(target, Shape);
    }

    public static void Write(FlatnetContext context, string name, string text, string? target = null)
    {
        SafeFiles.WriteAllText(PathOf(context, name), text, shape: Shape);
        if (target is not null)
        {
            SafeFiles.WriteAllText(target, text, shape: Shape);
            context.Log.Info($"metrics: {target}");
        }
    }
}
