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

        /// <summary>Its owner and mode, as a refusal names them.</summary>
        public string Shown => $"owner {Uid}, mode {Convert.ToString(Mode, 8)}";

        /// <summary>
        /// Group write counts only when the group is more than its owner's own: a user private group (Debian and Ubuntu
        /// give each account one; umask 002 makes its folders group-writable) is the account alone, unless neither has a
        /// name (ids stat cannot name). An ACL (its mask shows as the group's bits) is refused on its own.
        /// </summary>
        public bool OthersWrite => (Mode & 0b000_000_010) != 0
                                   || (Mode & 0b000_010_000) != 0 && !PrivateGroup(User, Group);
    }

    /// <summary>Owners trusted besides this account and root: each checkout's owner a run has checked (whoever runs sudo in their own clone).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> CheckoutOwners = new();

    /// <param name="checkout">the repository's root: its owner is trusted besides this account and root.</param>
    /// <param name="trees">each path (a folder or a file) with the option or file that names it, for the fix.</param>
    public static void Require(string checkout, params (string Path, string Field)[] trees)
    {
        if (!OperatingSystem.IsLinux() || OwnFolders.Uid is not { } uid) return;
        // A tree reached through links (--artifacts=LINK, cert_tool a link, a linked folder above) is what they lead to;
        // each link on the way is judged by its own owner (who may point it elsewhere between this check and a use),
        // and the folders above the path as given, above each link and above where they lead are checked too.
        // One not made yet is checked above: the folders it will be made in (a default ACL there shares all made below).
        var checkedTrees = trees.Select(t =>
        {
            var given = System.IO.Path.GetFullPath(t.Path);
            var links = new List<string>();
            var real = OwnFolders.RealPath(given, links);
            var above = links.Concat(new[] { real, given }.Concat(links).SelectMany(Ancestors)).Where(p => p != real).Distinct().ToList();
            return (t.Path, t.Field, Real: real, Above: above);
        }).ToList();
        if (checkedTrees.Count == 0) return;
        // Above: as they are, never followed; the checkout first.
        var stat = Stat([checkout, .. checkedTrees.SelectMany(t => t.Above).Distinct()]);
        var trusted = new HashSet<string> { uid, "0" };
        if (stat.Count > 0)
        {
            trusted.Add(stat[0].Uid);
            CheckoutOwners.TryAdd(stat[0].Uid, 0);
        }
        var above = stat.Skip(1).GroupBy(e => e.Path).ToDictionary(g => g.Key, g => g.First());
        // In: every entry, through links (find -L), on every file system below (a mount is what is run as much as a folder).
        var there = checkedTrees.Select(t => t.Real).Where(p => Directory.Exists(p) || File.Exists(p)).Distinct().ToList();
        var found = there.Count == 0 ? [] : Lines(ProcessRunner.Run(ProcessRunner.OfSystem("find"), ["-L", .. there, "-printf", "%U %m %y %u %g %p\\0"]),
            f => new Entry(f[0], Convert.ToInt32(f[1], 8), f[2][0], f[3], f[4], f[5]));
        // A link inside a tree is judged as a link on the way is: by its own owner, and each link it leads through (an
        // unpacked Windows release's nebula.exe led, through another account's link, to pki/ca.key: battery 22).
        var chains = found.Where(e => new FileInfo(e.Path).LinkTarget is not null).Select(e =>
        {
            var links = new List<string>();
            OwnFolders.RealPath(e.Path, links);
            return (e.Path, Links: links.Concat(links.Skip(1).SelectMany(Ancestors)).Distinct().ToList());
        }).Where(c => c.Links.Count > 0).ToList();
        if (chains.Count > 0)
            foreach (var e in Stat([.. chains.SelectMany(c => c.Links).Distinct()]))
                above.TryAdd(e.Path, e);
        foreach (var (tree, field, real, treeAbove) in checkedTrees)
        {
            bool In(string path) => path == real || path.StartsWith(real + "/", StringComparison.Ordinal);
            var inside = found.Where(e => In(e.Path))
                .Select(e => Why(e, trusted, above: false) is { } why ? $"{e.Path} ({why})" : null)
                .Concat(chains.Where(c => In(c.Path)).SelectMany(c => c.Links).Select(l => above.GetValueOrDefault(l)).OfType<Entry>()
                    .Select(e => Why(e, trusted, above: true) is { } why ? $"{e.Path} ({why})" : null))
                .OfType<string>().Distinct().ToList();
            var outside = treeAbove.Select(a => above.GetValueOrDefault(a)).OfType<Entry>()
                .Select(e => Why(e, trusted, above: true) is { } why ? $"{e.Path} ({why})" : null).OfType<string>().ToList();
            if (inside.Count + outside.Count == 0) continue;
            var shown = Workspace.Relative(tree);
            var quoted = "'" + shown.Replace("'", "'\"'\"'") + "'"; // a shell word, as the fix is typed (Files sits below Rendering's Quoting)
            var wrong = inside.Concat(outside).ToList();
            throw new StateConflict($"{shown}: {(wrong.Count == 1 ? "this entry" : $"{wrong.Count} entries")} another account owns or may write: " +
                                    $"{string.Join("; ", wrong.Take(3).Select(Terminal.OneLine))}{(wrong.Count > 3 ? " and more" : "")}; it could change what flatnet reads, runs or writes there, so nothing was written",
                (inside.Any(w => w.Contains("leads nowhere", StringComparison.Ordinal)) ? "remove each link that leads nowhere (rm PATH; an editor's lock file, .#NAME, goes when the editor closes the file)" + (inside.All(w => w.Contains("leads nowhere", StringComparison.Ordinal)) ? "" : "; ") : "")
                + (inside.Any(w => !w.Contains("leads nowhere", StringComparison.Ordinal)) ? $"make them yours alone (chown -R \"$(id -un)\" {quoted} && chmod -R go-w {quoted}, and setfacl -R -b {quoted}, from the acl package, where an ACL gives others a share)" : "")
                + (inside.Count > 0 && outside.Count > 0 ? "; " : "")
                + (outside.Count > 0 ? "make each folder or link above it yours or root's, writable by you alone (chmod go-w FOLDER) or sticky as /tmp is (chmod +t FOLDER), with no default ACL (setfacl -k FOLDER)" : "")
                + (field == "--artifacts" ? ", or use a new folder of your own (--artifacts=DIR)" : ""), field);
        }
    }

    /// <summary>
    /// Why one folder flatnet found where it keeps scratch or secrets is not safe to use, by the rules above (its owner
    /// this account, root or a checkout's owner; nobody else may write it; no ACL; not a link); null when it is.
    /// </summary>
    public static string? WhyNot(string folder)
    {
        if (OwnFolders.Uid is not { } uid) return "its owner cannot be told";
        var stat = Stat([folder]);
        if (stat.Count != 1) return "it cannot be read";
        if (stat[0].Type == 'l') return "it is a link";
        return Why(stat[0], new HashSet<string>([uid, "0", .. CheckoutOwners.Keys]), above: false) is { } why ? (why.StartsWith("owner", StringComparison.Ordinal) ? $"another account owns or may write it ({why})" : why) : null;
    }

    /// <summary>Why an entry is not this account's alone, in a few words; null when it is.</summary>
    private static string? Why(Entry e, IReadOnlySet<string> trusted, bool above)
    {
        if (!trusted.Contains(e.Uid)) return e.Shown;
        if (e.Type == 'l') return above ? null : "a link that leads nowhere: another account may make what it names";
        // flatnet makes no ACL: one here gives someone a share the mode does not show (read of a key, write of a file).
        if (!above && HasAcl(e.Path, "system.posix_acl_access")) return $"an ACL gives others a share; mode {Convert.ToString(e.Mode, 8)}";
        if (e.Type == 'd' && HasAcl(e.Path, "system.posix_acl_default")) return "a default ACL gives others a share of what is made in it";
        // Above a tree, an ACL whose mask lets someone write (it shows as the group's write bit) counts as others' write (battery 23).
        if (above && e.Type == 'd' && (e.Mode & 0b000_010_000) != 0 && HasAcl(e.Path, "system.posix_acl_access")) return $"an ACL lets others write; mode {Convert.ToString(e.Mode, 8)}";
        return e.OthersWrite && !(above && e.Sticky) ? e.Shown : null;
    }

    /// <summary>
    /// Whether a group is its owner's alone: of the owner's own name (a real name: stat says UNKNOWN for an id it
    /// cannot name), and nobody else in it (getent; battery 22 put another account in such a group and wrote through it).
    /// </summary>
    private static bool PrivateGroup(string user, string group) => user == group && user != "UNKNOWN" && Members.GetOrAdd(group, g =>
        ProcessRunner.Run(ProcessRunner.OfSystem("getent"), ["group", "--", g]) is { ExitCode: 0 } r && r.StdOut.Trim().Split(':') is { Length: 4 } f
        && f[3].Split(',', StringSplitOptions.RemoveEmptyEntries).All(m => m == user));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Members = new();

    /// <summary>
    /// The paths as they are (stat(1), never following a link): owner's id, mode, raw mode (its type), names, path.
    /// Fields end with NUL: a name may hold a newline.
    /// </summary>
    private static List<Entry> Stat(string[] paths) => Lines(ProcessRunner.Run(ProcessRunner.OfSystem("stat"), ["--printf", "%u %a %f %U %G %n\\0", "--", .. paths]),
        f => new Entry(f[0], Convert.ToInt32(f[1], 8), (Convert.ToInt32(f[2], 16) & 0xF000) switch { 0xA000 => 'l', 0x4000 => 'd', _ => 'f' }, f[3], f[4], f[5]));

    private static List<Entry> Lines(ProcessResult result, Func<string[], Entry> entry) =>
        result.StdOut.Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 6)).Where(f => f.Length == 6).Select(entry).ToList();

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
