using Flatnet.Inventory;

namespace Flatnet;

/// <summary>
/// Writes that never leave a half-made result: everything is built in a staging folder beside the target,
/// then swapped in with renames. Secrets are made owner-only before they get their final name.
/// </summary>
public static class SafeFiles
{
    /// <summary>Builds a folder with <paramref name="fill"/> and puts it at <paramref name="target"/>, replacing the old one whole.</summary>
    public static void ReplaceDirectory(string target, Action<string> fill)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(target))!;
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(target);
        var staging = Path.Combine(parent, $".{name}.staging-{Guid.NewGuid():N}");
        var old = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            fill(staging);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
        if (Directory.Exists(target)) Directory.Move(target, old);
        Directory.Move(staging, target);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>Writes a file through a temporary name in the same folder, so readers see the old or the new file, never a part.</summary>
    public static void WriteFile(string path, Action<string> write, bool secret = false)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.tmp-{Guid.NewGuid():N}");
        try
        {
            write(temp);
            if (secret) RestrictToOwner(temp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void WriteAllText(string path, string text, bool secret = false) =>
        WriteFile(path, t => File.WriteAllText(t, text), secret);

    private const string OwnedMarker = ".made-by-flatnet";

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
            throw new FlatnetException($"{InventoryLoader.Display(path)} exists and was not made by flatnet, so it is not deleted.\n" +
                                       "    fix: move it away, or choose another folder (--artifacts=DIR)");
        Directory.Delete(path, recursive: true);
    }

    /// <summary>0600 for files, 0700 for folders. On Windows the user's profile ACLs apply instead.</summary>
    public static void RestrictToOwner(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        if (Directory.Exists(path))
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        else
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
