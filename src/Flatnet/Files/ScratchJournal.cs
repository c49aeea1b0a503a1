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
    /// <summary>
    /// The folders whose journal this process keeps, with how many of its runs keep it (null: no journal can be kept).
    /// A journal is opened for each line and closed again: nothing stays open past a run (a process that lives on after
    /// its runs, the tests' host, had thousands open, and handed them to every process it started).
    /// </summary>
    private static readonly Dictionary<string, Journal?> Open = new();

    private sealed record Journal(string File, int Keepers);

    private static readonly Lock Writing = new();

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
    /// before it sweeps: the lock's holder is written first), after what the journal already names, until <see cref="End"/>.
    /// </summary>
    public static void Begin(string root) => Keep(Workspace.FullPath(root), 1);

    /// <summary>One run that began the journal of <paramref name="root"/> is over; the last one's end stops the recording.</summary>
    public static void End(string root)
    {
        var full = Workspace.FullPath(root);
        lock (Open)
        {
            if (!Open.TryGetValue(full, out var journal)) return;
            if (journal is { Keepers: > 1 }) Open[full] = journal with { Keepers = journal.Keepers - 1 };
            else Open.Remove(full);
        }
    }

    private static Journal? Keep(string full, int more)
    {
        lock (Open)
        {
            if (Open.TryGetValue(full, out var kept))
            {
                if (kept is not null) Open[full] = kept = kept with { Keepers = kept.Keepers + more };
                return kept;
            }
            Journal? journal = null;
            if (FileFor(full) is { } file)
            {
                try
                {
                    if (new FileInfo(file).LinkTarget is not null) File.Delete(file);
                    // Opened by its name at each line from here on: only a plain file of this owner-only folder (a FIFO
                    // there would hang the run at its first line).
                    if (!File.Exists(file) || InputFiles.NotRegular(file) is null)
                    {
                        Write(file, FileMode.Append, []);
                        File.SetLastWriteTimeUtc(file, DateTime.UtcNow); // in use: another run's prune leaves it alone
                        journal = new Journal(file, more);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // no journal: leftovers of this run, if it is killed, are named by the next one instead of removed
                }
            }
            Open[full] = journal;
            return journal;
        }
    }

    /// <summary>After the sweep: the journal of <paramref name="root"/> names only what this run has made there and not yet removed (<paramref name="live"/>).</summary>
    public static void Restart(string root, IEnumerable<string> live)
    {
        var full = Workspace.FullPath(root);
        if (Keep(full, 0) is not { } journal) return;
        var lines = live.Where(p => p.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !p.Contains('\n')).Select(p => p + "\n");
        TryWrite(journal.File, FileMode.Create, Encoding.UTF8.GetBytes(string.Concat(lines)));
    }

    /// <summary>Writes <paramref name="path"/> in the journal of the innermost folder it lies in whose journal this run keeps, before it is made.</summary>
    public static void Record(string path)
    {
        if (path.Contains('\n')) return;
        Journal? journal;
        lock (Open)
            journal = Open.Where(r => path.StartsWith(r.Key + Path.DirectorySeparatorChar, StringComparison.Ordinal)).OrderByDescending(r => r.Key.Length).FirstOrDefault().Value;
        if (journal is not null) TryWrite(journal.File, FileMode.Append, Encoding.UTF8.GetBytes(path + "\n")); // in the OS's hands before the path is made: a SIGKILL cannot lose it
    }

    /// <summary>
    /// A journal's line added, or its lines replaced. One that cannot be written costs only the sweep: a journal kept as
    /// it was is read again by the next sweep, which removes only what is still there and flatnet's by name; a path not
    /// recorded is named by the next run instead of removed.
    /// </summary>
    private static void TryWrite(string file, FileMode mode, byte[] bytes)
    {
        lock (Writing)
        {
            try
            {
                Write(file, mode, bytes);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // as said above
            }
        }
    }

    /// <summary>Appends to, or replaces the content of, a journal (owner-only from its creation), and closes it.</summary>
    private static void Write(string file, FileMode mode, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var journal = new FileStream(file, options);
        journal.Write(bytes);
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

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Pruned = new();

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
