using System.Collections.Concurrent;
using Flatnet.Processes;

namespace Flatnet.Files;

/// <summary>
/// Whether a folder is this account's alone: not a link, not writable by group or others, and owned by this account
/// (stat(1), which does not follow links; an owner changes only by root's hand, so each is asked once a run). A folder
/// another account made first, or may write, lets that account swap what flatnet puts there for a link: battery 17 had
/// root's nebula-cert write a host's key into another account's folder through artifacts/.tmp made that way.
/// </summary>
public static class OwnFolders
{
    private static readonly ConcurrentDictionary<string, bool> Owned = new();

    /// <summary>Why <paramref name="folder"/> is not this account's alone, in words; null when it is.</summary>
    public static string? WhyNot(string folder)
    {
        if (new DirectoryInfo(folder).LinkTarget is not null) return "it is a link";
        if (OperatingSystem.IsWindows())
            return OwnerOnlyOnWindows.Others(folder) is { Count: > 0 } others ? $"{string.Join(", ", others)} may read or change it" : null;
        var mode = File.GetUnixFileMode(folder);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0) return $"others may write into it (mode {Convert.ToString((int)mode, 8)})";
        return OwnedByThisAccount(folder) ? null : "it belongs to another account";
    }

    /// <summary>Whether every one of <paramref name="paths"/> is owned by this account (Linux; elsewhere: false, nothing is told).</summary>
    public static bool OwnedByThisAccount(params string[] paths)
    {
        if (!OperatingSystem.IsLinux()) return false;
        return Owned.GetOrAdd(string.Join('\0', paths.Select(Path.GetFullPath)), _ =>
        {
            var stat = ProcessRunner.Run("stat", ["-c", "%u", "--", .. paths]);
            return Uid is { } uid && stat.ExitCode == 0 && stat.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries) is var owners
                   && owners.Length == paths.Length && owners.All(o => o.Trim() == uid);
        });
    }

    private static readonly Lazy<string?> ThisUid = new(() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            ?.Split('\t', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 3 } u ? u[2] : null);

    private static string? Uid => ThisUid.Value;
}
