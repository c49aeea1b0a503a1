namespace Flatnet.Inventory;

/// <summary>
/// Where each field of each inventory file is written (deploy.port, firewall.inbound[1].host -> line), so a problem
/// found after loading (the address plan's rules) still names its line.
/// </summary>
public sealed class FieldLines(IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> lines)
{
    public static readonly FieldLines None = new(new Dictionary<string, IReadOnlyDictionary<string, int>>());

    /// <summary>The line a field is written on, or the nearest enclosing one (a missing key: its parent); null when unknown.</summary>
    public int? LineOf(string file, string field)
    {
        if (!lines.TryGetValue(file, out var map)) return null;
        for (var path = field; path.Length > 0; path = Parent(path))
            if (map.TryGetValue(path, out var line)) return line;
        return null;
    }

    /// <summary>Every field of one file and its line.</summary>
    public IReadOnlyDictionary<string, int> Of(string file) => lines.TryGetValue(file, out var map) ? map : new Dictionary<string, int>();

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}
