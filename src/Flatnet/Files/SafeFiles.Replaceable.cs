namespace Flatnet.Files;

// What ReplaceDirectory would stop at, asked before a run's first write: a run of several steps (a revocation writes
// the blocklist, then rebuilds the lighthouses' folders and the peers' bundles) stops before it writes anything, never
// half-way (battery 43: a FIFO at a lighthouse's config.yaml, a folder at a peer's zip, a link at bundle/scripts).
public static partial class SafeFiles
{
    /// <summary>
    /// Refuses what ReplaceDirectory would refuse at <paramref name="target"/> for <paramref name="files"/> (paths below
    /// it, with '/'): a link on the way to it or where a file needs a folder, a file where a folder goes, a folder, FIFO
    /// or device where a file goes; the same at its listing. Null <paramref name="files"/>: what its listing says flatnet
    /// wrote there last.
    /// </summary>
    public static void RequireReplaceable(string target, IEnumerable<string>? files = null)
    {
        RequireNoLinkOnTheWay(target);
        var listing = Listing(target);
        // The listing beside it is written too (battery 45: a FIFO there was found after a revocation's record).
        RequireWritableAt(Path.GetDirectoryName(listing)!, Path.GetFileName(listing));
        if (!Directory.Exists(target)) return;
        var below = Path.GetFullPath(target) + Path.DirectorySeparatorChar;
        // Only paths below the folder: a listing is state anyone could write, and a line of it is never a path to follow.
        foreach (var file in files ?? (IsListingFile(listing) ? Written(listing).Keys : []))
            if (Path.GetFullPath(Path.Combine(target, file)).StartsWith(below, StringComparison.Ordinal))
                RequireWritableAt(target, file);
    }

    /// <summary>One file's way below <paramref name="target"/>: folders (never a link or a file) down to a place a file can be put (never a folder, a FIFO or a device).</summary>
    private static void RequireWritableAt(string target, string file)
    {
        var parts = file.Split('/');
        for (var depth = 1; depth <= parts.Length; depth++)
        {
            var at = Path.Combine(target, Path.Combine(parts[..depth]));
            var mustBeFolder = depth < parts.Length;
            if (mustBeFolder && TempFolders.IsLink(at)) throw LinkRefused(at);
            if (mustBeFolder ? File.Exists(at) : Directory.Exists(at) && !TempFolders.IsLink(at))
                throw new StateConflict($"{Workspace.Relative(at)} is a {(mustBeFolder ? "file" : "folder")} of yours where flatnet writes {(mustBeFolder ? "a folder" : "a file")}; nothing was changed",
                    "move it aside (it is not flatnet's), then run this again", Workspace.Relative(at));
            if (!mustBeFolder && File.Exists(at) && !TempFolders.IsLink(at) && InputFiles.NotRegular(at) is { } why)
                throw new StateConflict($"{Workspace.Relative(at)} is {why}, where flatnet writes a file of its own; nothing was changed",
                    "move it aside (flatnet did not make it), then run this again", Workspace.Relative(at));
        }
    }
}
