using YamlDotNet.RepresentationModel;

namespace Flatnet.Inventory;

/// <summary>
/// Every problem found in the inventory's files, with file, line and field, so a user sees them all at once and
/// nothing is written until none is left. Lines come from the YAML itself: each field's path (deploy.port,
/// firewall.inbound[1].host) is mapped to the line it is written on.
/// </summary>
public sealed class InventoryProblems
{
    private readonly List<string> _problems = [];
    private readonly List<string> _warnings = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, int>> _lines = [];

    public InventoryProblems() { }

    /// <summary>A collector for rules checked after loading (the address plan's), which knows where each field is written.</summary>
    public InventoryProblems(FieldLines lines) => _known = lines;

    private readonly FieldLines? _known;

    public int Count => _problems.Count;

    /// <summary>What is allowed but probably not meant, with its fix: said, never refused.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Remembers where each field of a file is written (called once per file, with its text).</summary>
    public void MapLines(string file, string yaml) => MapLines(file, Parse(yaml));

    /// <summary>As above, from the file's document already parsed (null: it did not parse).</summary>
    public void MapLines(string file, YamlNode? root)
    {
        var lines = new Dictionary<string, int>();
        if (root is not null) YamlPaths.Each(root, (path, at, _) => lines.TryAdd(path, (int)at.Start.Line));
        _lines[file] = lines;
    }

    /// <summary>
    /// A YAML text's document, or null when it does not parse (the deserializer reports why, with its line) or holds
    /// what would cost without end (<see cref="YamlSafety.Unsafe"/>: an alias, nesting past any inventory's).
    /// </summary>
    public static YamlNode? Parse(string yaml)
    {
        if (YamlSafety.Unsafe(yaml) is not null) return null;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            return stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException)
        {
            return null; // the deserializer's own parse names the problem and its line
        }
    }

    /// <summary>Where every field of the files read so far is written.</summary>
    public FieldLines Lines => new(_lines);

    public int? LineOf(string file, string field) => Lines.LineOf(file, field) ?? _known?.LineOf(file, field);

    /// <summary>`file: line N: field: problem` and its fix.</summary>
    public void Add(string file, string field, string problem, string fix) =>
        _problems.Add(FlatnetException.Format(file, LineOf(file, field), field, problem, fix));

    public void Add(string file, string field, Grammar.Refusal refusal) => Add(file, field, refusal.Problem, refusal.Fix);

    public void Warn(string file, string field, string problem, string fix) =>
        _warnings.Add(FlatnetException.Format(file, LineOf(file, field), field, problem, fix));

    /// <summary>A warning about a file as a whole (no field of it): `file: problem`, never `file: : problem`.</summary>
    public void WarnAboutFile(string file, string problem, string fix) =>
        _warnings.Add(FlatnetException.Format(file, null, null, problem, fix));

    /// <summary>Adds the refusal when there is one; true when the value was fine.</summary>
    public bool Check(string file, string field, Grammar.Refusal? refusal)
    {
        if (refusal is null) return true;
        Add(file, field, refusal);
        return false;
    }

    /// <summary>A problem found before any field (a file that does not parse), with the line the parser gives.</summary>
    public void AddRaw(string message) => _problems.Add(message);

    public void ThrowIfAny(string inventoryDirectory)
    {
        if (_problems.Count == 0) return;
        // The warnings too, after the problems: a file that is not read at all is often why another is wrong (battery
        // 26: they were said only once every problem was fixed).
        throw new InventoryProblem(Workspace.Relative(inventoryDirectory), _problems) { Warnings = _warnings };
    }
}
