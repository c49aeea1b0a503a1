using System.Collections.Concurrent;
using System.Text;

namespace Flatnet.Files;

/// <summary>
/// Flatnet's own record of what it made and may sweep after a run killed outright. Before a run makes a temporary file,
/// a staging copy or a scratch folder inside a folder whose lock it holds (the artifacts, the inventory, the CA key's),
/// it writes that path in this account's journal for the folder ($XDG_CACHE_HOME/flatnet/made/SHA, owner-only, never
/// the working tree, where a clone could write one). The next run that takes the lock removes what the journal names
/// and nothing else: a user's file that only looks like flatnet's (notes in artifacts/.tmp, hosts/.drafts.old-HEX) is
/// named, never removed (battery 36). A journal that cannot be kept costs only the sweep: leftovers are then named.
/// </summary>
internal static partial class ScratchJournal
{
    private static readonly ConcurrentDictionary<string, FileStream?> Open = new();

    /// <summary>What the journal of <paramref name="root"/> names below it: what a run killed there may have left.</summary>
    public static IReadOnlyList<string> Recorded(string root)
    {
        var full = Workspace.FullPath(root);
        if (FileFor(full) is not { } file) return [];
        try
        {
            // Only what this journal could hold: a path below the folder (never the folder itself, battery 37: "ROOT/"
            // deleted it whole), named as flatnet names what it makes, with a GUID of its own.
            return (InputFiles.SmallRecord(file, InputFiles.StateLimit) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(p => Path.IsPathFullyQualified(p) && Path.GetFullPath(p) == p && !Path.EndsInDirectorySeparator(p)
                            && p.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal) && MadeName().IsMatch(Path.GetFileName(p)))
                .ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>
    /// This run records what it makes in <paramref name="root"/> from now on (the moment it holds the folder's lock, even
    /// before it sweeps: the lock's holder is written first), after what the journal already names.
    /// </summary>
    public static void Begin(string root) => Open.GetOrAdd(Workspace.FullPath(root), f =>
    {
        if (FileFor(f) is not { } file) return null;
        try
        {
            if (new FileInfo(file).LinkTarget is not null) File.Delete(file);
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            var journal = new FileStream(file, options);
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow); // in use: another run's prune leaves it alone
            journal.Seek(0, SeekOrigin.End);
            return journal;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    });

    /// <summary>After the sweep: the journal of <paramref name="root"/> names only what this run has made there and not yet removed (<paramref name="live"/>).</summary>
    public static void Restart(string root, IEnumerable<string> live)
    {
        var full = Workspace.FullPath(root);
        Begin(full);
        if (Open[full] is not { } journal) return;
        lock (journal)
        {
            try
            {
                journal.SetLength(0);
                journal.Seek(0, SeekOrigin.Begin);
                foreach (var path in live.Where(p => p.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !p.Contains('\n')))
                    journal.Write(Encoding.UTF8.GetBytes(path + "\n"));
                journal.Flush();
            }
            catch (IOException)
            {
                // kept as it was: the next sweep reads it again, and removes only what is still there and flatnet's by name
            }
        }
    }

    /// <summary>Writes <paramref name="path"/> in the journal of the innermost folder it lies in whose journal this run keeps, before it is made.</summary>
    public static void Record(string path)
    {
        if (path.Contains('\n')) return;
        var root = Open.Keys.Where(r => path.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal)).MaxBy(r => r.Length);
        if (root is null || Open[root] is not { } journal) return;
        var line = Encoding.UTF8.GetBytes(path + "\n");
        lock (journal)
        {
            try
            {
                journal.Write(line);
                journal.Flush(); // in the OS's hands before the path is made: a SIGKILL cannot lose it
            }
            catch (IOException)
            {
                // not recorded: if this run is killed, the next one names this path instead of removing it
            }
        }
    }

    /// <summary>What flatnet names a temporary, a staging copy or a scratch folder: a GUID (32 hex digits) at its end, or before ".pub".</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\A[^/\\]*-[0-9a-f]{32}(?:\.pub)?\z")]
    private static partial System.Text.RegularExpressions.Regex MadeName();

    internal static string? FileFor(string root)
    {
        if (AccountMemos.OwnFolder("made") is not { } folder) return null;
        if (Pruned.TryAdd(folder, true)) Prune(folder, DateTime.UtcNow);
        return Path.Combine(folder, Digest.Sha256(Encoding.UTF8.GetBytes(root))[..32]);
    }

    private static readonly ConcurrentDictionary<string, bool> Pruned = new();

    /// <summary>
    /// The journals are kept bounded, once a run, as the memos are (battery 9's rule; 71,916 journals had piled up here
    /// after the test runs): one that names nothing and was last begun a day ago goes (the next run there makes it
    /// again); one that still names what a killed run left goes after a year. Only journals, by their name.
    /// </summary>
    internal static void Prune(string folder, DateTime now)
    {
        try
        {
            foreach (var journal in new DirectoryInfo(folder).EnumerateFiles().Where(f => f.LinkTarget is null && JournalName().IsMatch(f.Name)))
                if (journal.LastWriteTimeUtc < now.AddDays(journal.Length == 0 ? -1 : -365))
                    journal.Delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // kept as it is: a bounded cache is a saving, never a condition of a run
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\A[0-9a-f]{32}\z")]
    private static partial System.Text.RegularExpressions.Regex JournalName();
}
