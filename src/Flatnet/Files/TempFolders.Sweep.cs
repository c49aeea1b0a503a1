using System.Text.RegularExpressions;

namespace Flatnet.Files;

/// <summary>What a sweep did: what it removed (flatnet's, by its journal), and what only looks like flatnet's, left as it is.</summary>
public sealed record Swept(IReadOnlyList<string> Removed, IReadOnlyList<string> LookAlikes)
{
    public static Swept Nothing { get; } = new([], []);

    public Swept And(Swept other) => new([.. Removed, .. other.Removed], [.. LookAlikes, .. other.LookAlikes]);
}

// What a run killed outright left: removed only when this account's journal says flatnet made it (ScratchJournal).
public static partial class TempFolders
{
    /// <summary>
    /// What a run killed outright (SIGKILL, power loss) left under the artifacts: its scratch in .tmp, and temporary,
    /// staging and old copies beside their targets. Only what this account's journal of the folder names is removed
    /// (<see cref="ScratchJournal"/>); anything else in .tmp, and anything named as flatnet names its temporaries
    /// (.NAME.tmp-GUID, .NAME.staging-GUID, .NAME.old-GUID), is the user's as far as flatnet can tell: named, kept
    /// (battery 36: a user's notes in .tmp and a folder .drafts.old-HEX went). Only the run that holds the artifacts'
    /// lock calls this, so nothing here is another run's; this run's journal then starts.
    /// </summary>
    public static Swept SweepLeftovers(string directory)
    {
        try
        {
            if (!Directory.Exists(directory)) return Swept.Nothing;
            var scratch = ScratchRoot(directory);
            var removed = new List<string>();
            // A link in place of .tmp (a clone can carry one) is removed itself; what it points at is never touched.
            if (IsLink(scratch)) removed.Add(Remove(scratch));
            removed.AddRange(RemoveRecorded(directory));
            var lookAlikes = Directory.Exists(scratch) ? Directory.EnumerateFileSystemEntries(scratch).Where(e => !IsRegistered(e)).ToList() : [];
            lookAlikes.AddRange(Walk(directory, skip: scratch).Where(e => LeftoverName().IsMatch(Path.GetFileName(e)) && !IsRegistered(e)));
            return new Swept(removed, lookAlikes);
        }
        finally
        {
            // Whatever the sweep met, this run's journal starts afresh (also for a folder it makes later): nothing it makes goes unrecorded.
            ScratchJournal.Restart(directory, Live.Keys);
        }
    }

    /// <summary>The same, only among the direct entries of a folder flatnet writes into but does not own (the inventory, the CA key's).</summary>
    public static Swept SweepBeside(string folder)
    {
        try
        {
            if (!Directory.Exists(folder)) return Swept.Nothing; // (battery 37: a CA key's folder Init makes later went unrecorded)
            var removed = RemoveRecorded(folder, directOnly: true);
            var lookAlikes = Directory.EnumerateFileSystemEntries(folder).Where(e => LeftoverName().IsMatch(Path.GetFileName(e)) && !IsRegistered(e)).ToList();
            return new Swept(removed, lookAlikes);
        }
        finally
        {
            ScratchJournal.Restart(folder, Live.Keys);
        }
    }

    /// <summary>What this run makes in <paramref name="folder"/> is recorded from now on, for the next run that sweeps it under its lock.</summary>
    public static void RecordWhatIsMadeIn(string folder) => ScratchJournal.Begin(folder);

    /// <summary>The run that called <see cref="RecordWhatIsMadeIn"/> for <paramref name="folder"/> is over.</summary>
    public static void StopRecordingIn(string folder) => ScratchJournal.End(folder);

    /// <summary>What the journal of <paramref name="root"/> names and is still there, reached with no link on the way, not this run's.</summary>
    private static List<string> RemoveRecorded(string root, bool directOnly = false)
    {
        var full = Workspace.FullPath(root);
        return ScratchJournal.Recorded(full)
            .Where(p => !IsRegistered(p) && (File.Exists(p) || Directory.Exists(p) || IsLink(p)))
            .Where(p => directOnly ? Path.GetDirectoryName(p) == full : NoLinkBetween(full, Path.GetDirectoryName(p)!))
            .Select(Remove).ToList();
    }

    private static bool NoLinkBetween(string root, string folder)
    {
        for (var f = folder; f.Length > root.Length; f = Path.GetDirectoryName(f)!)
            if (IsLink(f) || !Directory.Exists(f)) return false;
        return true;
    }

    /// <summary>Every entry below <paramref name="directory"/> but <paramref name="skip"/>, not inside a folder flatnet made for another purpose (a lab's own artifacts).</summary>
    private static IEnumerable<string> Walk(string directory, string skip)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Where(e => e != skip))
        {
            yield return entry;
            // Never through a link: what it points at is not flatnet's, at any depth.
            if (Directory.Exists(entry) && !IsLink(entry) && !File.Exists(Path.Combine(entry, SafeFiles.OwnedMarker)) && !LeftoverName().IsMatch(Path.GetFileName(entry)))
                foreach (var inner in Walk(entry, skip)) yield return inner;
        }
    }

    /// <summary>.NAME.tmp-GUID, .NAME.staging-GUID, .NAME.old-GUID: what SafeFiles and the CA's staging name their temporaries.</summary>
    [GeneratedRegex(@"^\..+\.(tmp|staging|old)-[0-9a-f]{32}\z")]
    private static partial Regex LeftoverName();

    private static string Remove(string path)
    {
        // A link is removed itself (File.Delete), never emptied through (Directory.Delete recursive would follow it).
        if (Directory.Exists(path) && !IsLink(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
        return path;
    }
}
