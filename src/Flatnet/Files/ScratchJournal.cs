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
internal static class ScratchJournal
{
    private static readonly ConcurrentDictionary<string, FileStream?> Open = new();

    /// <summary>What the journal of <paramref name="root"/> names below it: what a run killed there may have left.</summary>
    public static IReadOnlyList<string> Recorded(string root)
    {
        var full = Path.GetFullPath(root);
        if (FileFor(full) is not { } file) return [];
        try
        {
            return (InputFiles.SmallRecord(file, InputFiles.StateLimit) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(p => Path.IsPathFullyQualified(p) && Path.GetFullPath(p) == p && p.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>This run's journal of <paramref name="root"/> starts empty (after the sweep of what the last one named).</summary>
    public static void Begin(string root)
    {
        var full = Path.GetFullPath(root);
        Open.GetOrAdd(full, f =>
        {
            if (FileFor(f) is not { } file) return null;
            try
            {
                if (new FileInfo(file).LinkTarget is not null) File.Delete(file);
                var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.Read };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                return new FileStream(file, options);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        });
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

    private static string? FileFor(string root) =>
        AccountMemos.OwnFolder("made") is { } folder ? Path.Combine(folder, Digest.Sha256(Encoding.UTF8.GetBytes(root))[..32]) : null;
}
