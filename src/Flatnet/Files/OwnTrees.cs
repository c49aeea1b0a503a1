using System.Runtime.InteropServices;
using Flatnet.Output;
using Flatnet.Processes;

namespace Flatnet.Files;

/// <summary>
/// What a run reads, runs or writes (the inventory, templates, tools, the CA's folder, the Windows release, the
/// artifacts) is this account's, root's or the checkout's owner's (whoever runs sudo in their own clone), and nobody
/// else may write it: every entry of each tree, files and links included (what a link leads to is what is read or run),
/// and every folder above it (unless sticky, as /tmp). Else another account could swap a file flatnet writes for a
/// link, or change what it signs or runs: batteries 18 to 20 had root write host keys into another account's files,
/// sign a host file another account had edited, and run another account's nebula-cert on the CA's key.
/// Linux only (stat and find, once a call over all the trees given); Windows keeps its own ACLs (OwnerOnlyOnWindows).
/// </summary>
public static class OwnTrees
{
    /// <summary>One file or folder as stat or find saw it.</summary>
    private sealed record Entry(string Uid, int Mode, char Type, string User, string Group, string Path)
    {
        public bool Sticky => (Mode & 0b001_000_000_000) != 0;

        /// <summary>
        /// Group write counts only when the group is more than its owner's own: a user private group (Debian and Ubuntu
        /// give each account one; umask 002 makes its folders group-writable) is the account alone, unless an ACL gives
        /// others a share (an ACL's mask shows as the group's bits), or neither has a name (ids stat cannot name).
        /// </summary>
        public bool OthersWrite => (Mode & 0b000_000_010) != 0
                                   || (Mode & 0b000_010_000) != 0 && (User != Group || User == "UNKNOWN" || HasAcl(Path, "system.posix_acl_access"));
    }

    /// <param name="checkout">the repository's root: its owner is trusted besides this account and root.</param>
    /// <param name="trees">each path (a folder or a file) with the option or file that names it, for the fix.</param>
    public static void Require(string checkout, params (string Path, string Field)[] trees)
    {
        if (!OperatingSystem.IsLinux() || OwnFolders.Uid is not { } uid) return;
        // A tree reached through a link (--artifacts=LINK, a linked folder above it) is what the link leads to, and the
        // folders above both are checked: whoever may write there could swap the link.
        var checkedTrees = trees.Where(t => Directory.Exists(t.Path) || File.Exists(t.Path)).Select(t =>
        {
            var given = System.IO.Path.GetFullPath(t.Path);
            var real = OwnFolders.RealPath(given);
            return (t.Path, t.Field, Real: real, Above: (real == given ? [real] : new[] { real, given }).SelectMany(Ancestors).Distinct().ToList());
        }).ToList();
        if (checkedTrees.Count == 0) return;
        // Above: as they are (a link there is judged by its owner, who may point it elsewhere); the checkout first.
        var stat = Lines(ProcessRunner.Run("stat", ["-c", "%u %a %f %U %G %n", "--", checkout, .. checkedTrees.SelectMany(t => t.Above).Distinct()]),
            f => new Entry(f[0], Convert.ToInt32(f[1], 8), (Convert.ToInt32(f[2], 16) & 0xF000) == 0xA000 ? 'l' : 'd', f[3], f[4], f[5]));
        var trusted = new HashSet<string> { uid, "0" };
        if (stat.Count > 0) trusted.Add(stat[0].Uid);
        var above = stat.Skip(1).GroupBy(e => e.Path).ToDictionary(g => g.Key, g => g.First());
        // In: every entry, through links (find -L): a link leads to what another account may own.
        var found = Lines(ProcessRunner.Run("find", ["-L", .. checkedTrees.Select(t => t.Real).Distinct(), "-xdev", "-printf", "%U %m %y %u %g %p\\n"]),
            f => new Entry(f[0], Convert.ToInt32(f[1], 8), f[2][0], f[3], f[4], f[5]));
        foreach (var (tree, field, real, treeAbove) in checkedTrees)
        {
            var inside = found.Where(e => e.Path == real || e.Path.StartsWith(real + "/", StringComparison.Ordinal))
                .Select(e => Why(e, trusted, above: false) is { } why ? $"{e.Path} ({why})" : null).OfType<string>().Distinct().ToList();
            var outside = treeAbove.Select(a => above.GetValueOrDefault(a)).OfType<Entry>()
                .Select(e => Why(e, trusted, above: true) is { } why ? $"{e.Path} ({why})" : null).OfType<string>().ToList();
            if (inside.Count + outside.Count == 0) continue;
            var shown = Workspace.Relative(tree);
            var wrong = inside.Concat(outside).ToList();
            throw new StateConflict($"{shown}: {(wrong.Count == 1 ? "this entry" : $"{wrong.Count} entries")} another account owns or may write: " +
                                    $"{string.Join("; ", wrong.Take(3).Select(Terminal.OneLine))}{(wrong.Count > 3 ? " and more" : "")}; it could change what flatnet reads, runs or writes there, so nothing was written",
                (inside.Count > 0 ? $"make them yours alone (chown -R $(id -un) {shown} && chmod -R go-w {shown}, and setfacl -R -b {shown} where an ACL gives others write)" : "")
                + (inside.Count > 0 && outside.Count > 0 ? "; " : "")
                + (outside.Count > 0 ? $"make each folder above it yours or root's, writable by you alone (chmod go-w FOLDER), or sticky as /tmp is (chmod +t FOLDER)" : "")
                + (field == "--artifacts" ? ", or use a new folder of your own (--artifacts=DIR)" : ""), field);
        }
    }

    /// <summary>Why an entry is not this account's alone, in a few words; null when it is.</summary>
    private static string? Why(Entry e, HashSet<string> trusted, bool above)
    {
        if (!trusted.Contains(e.Uid)) return $"owner {e.Uid}, mode {Convert.ToString(e.Mode, 8)}";
        if (e.Type == 'l') return above ? null : "a link that leads nowhere: another account may make what it names";
        if (e.Type == 'd' && !above && HasAcl(e.Path, "system.posix_acl_default")) return "a default ACL gives others a share of what is made in it";
        return e.OthersWrite && !(above && e.Sticky) ? $"owner {e.Uid}, mode {Convert.ToString(e.Mode, 8)}" : null;
    }

    private static List<Entry> Lines(ProcessResult result, Func<string[], Entry> entry) =>
        result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 6)).Where(f => f.Length == 6).Select(entry).ToList();

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var d = System.IO.Path.GetDirectoryName(path); d is not null; d = System.IO.Path.GetDirectoryName(d)) yield return d;
    }

    /// <summary>Whether a POSIX ACL (its extended attribute) is set on the path, through links; attributes this file system does not keep count as none.</summary>
    private static bool HasAcl(string path, string attribute) => GetXattr(path, attribute, 0, 0) >= 0;

    // DllImport, not LibraryImport: the generated stub needs unsafe code, and two strings marshal well enough this way.
    [DllImport("libc", EntryPoint = "getxattr", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern nint GetXattr(string path, string name, nint value, nuint size);
}
