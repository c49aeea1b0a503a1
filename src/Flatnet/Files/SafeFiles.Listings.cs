namespace Flatnet.Files;

// The listing of what flatnet wrote in a folder (ARTIFACTS/hosts/NAME/render.files, .NAME.flatnet): one `SHA256  path`
// line per file; read only from a plain file of a listing's shape, never through a link.
public static partial class SafeFiles
{
    /// <summary>A listing naming both what flatnet wrote there before (as listed) and what it writes now: while files are swapped in, neither is taken for the user's.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> OldAndNew(Dictionary<string, List<string?>> listed, IReadOnlySet<string> ours, IEnumerable<KeyValuePair<string, string?>> written) =>
        listed.Where(l => ours.Contains(l.Key)).SelectMany(l => l.Value.Select(sha => KeyValuePair.Create(l.Key, sha))).Concat(written);

    /// <summary>A listing of flatnet's there: a plain file of a listing's whole shape, reached with no link on the way.</summary>
    public static bool IsListingFile(string listing) =>
        LinkOnTheWay(Path.GetDirectoryName(Path.GetFullPath(listing))!) is null && StateShapes.Holds(listing, StateShapes.Of("render.files")!);

    /// <summary>
    /// A listing: one `SHA256  path` line per file flatnet wrote (as sha256sum prints it); while an update moves files
    /// in place, a path has two lines, the old bytes' and the new ones', so that a run stopped half-way leaves every
    /// file of flatnet's recognised as such (battery 35: an edit is the user's, so a file in neither state stops a run).
    /// </summary>
    private static string Lines(IEnumerable<KeyValuePair<string, string?>> files) =>
        string.Concat(files.Where(f => f.Value is not null).Distinct().OrderBy(f => f.Key, StringComparer.Ordinal).ThenBy(f => f.Value, StringComparer.Ordinal).Select(f => $"{f.Value}  {f.Key}\n"));

    /// <summary>The files below <paramref name="target"/> that still hold what <paramref name="listing"/> says flatnet wrote there: flatnet's, to remove.</summary>
    public static HashSet<string> WrittenAsListed(string target, string listing) =>
        Directory.Exists(target) ? AsWritten(target, FilesBelow(target), Written(listing)) : [];

    /// <summary>
    /// Whether <paramref name="listing"/> reads as a listing of flatnet's for <paramref name="target"/>: every line
    /// `SHA256  path`, or (an older flatnet's) a path that is there below the folder; empty is nothing to lose.
    /// </summary>
    private static bool IsListingOf(string listing, string target)
    {
        if (InputFiles.NotRegular(listing) is not null || new FileInfo(listing).Length > InputFiles.StateLimit) return false;
        return File.ReadAllText(listing).Split('\n', StringSplitOptions.RemoveEmptyEntries).All(line =>
            System.Text.RegularExpressions.Regex.IsMatch(line, "^[0-9a-f]{64}  [^\\s/].*$")
            || !line.StartsWith('/') && !line.Contains("..", StringComparison.Ordinal) && Path.Exists(Path.Combine(target, line)));
    }

    private static string Listing(string target) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, $".{Path.GetFileName(target)}.flatnet");

    /// <summary>What a listing says flatnet wrote: paths with '/', each with the SHA-256 of what was written (null on a line without one); none without a listing.</summary>
    private static Dictionary<string, List<string?>> Written(string listing) =>
        InputFiles.ListingLines(listing) // a small plain file, or nothing (a FIFO there hung a run holding its locks)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, "^([0-9a-f]{64})  (.+)$") is { Success: true } m ? (Path: m.Groups[2].Value, Sha: (string?)m.Groups[1].Value) : (Path: l, Sha: null))
            .GroupBy(e => e.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.Sha).ToList(), StringComparer.Ordinal);
}
