using System.Text.RegularExpressions;

namespace Flatnet.Output;

/// <summary>What a person reads fits a terminal: <see cref="Columns"/> wide, long text wrapped at words.</summary>
public static partial class TextWidth
{
    /// <summary>The widest line flatnet prints for a person (Status in every mode, Help).</summary>
    public const int Columns = 120;

    /// <summary>
    /// Words wrapped at <paramref name="width"/>; each line after the first starts with <paramref name="indent"/>. The
    /// text's own leading spaces stay, as do two spaces that align a column (only single spaces between words are
    /// places to break); a word too long for a line is cut, its end marked with ~.
    /// </summary>
    public static string Wrap(string text, string indent, int width = Columns)
    {
        var lead = text[..(text.Length - text.TrimStart().Length)];
        var lines = new List<string>();
        var line = lead;
        foreach (var whole in BreakPoint().Split(text.Trim().Replace('\n', ' ')))
        {
            var word = Cut(whole, width - indent.Length);
            var fresh = line == lead || line == indent;
            if (!fresh && line.Length + 1 + word.Length > width)
            {
                lines.Add(line);
                line = indent;
                fresh = true;
            }
            line += (fresh ? "" : " ") + word;
        }
        lines.Add(line);
        return string.Join("\n", lines);
    }

    /// <summary>The first <paramref name="most"/> names and how many more ("pc-1, pc-2, pc-3 and 47 more"): a list in a sentence stays short whatever the fleet.</summary>
    public static string Some(IReadOnlyList<string> names, int most = 5) =>
        names.Count <= most ? string.Join(", ", names) : $"{string.Join(", ", names.Take(most))} and {names.Count - most} more";

    /// <summary><paramref name="s"/>, or its first <paramref name="width"/> characters with ~ as the last.</summary>
    public static string Cut(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "~";

    [GeneratedRegex(@"(?<=\S) (?=\S)")]
    private static partial Regex BreakPoint();
}
