using System.Globalization;

namespace Flatnet.Provisioning;

/// <summary>
/// The command line's arguments as a task reads them (--host=NAME, --force, --wave-size=2), by name without the
/// dashes. A value that does not fit is a usage error naming its flag and what it takes.
/// </summary>
public sealed class TaskArguments(IReadOnlyDictionary<string, IReadOnlyList<string>> given)
{
    // Cake's arguments are case-insensitive (--Host and --host are one).
    private readonly Dictionary<string, IReadOnlyList<string>> values = new(given, StringComparer.OrdinalIgnoreCase);

    public static readonly TaskArguments None = new(new Dictionary<string, IReadOnlyList<string>>());

    public static TaskArguments Of(params (string Name, string Value)[] values) =>
        new(values.GroupBy(v => v.Name).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(v => v.Value).ToList()));

    public IEnumerable<string> Names => values.Keys;

    public bool Has(string name) => values.ContainsKey(name);

    /// <summary>A switch: given (--force, or --force=true) or not. Cake passes a bare --force with no value (null).</summary>
    public bool Flag(string name) => values.TryGetValue(name, out var v) && !v.Any(x => x is not null && x.Equals("false", StringComparison.OrdinalIgnoreCase));

    public string? Value(string name) => values.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    /// <summary>--host=NAME, which the per-host tasks need.</summary>
    public string Host => OptionalHost ?? throw new UsageError("this target works on one host", "add --host=NAME; ./build.sh --target=Plan lists the hosts", "--host");

    /// <summary>
    /// --host=NAME when given (Status reads every host without it): a host's name as the inventory's grammar has it,
    /// so a path (../x), a line break or a name no inventory could hold is refused as what it is, never looked up.
    /// </summary>
    public string? OptionalHost => Value("host") is { Length: > 0 } host ? NameOf(host, "--host") : null;

    private static string NameOf(string name, string flag) => Inventory.Grammar.HostName(name) is null ? name
        : throw new UsageError($"'{Inventory.Grammar.Shown(name)}' is not a host's name", "host names are lower-case letters, digits and '-' (host-c); ./build.sh --target=Plan lists them", flag);

    /// <summary>A whole number within a range, or the default when not given.</summary>
    public int Int(string name, int fallback, int min = 1, int max = int.MaxValue)
    {
        var text = Value(name);
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        throw new UsageError($"'{text}' is not a whole number from {min} to {max}", $"e.g. --{name}={fallback}", "--" + name);
    }

    /// <summary>A comma-separated list of names (--hosts=a,b); null when not given; one that names nothing is an error.</summary>
    public IReadOnlyList<string>? List(string name, string what = "host")
    {
        var items = Value(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items is { Length: 0 })
            throw new UsageError($"names no {what}", $"list them separated by commas, e.g. --{name}=host-a,host-b, or leave --{name} out for all", "--" + name);
        return what == "host" ? items?.Select(i => NameOf(i, "--" + name)).ToList() : items;
    }
}
