using Flatnet.Output;

namespace Flatnet.Files;

/// <summary>Folders flatnet rebuilds or removes whole, and the listing of what it wrote in each: nothing of anyone else's goes with them.</summary>
public static partial class SafeFiles
{
    /// <summary>
    /// Builds a folder with <paramref name="fill"/> and puts it at <paramref name="target"/>, replacing the old one whole.
    /// It only works inside a folder flatnet made (the artifacts folder carries the marker): whatever path it is
    /// handed, it never replaces or deletes a folder of someone else's. What flatnet wrote there last time is listed
    /// in <paramref name="listing"/> (default: beside it, .NAME.flatnet), file by file at every depth; any other file
    /// found in it is someone else's and is kept where it was, with a note. Without a listing (the first run), only
    /// what flatnet writes now is flatnet's.
    /// </summary>
    /// <param name="whyItMatters">said after each entry that is not flatnet's (what it means where it is).</param>
    public static void ReplaceDirectory(string target, Action<string> fill, IReporter? log = null, string? listing = null, string whyItMatters = "")
    {
        listing ??= Listing(target);
        if (TempFolders.IsLink(target)) throw LinkRefused(target);
        // The listing too is flatnet's only while it reads as one (battery 33: a user's notes there were replaced, and
        // one at render.files had flatnet's own files called the user's).
        if (File.Exists(listing) && !TempFolders.IsLink(listing) && !IsListingOf(listing, target))
            throw new StateConflict($"{Workspace.Relative(listing)} is a file of yours where flatnet keeps its list of what it wrote in {Workspace.Relative(target)}; nothing was changed",
                "move it aside (flatnet did not write it), then run this again", Workspace.Relative(listing));
        var parent = Path.GetDirectoryName(Path.GetFullPath(target))!;
        RequireInsideOwned(parent);
        RequireNoLinkOnTheWay(parent);
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
        var old = Path.Combine(parent, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
        using (TempFolders.DeleteOnExit(staging))
        using (TempFolders.DeleteOnExit(old))
        {
            TempFolders.CreateOwnerOnly(staging); // it may hold a key from its first file on
            fill(staging);
            var written = FilesBelow(staging);
            var writtenSha = written.ToDictionary(f => f, f => (string?)Digest.Sha256OfFile(Path.Combine(staging, f)), StringComparer.Ordinal);
            if (Directory.Exists(target))
            {
                var listed = Written(listing);
                var present = FilesBelow(target);
                // A file counts as flatnet's only while it holds the bytes its listing says flatnet wrote: a listing is
                // state an archive unpacked over the checkout can bring, and a line naming the user's file had it
                // deleted (battery 29).
                var ours = AsWritten(target, present, listed);
                // A file of the user's where flatnet writes one for the first time is theirs as much as any other
                // (battery 30: an install.ps1 of the user's was overwritten without a word): it stops the update, unless
                // it already holds the very bytes flatnet writes. One flatnet wrote there before (its listing names
                // it) and someone changed since is written again, and said.
                var theirs = new List<string>();
                foreach (var file in written.Where(f => present.Contains(f) && !ours.Contains(f)).Order(StringComparer.Ordinal))
                {
                    var at = Path.Combine(target, file);
                    if (TempFolders.IsLink(at)) continue; // replaced by the rename, never followed or read
                    // A FIFO or a device there is the user's too, never read (battery 40: one was replaced without a word).
                    if (InputFiles.NotRegular(at) is null && Digest.Sha256OfFile(at) == writtenSha[file]) continue;
                    // Listed, but not holding what flatnet wrote: an edit of the user's (or a line anyone could add,
                    // battery 35), theirs as much as any file.
                    theirs.Add(file);
                }
                // All at once (battery 34: with its listing lost, flatnet named its own files one run at a time).
                if (theirs.Count > 0)
                {
                    var (them, they) = theirs.Count == 1 ? ("it", "it is") : ("them", "they are");
                    throw new StateConflict($"{Terminal.OneLine(string.Join(", ", theirs.Take(5)) + (theirs.Count > 5 ? $" and {theirs.Count - 5} more" : ""))} " +
                                            $"{(theirs.Count == 1 ? "is a file" : "are files")} of yours where flatnet writes its own; nothing was changed",
                        File.Exists(listing) ? $"move {them} aside (flatnet did not write {them} there), then run this again"
                            : $"move {them} aside (flatnet did not write {them} there), then run this again; if {they} flatnet's (its list of what it wrote there, {Terminal.OneLine(Workspace.Relative(listing))}, is gone), delete the folder instead",
                        Workspace.Relative(target));
                }
                var foreign = Foreign(target, present, written.Union(ours));
                if (foreign.Count > 0)
                {
                    // The user's files never move: a folder that is removed when a run stops (staging, old) never
                    // holds them. flatnet's own files are replaced in place around them instead; the listing names
                    // old and new meanwhile, so a run stopped half-way leaves nothing the next one takes for the user's.
                    // Where flatnet writes a file, a folder of the user's (or a file where it needs a folder) stops
                    // the update before anything moves, named as such.
                    // A link where flatnet needs a folder is refused here too, before anything moves (not half-way through).
                    foreach (var file in written) RequireWritableAt(target, file);
                    WriteAllText(listing, Lines(OldAndNew(listed, ours, writtenSha)));
                    // Only files found below the folder (never through a link) that the listing names: a listing is
                    // state anyone could write, and a line of it ("../../x", "/etc/x") is never a path to follow.
                    foreach (var file in ours.Where(f => !written.Contains(f)))
                    {
                        RequireNoLinkOnTheWay(Path.GetDirectoryName(Path.Combine(target, file))!);
                        File.Delete(Path.Combine(target, file));
                    }
                    foreach (var file in written.Order(StringComparer.Ordinal))
                    {
                        var to = Path.Combine(target, file);
                        RequireNoLinkOnTheWay(Path.GetDirectoryName(to)!); // a link the user put in place of a folder of flatnet's
                        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                        File.Move(Path.Combine(staging, file), to, overwrite: true); // a rename: a link there is replaced, never followed
                    }
                    foreach (var file in foreign) log?.Warn($"{Terminal.OneLine(Workspace.Relative(Path.Combine(target, file)))} is not flatnet's; left as it is{whyItMatters}");
                    WriteAllText(listing, Lines(writtenSha));
                    return;
                }
                // Old and new named meanwhile: a run stopped between the swap and the listing leaves nothing of flatnet's unrecognised.
                WriteAllText(listing, Lines(OldAndNew(listed, ours, writtenSha)));
                Directory.Move(target, old);
            }
            else WriteAllText(listing, Lines(writtenSha));
            Directory.Move(staging, target);
            WriteAllText(listing, Lines(writtenSha));
        }
    }

    /// <summary>
    /// Deletes what flatnet wrote in <paramref name="target"/> (<paramref name="listing"/> says which files), and the
    /// folder when nothing else is left; anything else stays, with a note. Returns whether the folder is gone.
    /// </summary>
    public static bool DeleteWritten(string target, string listing, IReporter? log = null) =>
        DeleteWritten(target, () => WrittenAsListed(target, listing), log, done: () =>
        {
            // The listing goes with what it named only while it is one (battery 41: a user's notes or FIFO there went, also through a link).
            if (IsListingFile(listing)) File.Delete(listing);
            else if (File.Exists(listing) || TempFolders.IsLink(listing)) log?.Warn($"{Terminal.OneLine(Workspace.Relative(listing))} is not a listing of flatnet's; left as it is");
        });

    /// <summary>The same, with what flatnet wrote there given as paths below the folder (with '/'), not read from a listing.</summary>
    public static bool DeleteWritten(string target, IReadOnlySet<string> written, IReporter? log = null) =>
        DeleteWritten(target, () => written, log, done: null);

    private static bool DeleteWritten(string target, Func<IReadOnlySet<string>> writtenThere, IReporter? log, Action? done)
    {
        RequireInsideOwned(Path.GetDirectoryName(Path.GetFullPath(target))!);
        RequireNoLinkOnTheWay(Path.GetDirectoryName(Path.GetFullPath(target))!);
        if (TempFolders.IsLink(target)) { log?.Warn($"{Workspace.Relative(target)} is a link, not a folder of flatnet's; left as it is"); return false; }
        var written = writtenThere();
        var madeFolders = FoldersOf(written);
        foreach (var (path, folder) in Below(target).Reverse().ToList())
        {
            var full = Path.Combine(target, path);
            if (!folder && written.Contains(path)) File.Delete(full);
            else if (folder && madeFolders.Contains(path) && !Directory.EnumerateFileSystemEntries(full).Any()) Directory.Delete(full);
        }
        done?.Invoke();
        if (!Directory.EnumerateFileSystemEntries(target).Any()) { Directory.Delete(target); return true; }
        var left = Below(target).Where(e => !e.Folder || !Directory.EnumerateFileSystemEntries(Path.Combine(target, e.Path)).Any())
            .Select(e => e.Folder ? e.Path + "/" : e.Path).Order(StringComparer.Ordinal).ToList();
        log?.Warn($"{Terminal.OneLine(Workspace.Relative(target))} holds what flatnet did not write ({Terminal.OneLine(string.Join(", ", left.Take(3)) + (left.Count > 3 ? ", ..." : ""))}); left as it is");
        return false;
    }

    /// <summary>
    /// The folders flatnet made below a folder: those its files were written in. An empty one the user made is theirs,
    /// and stays (battery 27: it went with the host's files, without a word).
    /// </summary>
    private static HashSet<string> FoldersOf(IEnumerable<string> files) =>
        files.SelectMany(f => Enumerable.Range(1, f.Count(c => c == '/')).Select(n => string.Join('/', f.Split('/').Take(n)))).ToHashSet(StringComparer.Ordinal);

    /// <summary>Empty folders below <paramref name="target"/> that no file of <paramref name="files"/> was written in: the user's.</summary>
    private static IEnumerable<string> EmptyFoldersNotMadeFor(string target, IEnumerable<string> files)
    {
        var made = FoldersOf(files);
        return Below(target).Where(e => e.Folder && !made.Contains(e.Path) && !Directory.EnumerateFileSystemEntries(Path.Combine(target, e.Path)).Any()).Select(e => e.Path);
    }

    /// <summary>
    /// What a folder flatnet fills holds beside <paramref name="files"/> (what it would write there now): Stale, files
    /// it wrote there before and would not write now (they still hold what its listing says it wrote); Foreign,
    /// everything else (the user's files, links, empty folders), which flatnet never moves or deletes.
    /// </summary>
    public static (IReadOnlyList<string> Stale, IReadOnlyList<string> Foreign) Beside(string target, IReadOnlySet<string> files, string? listing = null)
    {
        if (!Directory.Exists(target) || TempFolders.IsLink(target)) return ([], []);
        var present = FilesBelow(target);
        var stale = AsWritten(target, present.Except(files), Written(listing ?? Listing(target)));
        return (stale.Order(StringComparer.Ordinal).ToList(), Foreign(target, present, files.Union(stale)));
    }

    /// <summary>Of what is below <paramref name="target"/>, the files not in <paramref name="known"/> and the empty folders none of them was written in: the user's.</summary>
    private static List<string> Foreign(string target, IEnumerable<string> present, IEnumerable<string> known)
    {
        var flatnets = known.ToHashSet(StringComparer.Ordinal);
        return present.Where(f => !flatnets.Contains(f)).Concat(EmptyFoldersNotMadeFor(target, flatnets)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Of the files <paramref name="present"/> below the folder, those that hold what the listing says flatnet wrote there.</summary>
    private static HashSet<string> AsWritten(string target, IEnumerable<string> present, IReadOnlyDictionary<string, List<string?>> listed) =>
        present.Where(f => IsAsWritten(target, f, listed)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether the file at <paramref name="path"/> below the folder holds the bytes the listing says flatnet wrote there (a line without them, as an old listing has, vouches for nothing).</summary>
    private static bool IsAsWritten(string target, string path, IReadOnlyDictionary<string, List<string?>> listed) =>
        listed.TryGetValue(path, out var shas) && shas.Any(sha => sha is not null) && Path.Combine(target, path) is var full
        && !TempFolders.IsLink(full) && InputFiles.NotRegular(full) is null && shas.Contains(Digest.Sha256OfFile(full));

    /// <summary>Every file (or link, never followed) below a folder, as a relative path with '/'.</summary>
    public static HashSet<string> FilesBelow(string folder) =>
        Below(folder).Where(e => !e.Folder).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);

    /// <summary>What is below a folder, deepest last; a link is an entry of its own, never descended into.</summary>
    private static IEnumerable<(string Path, bool Folder)> Below(string folder, string relative = "")
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(folder, relative)))
        {
            var path = relative.Length == 0 ? Path.GetFileName(entry) : relative + "/" + Path.GetFileName(entry);
            var isFolder = Directory.Exists(entry) && !TempFolders.IsLink(entry);
            yield return (path, isFolder);
            if (isFolder) foreach (var e in Below(folder, path)) yield return e;
        }
    }
}
