using System.Collections.Concurrent;
using Flatnet.Processes;

namespace Flatnet.Files;

/// <summary>
/// One folder flatnet found where it keeps scratch or secrets, judged by <see cref="OwnTrees"/>' rules (Linux) or its
/// ACL (Windows): a folder another account made first, or may write, lets that account swap what flatnet puts there for
/// a link (battery 17 had root's nebula-cert write a host's key into another account's artifacts/.tmp). And what the
/// tree checks share: this account's id, owners asked once a run, paths with their links followed.
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
            var stat = ProcessRunner.Run(ProcessRunner.OfSystem("stat"), ["-c", "%u", "--", .. paths]);
            return Uid is { } uid && stat.ExitCode == 0 && stat.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries) is var owners
                   && owners.Length == paths.Length && owners.All(o => o.Trim() == uid);
        });
    }

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

    /// <summary>Whether <paramref name="path"/> is root's while this process is not root's (a `sudo` run made it).</summary>
    public static bool RootsWhileThisIsNot(string path) =>
        OperatingSystem.IsLinux() && Uid is { } me && me != "0"
        && ProcessRunner.Run(ProcessRunner.OfSystem("stat"), ["-c", "%u", "--", path]) is { ExitCode: 0 } r && r.StdOut.Trim() == "0";
}
