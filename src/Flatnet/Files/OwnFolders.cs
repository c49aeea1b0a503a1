using System.Collections.Concurrent;
using Flatnet.Output;
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

    /// <summary>
    /// Every folder in <paramref name="tree"/> (not through links), and every folder above it, is this account's,
    /// root's or the checkout's owner's (<paramref name="checkout"/>: whoever runs sudo in their own clone), and none
    /// may be written by group or others (above the tree: unless sticky, as /tmp): else another account could swap a
    /// file flatnet writes there, or the tree itself, for its own (batteries 18 and 19 had root write bundles, host keys
    /// included, into another account's files that way, and run another account's nebula-cert on the CA's key).
    /// </summary>
    public static void RequireOneOwnersTree(string tree, string field, string checkout) => RequireOwnTrees(checkout, (tree, field));

    /// <summary>As <see cref="RequireOneOwnersTree"/> for several trees at once: one stat of what is above them all, one find over them all.</summary>
    public static void RequireOwnTrees(string checkout, params (string Tree, string Field)[] trees)
    {
        if (!OperatingSystem.IsLinux() || Uid is not { } uid) return;
        // A tree reached through a link (--artifacts=LINK, a linked folder above it) is the folder the link leads to:
        // that folder and those above it are checked, and those above the link too (whoever may write there could
        // swap the link). Battery 19: a linked artifacts folder had .tmp made in it before anything looked.
        var checkedTrees = trees.Where(t => Directory.Exists(t.Tree)).Select(t =>
        {
            var given = Path.GetFullPath(t.Tree);
            var real = RealPath(given);
            var above = (real == given ? [real] : new[] { real, given }).SelectMany(Ancestors).Distinct().ToList();
            return (t.Tree, t.Field, Real: real, Above: above);
        }).ToList();
        if (checkedTrees.Count == 0) return;
        static List<string[]> Lines(ProcessResult r) => r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 5)).Where(f => f.Length == 5).ToList();
        // Each line: owner's uid, mode, owner's and group's names, path. The checkout first: its owner is trusted.
        var stat = Lines(ProcessRunner.Run("stat", ["-L", "-c", "%u %a %U %G %n", "--", checkout, .. checkedTrees.SelectMany(t => t.Above).Distinct()]));
        var trusted = new HashSet<string> { uid, "0" };
        if (stat.Count > 0) trusted.Add(stat[0][0]);
        var above = stat.Skip(1).GroupBy(f => f[4]).ToDictionary(g => g.Key, g => g.First());
        // One find: every folder's owner, mode and path.
        var found = Lines(ProcessRunner.Run("find", [.. checkedTrees.Select(t => t.Real).Distinct(), "-xdev", "-type", "d", "-printf", "%U %m %u %g %p\\n"]));
        static bool Sticky(string[] f) => (Convert.ToInt32(f[1], 8) & 0b001_000_000_000) != 0;
        // Group write counts only when the group is more than its owner's own (a user private group, as Debian and
        // Ubuntu give each account, is the account alone: its umask 002 makes such folders group-writable).
        static bool OthersWrite(string[] f) => (Convert.ToInt32(f[1], 8) & (f[2] == f[3] ? 0b000_000_010 : 0b000_010_010)) != 0;
        foreach (var (tree, field, real, treeAbove) in checkedTrees)
        {
            var wrong = found.Where(f => (f[4] == real || f[4].StartsWith(real + "/", StringComparison.Ordinal)) && (!trusted.Contains(f[0]) || OthersWrite(f)))
                .Concat(treeAbove.Select(a => above.GetValueOrDefault(a)).OfType<string[]>().Where(f => !trusted.Contains(f[0]) || OthersWrite(f) && !Sticky(f)))
                .Select(f => $"{f[4]} (owner {f[0]}, mode {f[1]})").Distinct().ToArray();
            if (wrong.Length == 0) continue;
            throw new StateConflict($"{Workspace.Relative(tree)}: {(wrong.Length == 1 ? "this folder" : $"{wrong.Length} folders")} another account owns or may write: " +
                                    $"{string.Join("; ", wrong.Take(3).Select(w => Terminal.OneLine(w)))}{(wrong.Length > 3 ? " and more" : "")}; it could swap what flatnet writes there for its own, so nothing was written",
                $"make them yours alone (chown -R $(id -un) {Workspace.Relative(tree)} && chmod -R go-w {Workspace.Relative(tree)})" + (field == "--artifacts" ? ", or use a new folder of your own (--artifacts=DIR)" : ""), field);
        }
    }

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var d = Path.GetDirectoryName(path); d is not null; d = Path.GetDirectoryName(d)) yield return d;
    }

    /// <summary>The path with every link in it followed (what realpath(3) says), up to 40 links deep as the kernel allows.</summary>
    public static string RealPath(string full, int depth = 0)
    {
        var real = Path.GetPathRoot(full)!;
        foreach (var part in full[real.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(real, part);
            real = depth < 40 && new DirectoryInfo(next).ResolveLinkTarget(returnFinalTarget: true) is { } target ? RealPath(target.FullName, depth + 1) : next;
        }
        return real;
    }

    private static readonly Lazy<string?> ThisUid = new(() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            ?.Split('\t', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 3 } u ? u[2] : null);

    private static string? Uid => ThisUid.Value;
}
