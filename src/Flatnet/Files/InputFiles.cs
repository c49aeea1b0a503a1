using Flatnet.Output;
using Flatnet.Processes;

namespace Flatnet.Files;

/// <summary>
/// Files flatnet reads because a person or a clone supplies them (a CA, a reply, a public key, the Windows release, a
/// pki file): only a regular file, and never more than a limit. A FIFO would block the run for ever holding its locks,
/// and /dev/zero fill the memory; both are refused before they are opened.
/// </summary>
public static class InputFiles
{
    /// <summary>
    /// A stream's bytes (a zip's entry as it inflates), read only so far: past <paramref name="limit"/>, whatever a
    /// header claimed, <paramref name="tooLarge"/>'s failure (a 1.5 MB zip inflated to 1.5 GiB, battery 17).
    /// <paramref name="took"/> is told each chunk's size, for a budget that several reads share (and throws past it).
    /// </summary>
    public static byte[] ReadAtMost(Stream stream, long limit, Func<Exception> tooLarge, Action<int>? took = null)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        for (int n; (n = stream.Read(buffer, 0, buffer.Length)) > 0;)
        {
            if (copy.Length + n > limit) throw tooLarge();
            took?.Invoke(n);
            copy.Write(buffer, 0, n);
        }
        return copy.ToArray();
    }

    /// <summary>Why <paramref name="path"/> is not a regular file flatnet may read, in words; null when it is one.</summary>
    public static string? NotRegular(string path)
    {
        FileInfo info;
        try
        {
            info = Resolved(path);
        }
        catch (IOException)
        {
            return "a link that leads nowhere (a loop of links)";
        }
        if (!info.Exists) return Directory.Exists(path) ? "a folder, not a file" : "not there";
        if (info.Length > 0 || OperatingSystem.IsWindows()) return null;
        // A FIFO or a device has no size either: stat says which it is (only for the rare file of no size).
        var type = ProcessRunner.Run(ProcessRunner.OfSystem("stat"), ["-L", "-c", "%F", path]).StdOut.Trim();
        return type is "regular empty file" or "regular file" ? null : $"a {type}, not a regular file";
    }

    /// <summary>The file a path names, through its links (a link's own size is its target's name: /dev/zero behind one is no 9-byte file).</summary>
    public static FileInfo Resolved(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target ? target : info;
    }

    /// <summary>
    /// A folder only flatnet writes (a host's pki/): every entry a regular file, never a link, a folder or a FIFO
    /// that would be read or written through. Anything else is refused, every entry at once, before anything in it is read.
    /// </summary>
    public static void RequireOwnFiles(string folder, string fix)
    {
        if (TempFolders.IsLink(folder))
            throw new FlatnetException($"{Workspace.Relative(folder)} is a link (to {Terminal.OneLine(new DirectoryInfo(folder).LinkTarget ?? "?")}), not a folder flatnet made: nothing in it is read or written", fix);
        if (!Directory.Exists(folder)) return;
        var wrong = Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal)
            .Select(e => (Name: Path.GetFileName(e), Why: TempFolders.IsLink(e) ? $"a link (to {Terminal.OneLine(new FileInfo(e).LinkTarget ?? "?")})" : Directory.Exists(e) ? "a folder" : NotRegular(e)))
            .Where(e => e.Why is not null).ToList();
        if (wrong.Count > 0)
            throw new FlatnetException($"{Workspace.Relative(folder)}: {string.Join("; ", wrong.Select(w => $"{w.Name} is {w.Why}"))}, not a file flatnet wrote: nothing in it is read or written", fix);
    }

    /// <summary>The most a state file flatnet wrote may hold (a record, a listing, a request): larger is not flatnet's.</summary>
    public const long StateLimit = 4 * 1024 * 1024;

    /// <summary>The most a bundle or release zip may hold (Nebula's Windows binaries are in it).</summary>
    public const long ZipLimit = 1024L * 1024 * 1024;

    /// <summary>The text of a regular file of at most <paramref name="limit"/> bytes, as <see cref="ReadAllBytes"/> refuses anything else.</summary>
    public static string ReadAllText(string path, long limit, string what, string? field = null) =>
        System.Text.Encoding.UTF8.GetString(ReadAllBytes(path, limit, what, field));

    /// <summary>The bytes of a regular file of at most <paramref name="limit"/> bytes; anything else refused, naming <paramref name="what"/>.</summary>
    public static byte[] ReadAllBytes(string path, long limit, string what, string? field = null)
    {
        if (NotRegular(path) is { } why)
            throw new FlatnetException($"{Workspace.Relative(path)} ({what}) is {why}: it is not read", "give the path of the file itself", field: field);
        if (Resolved(path).Length > limit) // the file's own size, not its link's (a link's is its target's name)
            throw new FlatnetException($"{Workspace.Relative(path)} ({what}) is larger than any such file ({limit / 1024} KiB at most): it is not read", "give the path of the file itself", field: field);
        return File.ReadAllBytes(path);
    }

    /// <summary>
    /// The text of a file read up to <paramref name="limit"/> characters, never further (a device or a huge file is
    /// never read whole); null when there is more. The caller has checked it is a regular file.
    /// </summary>
    public static string? ReadTextUpTo(string path, int limit)
    {
        using var reader = new StreamReader(path);
        var buffer = new char[limit + 1];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        return read > limit ? null : new string(buffer, 0, read);
    }

    /// <summary>
    /// The text of a small record flatnet wrote (a confirmation, a renewal's date): only from a plain file of at most
    /// <paramref name="limit"/> bytes, never through a link; null for anything else (a link, a folder, a FIFO, a huge
    /// file), which is no record: a link could lead to any file, a key included, and a FIFO would block the run.
    /// </summary>
    public static string? SmallRecord(string path, long limit) => IsOwnSmallFile(path, limit) ? File.ReadAllText(path) : null;

    /// <summary>
    /// The SHA-256 of a file flatnet wrote (a bundle's manifest), read only from a plain file of at most
    /// <paramref name="limit"/> bytes and never through a link; null for anything else (a FIFO would hang the run, a
    /// link to another bundle's manifest would vouch for it).
    /// </summary>
    public static string? Sha256OfOwnFile(string path, long limit = StateLimit) => IsOwnSmallFile(path, limit) ? Digest.Sha256OfFile(path) : null;

    /// <summary>A plain file of at most <paramref name="limit"/> bytes, not a link (<see cref="NotRegular"/> says "not there" for none).</summary>
    private static bool IsOwnSmallFile(string path, long limit) =>
        !TempFolders.IsLink(path) && NotRegular(path) is null && new FileInfo(path).Length <= limit;

    /// <summary>The lines of a listing flatnet wrote (<see cref="SmallRecord"/>, up to <see cref="StateLimit"/>); none for anything else.</summary>
    public static string[] ListingLines(string path) =>
        SmallRecord(path, StateLimit)?.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray() ?? [];

    /// <summary>Keys, certificates and public keys are a few KiB at most.</summary>
    public const long KeyLimit = 64 * 1024;

    /// <summary>A file's first 4 MiB as text (a shape is judged on no more); null when it cannot be read.</summary>
    public static string? Head(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var head = new byte[Math.Min(stream.Length, StateLimit)];
            stream.ReadExactly(head);
            return System.Text.Encoding.UTF8.GetString(head);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
