using System.Text.RegularExpressions;
using Flatnet.Output;
namespace Flatnet.Files;

/// <summary>
/// Writes that never leave a half-made result: everything is built in a staging folder beside the target,
/// then swapped in with renames. Secrets are made owner-only before they get their final name.
/// </summary>
public static partial class SafeFiles
{
    /// <summary>True when the path is a folder flatnet made, or lies inside one.</summary>
    public static bool IsInsideOwned(string path)
    {
        for (var d = new DirectoryInfo(Path.GetFullPath(path)); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, OwnedMarker))) return true;
        return false;
    }

    private static void RequireInsideOwned(string path)
    {
        if (!IsInsideOwned(path))
            throw new FlatnetException($"{Workspace.Relative(path)} is not inside a folder flatnet made, so flatnet replaces nothing there.", fix: "use flatnet's artifacts folder (--artifacts=DIR names a new or empty folder, which flatnet then marks as its own)");
    }

    /// <summary>Folders an artifacts folder made by an older flatnet holds; such a folder is adopted (marked) as flatnet's.</summary>
    private static readonly string[] ArtifactsFolders = ["bench", "bundles", "check", "hosts", "lab", "lighthouses", "releases", "render", "tools", "verify"];

    /// <summary>
    /// The artifacts folder: made (and marked) when missing; an existing one must be flatnet's (marked, or holding only
    /// what flatnet writes there), never a folder such as a home folder that holds other things.
    /// </summary>
    /// <param name="mark">false only checks (before anything is written); true also marks the folder as flatnet's.</param>
    public static void ClaimArtifacts(string artifacts, bool mark = true)
    {
        // PackageAll's workers all claim it at their first write: one marks it, the others then find it marked.
        lock (ClaimLock) Claim(artifacts, mark);
    }

    private static readonly Lock ClaimLock = new();

    /// <summary>
    /// An entry an older flatnet's unmarked artifacts hold: only its folders; a project's hosts/ (an inventory: files)
    /// or tools/ (binaries) of the same names is not that, and is never adopted.
    /// </summary>
    private static bool IsOlderFlatnetsFolder(string entry) => Path.GetFileName(entry) is var name
        && Directory.Exists(entry) && ArtifactsFolders.Contains(name)
        && (name != "hosts" || !Directory.EnumerateFiles(entry).Any())
        && (name != "tools" || Directory.EnumerateFileSystemEntries(entry).All(t => Path.GetFileName(t) == "flatnet"));

    private static void Claim(string artifacts, bool mark)
    {
        // The artifacts folder itself is never a link: its marker and lock would be written where it leads (battery 19).
        if (TempFolders.IsLink(artifacts)) throw LinkRefused(artifacts);
        if (File.Exists(Path.Combine(artifacts, OwnedMarker))) return;
        if (!Directory.Exists(artifacts) || Directory.EnumerateFileSystemEntries(artifacts).All(IsOlderFlatnetsFolder))
        {
            if (mark) CreateOwnedDirectory(artifacts);
            return;
        }
        var foreign = Directory.EnumerateFileSystemEntries(artifacts).Select(Path.GetFileName).Where(n => !ArtifactsFolders.Contains(n)).Take(3);
        throw new FlatnetException($"--artifacts: {Workspace.Relative(artifacts)} already holds things flatnet did not make ({string.Join(", ", foreign)}), " +
                                   "and flatnet replaces what it writes there.", fix: $"choose a new or empty folder, e.g. --artifacts=artifacts");
    }

    /// <summary>
    /// Writes a file through a temporary name in the same folder, so readers see the old or the new file, never a part.
    /// A secret's temporary file is owner-only from its first byte (made empty with that mode, then written), and every
    /// temporary file is registered, so a run stopped half-way deletes it on its way out.
    /// </summary>
    /// <param name="shape">for a file flatnet makes at a path of its own (a report, a record, a script): how every
    /// version of it begins. A file already there of another shape is someone else's, and the write stops, naming it
    /// (battery 32: a user's status.json, join script or record was replaced at flatnet's first write there).</param>
    public static void WriteFile(string path, Action<string> write, bool secret = false, Regex? shape = null)
    {
        if (shape is not null) RequireOursOrNothing(path, shape);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        RequireNoLinkOnTheWay(dir);
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.tmp-{Guid.NewGuid():N}");
        using (TempFolders.DeleteOnExit(temp))
        {
            // A file the user narrowed (chmod 600 hosts/network.yaml) stays as narrow when rewritten (battery 42: it became 0644).
            var kept = !OperatingSystem.IsWindows() && !secret && File.Exists(path) && !TempFolders.IsLink(path) && InputFiles.NotRegular(path) is null ? File.GetUnixFileMode(path) : (UnixFileMode?)null;
            CreateEmpty(temp, secret, kept);
            write(temp);
            if (secret) RestrictToOwner(temp);
            File.Move(temp, path, overwrite: true);
        }
    }

    /// <summary>An empty file, owner-only when <paramref name="secret"/>: 0600 on Linux, an ACL of the owner alone on Windows.</summary>
    private static void CreateEmpty(string path, bool secret, UnixFileMode? narrowTo = null)
    {
        if (OperatingSystem.IsWindows())
        {
            if (secret) OwnerOnlyOnWindows.CreateFile(path);
            else File.Create(path).Dispose();
            return;
        }
        var mode = secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if (narrowTo is { } narrow) mode &= narrow | UnixFileMode.UserRead | UnixFileMode.UserWrite;
        new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }).Dispose();
    }

    /// <summary>
    /// No folder between flatnet's artifacts and <paramref name="dir"/> may be a link (one at artifacts/bundles sent
    /// every key where it pointed): every write, move and delete in the artifacts walks the whole way first, up to the
    /// root. The walk never stops at a folder that holds flatnet's marker: a link can lead to a folder with a marker put
    /// there (a pull request can commit both), and nested owned folders (the lab's) sit below the artifacts' own.
    /// </summary>
    public static void RequireNoLinkOnTheWay(string dir)
    {
        if (LinkOnTheWay(dir) is { } link) throw LinkRefused(link);
    }

    /// <summary>The first folder from <paramref name="dir"/> up that is a link inside flatnet's artifacts (<see cref="RequireNoLinkOnTheWay"/>); null for none.</summary>
    public static string? LinkOnTheWay(string dir)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            if (d.LinkTarget is not null && IsInsideOwned(d.FullName))
                return d.FullName;
        return null;
    }

    /// <summary>
    /// No entry from below <paramref name="root"/> down to each of <paramref name="paths"/> (itself included, where it
    /// is) may be a link, for trees outside the artifacts that flatnet and the programs it runs write in (tools/):
    /// nothing is written where a link leads (battery 30: tools/apt/sources.list).
    /// </summary>
    public static void RequireNoLinkBelow(string root, params string[] paths)
    {
        var top = Path.GetFullPath(root);
        foreach (var path in paths)
            for (var at = Path.GetFullPath(path); at.Length > top.Length && at.StartsWith(top, StringComparison.Ordinal); at = Path.GetDirectoryName(at)!)
                if (TempFolders.IsLink(at))
                    throw new StateConflict($"{Workspace.Relative(at)} is a link (to {Terminal.OneLine(new FileInfo(at).LinkTarget ?? "?")}), where flatnet writes; nothing was written through it",
                        $"remove the link (rm {Workspace.Relative(at)}) and run this again; flatnet makes what belongs there itself", Workspace.Relative(at));
    }

    private static StateConflict LinkRefused(string folder) =>
        new($"{Workspace.Relative(folder)} is a link, not a folder of flatnet's: nothing was written through it", $"remove the link (rm {Workspace.Relative(folder)}) and run this again");

    public static void WriteAllText(string path, string text, bool secret = false, Regex? shape = null) =>
        WriteFile(path, t => File.WriteAllText(t, text), secret, shape);

    /// <summary>
    /// Nothing at <paramref name="path"/>, a link (a rename replaces it, never following it), or a regular file of
    /// <paramref name="shape"/> (matched against its first 4 MiB), as every file flatnet writes there is; else it is
    /// someone else's, even an empty one unless <paramref name="emptyIsOurs"/>, and a folder, a FIFO or a device there
    /// too (battery 38: a FIFO at status.json was replaced without a word, a folder at a build record found too late). One check for every file flatnet keeps
    /// at a path of its own: outputs (a shape of how each begins) and state files (<see cref="StateShapes"/>, whole).
    /// </summary>
    public static void RequireOursOrNothing(string path, Regex shape, bool emptyIsOurs = false)
    {
        if (TempFolders.IsLink(path) || !File.Exists(path) && !Directory.Exists(path)) return;
        if (InputFiles.NotRegular(path) is { } why)
            throw new StateConflict($"{Workspace.Relative(path)} is {why}, where flatnet writes a file of its own; it was left as it is",
                "move it aside (flatnet did not make it), then run this again", Workspace.Relative(path));
        if (InputFiles.Head(path) is { } head && (head.Length == 0 ? emptyIsOurs : shape.IsMatch(head))) return;
        throw new StateConflict($"{Workspace.Relative(path)} is a file of yours where flatnet writes its own; it was left as it is",
            "move it aside (flatnet did not write it), then run this again", Workspace.Relative(path));
    }

    public const string OwnedMarker = ".made-by-flatnet";

    /// <summary>Creates a folder that flatnet may later delete whole; the marker inside says so.</summary>
    public static void CreateOwnedDirectory(string path)
    {
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, OwnedMarker), "flatnet made this folder and may delete it whole.\n");
    }

    /// <summary>
    /// Deletes a folder whole, but only one that <see cref="CreateOwnedDirectory"/> made: a recursive delete never
    /// reaches a folder flatnet did not create (a repository, a home folder), whatever path it was handed.
    /// </summary>
    public static void DeleteOwnedDirectory(string path)
    {
        if (!Directory.Exists(path)) return;
        if (!File.Exists(Path.Combine(path, OwnedMarker)))
            throw new FlatnetException($"{Workspace.Relative(path)} exists and was not made by flatnet, so it is not deleted.", fix: "move it away, or choose another folder (--artifacts=DIR)");
        Directory.Delete(path, recursive: true);
    }

    /// <summary>
    /// A folder a secret may be written into: made owner-only when it does not exist yet (flatnet made it); an existing
    /// one is never chmod-ed, only refused when it is not this user's or others may write into it.
    /// </summary>
    public static void RequireSecretFolder(string folder, string what)
    {
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(folder))!);
            TempFolders.CreateOwnerOnly(folder);
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            if (OwnerOnlyOnWindows.Others(folder) is { Count: > 0 } others)
                throw new FlatnetException($"{Workspace.Relative(folder)} ({what}): {string.Join(", ", others)} may read or change this folder, so a secret there is not safe; flatnet leaves the folder as it is.",
                    fix: "point it at a folder of your own that only you can read (flatnet makes a missing one owner-only), e.g. pki/");
            return;
        }
        var mode = File.GetUnixFileMode(folder);
        var foreign = !OwnFolders.OwnedByThisAccount(folder);
        if (foreign || (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new FlatnetException($"{Workspace.Relative(folder)} ({what}): " +
                                       (foreign ? "the folder belongs to another user" : $"others may write into this folder (mode {Convert.ToString((int)mode, 8)})") +
                                       ", so a secret there is not safe; flatnet leaves the folder as it is.", fix: $"make it yours alone (chmod 700 {Workspace.Relative(folder)}), or point it at a folder of your own that only you can write (flatnet makes a missing one owner-only)");
    }

    /// <summary>
    /// Each of <paramref name="secrets"/> (a key, a file or folder that carries one) that others may read is made
    /// owner-only again, and returned with the mode it had: a key flatnet made owner-only stayed readable, "up to date",
    /// after a chmod or a copy tool opened it (battery 26). Linux; elsewhere nothing is told.
    /// </summary>
    public static IReadOnlyList<string> CloseToOthers(params string[] secrets)
    {
        if (!OperatingSystem.IsLinux()) return [];
        var closed = new List<string>();
        foreach (var path in secrets.Where(p => (File.Exists(p) || Directory.Exists(p)) && !TempFolders.IsLink(p)))
        {
            // Never through a link on the way either (battery 40: artifacts/hosts/HOST a link, and files behind it were chmod-ed).
            RequireNoLinkOnTheWay(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) == 0) continue;
            RestrictToOwner(path);
            closed.Add($"{Workspace.Relative(path)} (mode {Convert.ToString((int)mode & 0b111_111_111, 8)})");
        }
        return closed;
    }

    /// <summary>0600 for files, 0700 for folders; on Windows a protected ACL of the owner alone.</summary>
    public static void RestrictToOwner(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            OwnerOnlyOnWindows.Restrict(path);
            return;
        }
        if (Directory.Exists(path))
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        else
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
