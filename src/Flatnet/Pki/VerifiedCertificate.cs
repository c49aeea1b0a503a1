using Flatnet.Files;
using Flatnet.Tools;
using System.Text.Json;

namespace Flatnet.Pki;

/// <summary>
/// What nebula-cert said of a certificate's very bytes: what `print` showed, and that `verify` passed against a CA's
/// very bytes. It spares two processes per host and run. The memos live in this account's own cache
/// ($XDG_CACHE_HOME/flatnet/verified, else ~/.cache/flatnet/verified, owner-only), named by the files' SHA-256:
/// never beside the certificate, where whoever can write the working tree could write a memo for a certificate of
/// another CA. A certificate past its notAfter is never taken from here.
/// </summary>
public static class VerifiedCertificate
{
    /// <summary>The memo an older flatnet kept beside the certificate (artifacts/hosts/NAME/pki/verified.json): never read, removed when the host is signed again.</summary>
    public static string LegacyPathIn(string pkiDirectory) => Path.Combine(pkiDirectory, "verified.json");

    /// <summary>The certificate's details when nebula-cert verified these very bytes against this very CA, and it has not expired since.</summary>
    public static NebulaCertInfo? Recall(string pkiDirectory, string caCrt)
    {
        var crt = Path.Combine(pkiDirectory, "host.crt");
        // Only a small plain file is hashed: a huge one (1.9 GB took 2.1 GB, battery 18), a link or a FIFO is never
        // recalled; nebula-cert's own checks then say what it is.
        if (InputFiles.Sha256OfOwnFile(crt, InputFiles.KeyLimit) is not { } crtHash || InputFiles.Sha256OfOwnFile(caCrt, InputFiles.KeyLimit) is not { } caHash) return null;
        return File.Exists(Memo($"{crtHash}.verified-by.{caHash}")) && PrintOf(crtHash) is { } info && info.NotAfter > DateTimeOffset.UtcNow ? info : null;
    }

    /// <summary>What `print` showed of the certificate there now (whichever CA it was checked against): who signed it, for whom.</summary>
    public static NebulaCertInfo? Printed(string pkiDirectory)
    {
        var crt = Path.Combine(pkiDirectory, "host.crt");
        return InputFiles.Sha256OfOwnFile(crt, InputFiles.KeyLimit) is { } hash ? PrintOf(hash) : null;
    }

    /// <summary>Records what nebula-cert said of the certificate there now: its print, and that it verified against <paramref name="caCrt"/>.</summary>
    public static void Remember(string pkiDirectory, string caCrt, NebulaCertInfo info)
    {
        var crtHash = Digest.Sha256OfFile(Path.Combine(pkiDirectory, "host.crt"));
        Write($"{crtHash}.print.json", JsonSerializer.Serialize(info));
        Write($"{crtHash}.verified-by.{Digest.Sha256OfFile(caCrt)}", "");
    }

    private static NebulaCertInfo? PrintOf(string crtHash)
    {
        try
        {
            var path = Memo($"{crtHash}.print.json");
            return File.Exists(path) ? JsonSerializer.Deserialize<NebulaCertInfo>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null; // a damaged memo only costs the processes it would have spared
        }
    }

    private static string Folder
    {
        get
        {
            // A relative XDG_CACHE_HOME is ignored, as the XDG Base Directory specification says (it would land in the working tree).
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathFullyQualified(xdg) ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "flatnet", "verified");
        }
    }

    /// <summary>A memo's path; none (nothing is recalled) when the folder is not this account's alone (<see cref="Usable"/>).</summary>
    private static string? Memo(string name) => Usable(Folder) ? Path.Combine(Folder, name) : null;

    /// <summary>
    /// The memos' folder and the two above it (flatnet/, the cache root) are this account's alone: no link among them,
    /// none writable by group or others, and each owned by this account. Else a folder another account made first (a
    /// shared XDG_CACHE_HOME under /tmp, a link to someone's folder) could vouch for a certificate of another CA.
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

    /// <summary>The cache is kept bounded, once a run: memos a year old, and past <see cref="MaxMemos"/> the oldest, go (each only costs a nebula-cert run if asked again).</summary>
    private static void Prune(string folder)
    {
        var memos = new DirectoryInfo(folder).EnumerateFiles().Where(f => f.LinkTarget is null).OrderByDescending(f => f.LastWriteTimeUtc).ToList();
        foreach (var (memo, i) in memos.Select((m, i) => (m, i)))
            if (i >= MaxMemos - RunRoom || memo.LastWriteTimeUtc < DateTime.UtcNow.AddDays(-365)) memo.Delete();
    }

    public const int MaxMemos = 10_000;

    /// <summary>Room left by the prune, before a run's first record, for the records of the run itself (two a host signed).</summary>
    private const int RunRoom = 1_000;

    /// <summary>
    /// Written under a new name, then renamed: a reader sees a whole memo or none. A cache is a saving, never a
    /// condition: a home that cannot be written (a system account, a read-only container, a file in the way) or a
    /// folder others may write only costs the nebula-cert runs it would have spared, never the run.
    /// </summary>
    private static void Write(string name, string text)
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
            // Not kept: the next run asks nebula-cert again.
        }
    }
}
