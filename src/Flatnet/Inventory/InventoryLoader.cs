using System.Reflection;
using System.Text.RegularExpressions;
using Flatnet.Addressing;
using Flatnet.Versions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Flatnet.Inventory;

/// <summary>
/// Reads hosts/network.yaml and every other hosts/*.yaml (one host each) into an <see cref="HostInventory"/>.
/// Shape errors (unknown keys, wrong types, missing required fields) are reported here with file and line;
/// address-plan rules (overlaps, duplicates) are <see cref="AddressPlan"/>'s job.
/// Relative paths in network.yaml are taken from the folder that holds the inventory folder (the repo root for hosts/).
/// </summary>
public static partial class InventoryLoader
{
    public const string NetworkFileName = "network.yaml";

    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .WithDuplicateKeyChecking() // a key written twice is a mistake, not "the last one wins"
        .Build();

    public static HostInventory Load(string inventoryDirectory)
    {
        var dir = Path.GetFullPath(inventoryDirectory);
        if (!System.IO.Directory.Exists(dir))
            throw new InventoryProblem(Workspace.Relative(dir), [FlatnetException.Format(Workspace.Relative(dir), null, null, "the inventory folder does not exist",
                "run from the repository root, or pass --inventory=FOLDER with network.yaml and one <host>.yaml per host")]);
        var networkFile = Path.Combine(dir, NetworkFileName);
        if (!File.Exists(networkFile))
            throw new InventoryProblem(Workspace.Relative(dir), [FlatnetException.Format(Workspace.Relative(networkFile), null, null, "missing",
                "create it; README.md shows the format, hosts/network.yaml in the repository is a complete example")]);

        // Every file is read and every field checked before anything is refused, so all problems are listed at once.
        var problems = new InventoryProblems();
        var baseDir = Path.GetDirectoryName(dir) ?? dir;
        var network = NetworkFields.ToNetwork(Workspace.Relative(networkFile), Read<NetworkDocument>(networkFile, problems) ?? new NetworkDocument(), baseDir, problems);
        var hosts = System.IO.Directory.GetFiles(dir, "*.yaml")
            .Where(f => Path.GetFileName(f) != NetworkFileName)
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => (File: f, Document: Read<HostDocument>(f, problems)))
            .Where(h => h.Document is not null) // a file that does not parse is one problem, not many
            .Select(h => HostFields.ToHost(Workspace.Relative(h.File), h.Document!, network, problems))
            .ToList();
        var blocklist = Blocklist.Read(Blocklist.PathIn(dir), problems);
        problems.ThrowIfAny(dir);
        return new HostInventory(dir, network, hosts, blocklist) { Lines = problems.Lines, Warnings = problems.Warnings };
    }

    /// <summary>The file's YAML as typed; a file that does not parse is a problem (with its line), and null.</summary>
    private static T? Read<T>(string file, InventoryProblems problems) where T : class, new()
    {
        var text = File.ReadAllText(file);
        problems.MapLines(Workspace.Relative(file), text);
        try
        {
            return Yaml.Deserialize<T>(text) ?? new T();
        }
        catch (YamlException e)
        {
            var unknown = UnknownProperty().Match(e.Message);
            var at = (int)e.Start.Line;
            if (unknown.Success)
            {
                var type = typeof(T).Assembly.GetTypes().FirstOrDefault(t => t.FullName == unknown.Groups[2].Value) ?? typeof(T);
                problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), at, null, $"unknown key '{unknown.Groups[1].Value}'",
                    $"check the spelling; keys allowed here: {string.Join(", ", KnownKeys(type))}"));
            }
            else if (e.Message.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase))
                problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), at, null, "a key is written twice in one mapping",
                    "keep one of them: YAML does not say which would win"));
            else
                problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), at, null, $"not valid here: {PlainReason(e)}",
                    "compare with the example in README.md"));
            return null;
        }
    }

    /// <summary>What the YAML parser objects to, in words a user can act on: never a .NET type name.</summary>
    private static string PlainReason(YamlException e)
    {
        switch (e.InnerException)
        {
            case FormatException f when InputString().Match(f.Message) is { Success: true } m:
                return $"'{Grammar.Shown(m.Groups[1].Value)}' is not a number";
            case FormatException:
                return "expected a number or true/false";
            case OverflowException:
                return "the number is too large";
        }
        var text = (e.InnerException?.Message ?? e.Message).Split('\n')[0];
        if (text.Contains("deserialize") || text.Contains("System.") || text.Contains("Exception"))
        {
            var target = DotNetType().Match(text) is { Success: true } m ? m.Groups[1].Value : "";
            return target switch
            {
                "Int32" or "Int64" => "expected a whole number",
                "Boolean" => "expected true or false",
                "String" => "expected a single value (text), not a list or a mapping",
                _ when text.Contains("List") => "expected a list, like [a, b]",
                _ => "this value does not have the shape this key takes",
            };
        }
        return text;
    }

    [GeneratedRegex(@"input string '([^']*)'")]
    private static partial Regex InputString();

    [GeneratedRegex(@"System\.(?:Nullable`1\[\[System\.)?(\w+)")]
    private static partial Regex DotNetType();

    [GeneratedRegex(@"Property '([^']+)' not found on type '([^']+)'")]
    private static partial Regex UnknownProperty();

    private static IEnumerable<string> KnownKeys(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => UnderscoredNamingConvention.Instance.Apply(p.Name));

}
