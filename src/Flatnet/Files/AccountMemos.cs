namespace Flatnet.Files;

/// <summary>
/// What this account's own runs found, kept to spare the work next time: what nebula-cert said of a certificate's very
/// bytes, that a bundle's config passed nebula -test. The memos live in this account's cache ($XDG_CACHE_HOME/flatnet/verified,
/// else ~/.cache/flatnet/verified, owner-only), named by the SHA-256 of what they speak of: never in the working
/// tree, where whoever can write it (a clone, a pull request, an archive unpacked over it) could write a memo too.
/// A memo is a saving, never a condition: a cache that cannot be used only costs the work it would have spared.
/// </summary>
public static class AccountMemos
{
    public const int MaxMemos = 10_000;

    /// <summary>Room left by the prune, before a run's first memo, for the memos of the run itself.</summary>
    private const int RunRoom = 1_000;

    /// <summary>Whether this account wrote the memo <paramref name="name"/> (and its cache may be believed).</summary>
    public static bool Has(string name) => Memo(name) is { } path && File.Exists(path);

    /// <summary>The memo's text; null when there is none (or the cache may not be believed).</summary>
    public static string? Read(string name)
    {
        try
        {
            return Memo(name) is { } path && File.Exists(path) ? InputFiles.ReadAllText(path, InputFiles.StateLimit, "a memo of this account's") : null;
        }
        catch (FlatnetException)
        {
            return null; // a link, a FIFO or a huge file there: only the saving is lost
        }
    }

    private static string Folder => FolderOf("verified");

    /// <summary>$XDG_CACHE_HOME/flatnet/LEAF, else ~/.cache/flatnet/LEAF: this account's, never the working tree's.</summary>
    private static string FolderOf(string leaf)
    {
        // A relative XDG_CACHE_HOME is ignored, as the XDG Base Directory specification says (it would land in the working tree).
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathFullyQualified(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "flatnet", leaf);
    }

    /// <summary>
    /// Another of this account's own folders beside the memos (flatnet/LEAF), made owner-only when missing; null when it
    /// cannot be made or is not this account's alone (<see cref="Usable"/>): then nothing is kept there.
    /// </summary>
    public static string? OwnFolder(string leaf)
    {
        var folder = FolderOf(leaf);
        try
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
            else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return Usable(folder) ? folder : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A memo's path; none (nothing is recalled) when the folder is not this account's alone (<see cref="Usable"/>).</summary>
    private static string? Memo(string name) => Usable(Folder) ? Path.Combine(Folder, name) : null;

    /// <summary>
    /// The memos' folder and the two above it (flatnet/, the cache root) are this account's alone: no link among them,
    /// none writable by group or others, and each owned by this account. Else a folder another account made first (a
    /// shared XDG_CACHE_HOME under /tmp, a link to someone's folder) could vouch for what this account never checked.
    /// Links and modes are read at every use; owners once per run (stat(1), which does not follow links: an owner
    /// changes only by root's hand). Anything that cannot be told means "not usable".
    /// </summary>
    private static bool Usable(string folder)
    {
        if (!Directory.Exists(folder)) return true; // nothing to recall yet; Write asks again once it has made it
        var chain = new[] { folder, Path.GetDirectoryName(folder)!, Path.GetDirectoryName(Path.GetDirectoryName(folder)!)! };
        if (chain.Any(f => new DirectoryInfo(f).LinkTarget is not null)) return false;
        if (OperatingSystem.IsWindows()) return true; // a profile folder is its user's (its ACL)
        if (!OperatingSystem.IsLinux()) return false; // stat(1) and /proc as Linux has them: elsewhere the cache is not used
        if (chain.Any(f => OperatingSystem.IsLinux() && (File.GetUnixFileMode(f) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)) return false;
        return OwnFolders.OwnedByThisAccount(chain);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Pruned = new();

    /// <summary>The cache is kept bounded, once a run: memos a year old, and past <see cref="MaxMemos"/> the oldest, go (each only costs the work it spared).</summary>
    private static void Prune(string folder)
    {
        var memos = new DirectoryInfo(folder).EnumerateFiles().Where(f => f.LinkTarget is null).OrderByDescending(f => f.LastWriteTimeUtc).ToList();
        foreach (var (memo, i) in memos.Select((m, i) => (m, i)))
            if (i >= MaxMemos - RunRoom || memo.LastWriteTimeUtc < DateTime.UtcNow.AddDays(-365)) memo.Delete();
    }

    /// <summary>
    /// Written under a new name, then renamed: a reader sees a whole memo or none. A home that cannot be written (a
    /// system account, a read-only container, a file in the way) or a folder others may write is never a failure.
    /// </summary>
    public static void Write(string name, string text)
    {
        try
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(Folder);
            else Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (!Usable(Folder)) return;
            if (Pruned.TryAdd(Folder, true)) Prune(Folder);
            var temp = Path.Combine(Folder, $".{name}.{Guid.NewGuid():N}");
            File.WriteAllText(temp, text);
            File.Move(temp, Path.Combine(Folder, name), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not kept: the next run does the work again.
        }
    }
}
