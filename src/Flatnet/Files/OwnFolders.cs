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
        // The same rules as every tree a run checks (OwnTrees): a checkout's owner is trusted as in their whole clone.
        return OperatingSystem.IsLinux() ? OwnTrees.WhyNot(folder) : null;
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

    /// <summary>
    /// Every folder in <paramref name="tree"/> (not through links), and every folder above it, is this account's,
    /// root's or the checkout's owner's (<paramref name="checkout"/>: whoever runs sudo in their own clone), and none
    /// may be written by group or others (above the tree: unless sticky, as /tmp): else another account could swap a
    /// file flatnet writes there, or the tree itself, for its own (batteries 18 and 19 had root write bundles, host keys
    /// included, into another account's files that way, and run another account's nebula-cert on the CA's key).
    /// </summary>
    public static void RequireOneOwnersTree(string tree, string field, string checkout) => OwnTrees.Require(checkout, (tree, field));

    /// <summary>The path with every link in it followed (what realpath(3) says), up to 40 links deep as the kernel allows.</summary>
    /// <param name="links">when given, each link met on the way is added to it (its own path, unresolved).</param>
    public static string RealPath(string full, List<string>? links = null, int depth = 0)
    {
        var real = Path.GetPathRoot(full)!;
        foreach (var part in full[real.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(real, part);
            // One link at a time (not to its final target), so that every link of a chain is met and named.
            if (depth < 40 && new FileInfo(next).LinkTarget is { } target)
            {
                links?.Add(next);
                real = RealPath(Path.GetFullPath(target, real), links, depth + 1);
            }
            else real = next;
        }
        return real;
    }

    private static readonly Lazy<string?> ThisUid = new(() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            ?.Split('\t', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 3 } u ? u[2] : null);

    /// <summary>This process's user id (Linux: /proc/self/status), null where there is none to read.</summary>
    internal static string? Uid => ThisUid.Value;
}
