using Flatnet.Files;

namespace Flatnet.Inventory;

/// <summary>
/// A user's YAML file edited line by line, so that every other line and comment stays as the user wrote it: a
/// scalar set where its key is (its trailing comment kept), or added under its parent mapping when absent. For
/// block-style files as flatnet's examples are; a key written in flow style ({ a: b }) is left for the user.
/// </summary>
public sealed class YamlLines
{
    private readonly string file;
    private readonly List<string> _lines = [];

    // The file's own line ending, byte order mark and final line break, kept as they were: an edit changes its lines only.
    private readonly byte[] _bytes;

    /// <summary>
    /// Reads <paramref name="file"/> once: a plain file of an inventory file's size at most (battery 43: Join hung on a
    /// FIFO there, holding its locks, and read a 60 MB file whole), in UTF-8, so that every line it does not change is
    /// written back byte for byte (battery 43: a Latin-1 comment came back as U+FFFD).
    /// </summary>
    public YamlLines(string file)
    {
        this.file = file;
        _bytes = InputFiles.ReadAllBytes(file, InventoryLoader.MaxFileBytes, "an inventory file");
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(_bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new FlatnetException($"{Workspace.Relative(file)} is not UTF-8 text: flatnet edits only UTF-8 files, so that every line it does not change stays as written; nothing was changed",
                $"save it as UTF-8 (the editor's encoding setting; a Latin-1 file: iconv -f latin1 -t utf-8 -o {Workspace.Relative(file)}.utf8 {Workspace.Relative(file)} && mv {Workspace.Relative(file)}.utf8 {Workspace.Relative(file)}), then run this again", Workspace.Relative(file));
        }
        // Each line with its own ending (battery 44: one CRLF line made every line CRLF); a line flatnet adds takes its neighbour's (Insert).
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text.StartsWith('\uFEFF') ? text[1..] : text, "([^\r\n]*)(\r\n|\n|\r|$)"))
        {
            if (m.Length == 0) break; // the end, after a final line break
            _lines.Add(m.Groups[1].Value);
            _endings.Add(m.Groups[2].Value);
        }
    }

    /// <summary>Each line's own line break as read ("" for a last line without one); parallel to <see cref="_lines"/>.</summary>
    private readonly List<string> _endings = [];

    /// <summary>The file's bytes as read: what a change taken back puts back, byte for byte.</summary>
    public ReadOnlyMemory<byte> Original => _bytes;
    private string NewLine => _endings.FirstOrDefault(e => e.Length > 0) ?? "\n";
    private bool Bom => _bytes.AsSpan().StartsWith("\uFEFF"u8);

    public string File => file;
    public bool Changed { get; private set; }

    /// <summary>
    /// Sets <paramref name="path"/> (e.g. nebula.windows.root, lighthouses[0].endpoints) to a YAML value as written.
    /// A missing key is added under its parent mapping; a missing top-level parent is added at the end first.
    /// </summary>
    /// <returns>False when the parent mapping is written in flow style ({ a: b }), where no line can be added.</returns>
    public bool Set(string path, string yamlValue, string? comment = null)
    {
        var lines = Lines();
        if (lines.TryGetValue(path, out var at) && Split(_lines[at - 1]) is { } kept)
        {
            var updated = kept.Prefix + yamlValue + (comment is null ? kept.Comment : "   # " + comment);
            Changed |= updated != _lines[at - 1];
            _lines[at - 1] = updated;
            return true;
        }
        var dot = path.LastIndexOf('.');
        var line = $"{path[(dot + 1)..]}: {yamlValue}" + (comment is null ? "" : "   # " + comment);
        if (dot < 0)
        {
            Insert(_lines.Count, line);
            Changed = true;
            return true;
        }
        var parent = path[..dot];
        if (!lines.ContainsKey(parent) && !parent.Contains('.') && !parent.Contains('['))
        {
            Insert(_lines.Count, parent + ":");
            lines = Lines();
        }
        if (!lines.TryGetValue(parent, out var parentAt) || _lines[parentAt - 1].Split('#')[0].TrimEnd().EndsWith(':') is false) return false;
        // As far in as the keys beside it are (battery 45: a block indented by 4 got a line at 2, and no longer loaded);
        // two spaces under the parent when it has none yet.
        var parentIndent = Indent(_lines[parentAt - 1]);
        var indent = _lines.Skip(parentAt).Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).Select(Indent).FirstOrDefault(-1) is var first && first > parentIndent
            ? first : parentIndent + 2;
        Insert(parentAt, new string(' ', indent) + line);
        Changed = true;
        return true;
    }

    /// <summary>The value of a scalar as written (without quotes or comment), or null.</summary>
    public string? Get(string path) =>
        Lines().TryGetValue(path, out var at) && Split(_lines[at - 1]) is { } parts ? parts.Value.Trim().Trim('"', '\'') : null;

    public void Save()
    {
        if (!Changed) return;
        var text = string.Concat(_lines.Zip(_endings, (line, end) => line + end));
        SafeFiles.WriteFile(file, t => System.IO.File.WriteAllText(t, text, new System.Text.UTF8Encoding(Bom)));
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    /// <summary>A line flatnet adds, with the line break of the line before it (else the file's first); one added after a last line without a break gives that line one.</summary>
    private void Insert(int at, string line)
    {
        var end = at > 0 && _endings[at - 1].Length > 0 ? _endings[at - 1] : NewLine;
        if (at == _lines.Count && _endings.Count > 0 && _endings[^1].Length == 0)
            (_endings[^1], end) = (end, "");
        _lines.Insert(at, line);
        _endings.Insert(at, end);
    }

    private IReadOnlyDictionary<string, int> Lines()
    {
        var map = new InventoryProblems();
        map.MapLines(file, string.Join("\n", _lines));
        return map.Lines.Of(file);
    }

    /// <summary>`  key: value   # comment` as (prefix up to the value, value, comment with its spaces); null when the line has no `key:`.</summary>
    private static (string Prefix, string Value, string Comment)? Split(string line)
    {
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0) return null;
        var start = colon + 2;
        while (start < line.Length && line[start] == ' ') start++;
        var quote = '\0';
        for (var i = start; i < line.Length; i++)
        {
            if (quote != '\0') { if (line[i] == quote) quote = '\0'; continue; }
            if (line[i] is '"' or '\'') quote = line[i];
            else if (line[i] == '#' && line[i - 1] == ' ')
            {
                var end = i;
                while (end > start && line[end - 1] == ' ') end--;
                return (line[..start], line[start..end], line[end..]);
            }
        }
        return (line[..start], line[start..], "");
    }
}
