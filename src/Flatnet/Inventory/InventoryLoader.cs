using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Inventory;

/// <summary>
/// Reads hosts/network.yaml and every other hosts/*.yaml (one host each) into an <see cref="HostInventory"/>.
/// Shape errors (unknown keys, wrong types, missing required fields) are reported here with file and line;
/// address-plan rules (overlaps, duplicates) are the address plan's job.
/// Relative paths in network.yaml are taken from the folder that holds the inventory folder (the repo root for hosts/).
/// </summary>
public static partial class InventoryLoader
{
    public const string NetworkFileName = "network.yaml";

    // Unknown keys are found by UnknownKeys, all of them, before this reads the rest: one unknown key must not hide
    // the file's other problems.
    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .WithDuplicateKeyChecking() // a key written twice is a mistake, not "the last one wins"
        .IgnoreUnmatchedProperties()
        .Build();

    /// <summary>The inventory, or every problem of every file at once (<see cref="Read"/>, then refused).</summary>
    public static HostInventory Load(string inventoryDirectory)
    {
        var (inventory, problems, _) = Read(inventoryDirectory);
        problems.ThrowIfAny(inventory.Directory);
        return inventory;
    }

    /// <summary>
    /// Every file read and every field checked; the problems are collected, not thrown, so that the address plan's
    /// rules add theirs to the same list (AddressPlan.Load) and one run names them all. Only a missing folder or
    /// network.yaml stops at once. NetworkRead is false when network.yaml did not parse: there is then no plan to check.
    /// </summary>
    public static (HostInventory Inventory, InventoryProblems Problems, bool NetworkRead) Read(string inventoryDirectory)
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
        var networkDocument = Read<NetworkDocument>(networkFile, problems);
        var network = NetworkFields.ToNetwork(Workspace.Relative(networkFile), networkDocument ?? new NetworkDocument(), baseDir, problems);
        foreach (var stray in System.IO.Directory.GetFiles(dir).Where(f => !f.EndsWith(".yaml", StringComparison.Ordinal)).OrderBy(f => f, StringComparer.Ordinal))
        {
            var name = Path.GetFileName(stray);
            if (name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".YAML", StringComparison.Ordinal))
                problems.AddRaw(FlatnetException.Format(Workspace.Relative(stray), null, null, "not read: flatnet reads hosts/*.yaml",
                    $"rename it {Path.GetFileNameWithoutExtension(name)}.yaml if it describes a host, or move it out of {Workspace.Relative(dir)}"));
            else if (name.Contains(".yaml", StringComparison.Ordinal) || name.EndsWith('~') || name.StartsWith(".#", StringComparison.Ordinal))
                problems.WarnAboutFile(Workspace.Relative(stray), "not read (an editor's backup or a copy?): flatnet reads hosts/*.yaml", "delete it, or move it out of the inventory folder");
        }
        // A host file in a folder below is never read either (battery 26: hosts/more/host-e.yaml, without a word).
        foreach (var folder in System.IO.Directory.GetDirectories(dir).OrderBy(f => f, StringComparer.Ordinal)
                     .Where(d => System.IO.Directory.EnumerateFiles(d, "*.y*ml").Any()))
            problems.WarnAboutFile(Workspace.Relative(folder) + "/", "a folder of YAML files in the inventory, not read: flatnet reads hosts/*.yaml alone",
                "move each host's file up into the inventory folder, or the folder out of it");
        // In the order a person counts (pc-2 before pc-10): every list, table, JSON and picture follows the plan's order.
        var hosts = System.IO.Directory.GetFiles(dir, "*.yaml")
            .Where(f => Path.GetFileName(f) != NetworkFileName)
            .OrderBy(f => Path.GetFileName(f), NaturalOrder.Instance)
            .Select(f => (File: f, Document: Read<HostDocument>(f, problems)))
            .Where(h => h.Document is not null) // a file that does not parse is one problem, not many
            .Select(h => HostFields.ToHost(Workspace.Relative(h.File), h.Document!, network, problems))
            .ToList();
        var blocklist = Blocklist.Read(Blocklist.PathIn(dir), problems);
        return (new HostInventory(dir, network, hosts, blocklist) { Lines = problems.Lines, Warnings = problems.Warnings }, problems, networkDocument is not null);
    }

    /// <summary>The file's YAML as typed; a file that does not parse is a problem (with its line), and null.</summary>
    private static T? Read<T>(string file, InventoryProblems problems) where T : class, new()
    {
        if (Unreadable(file) is { } why)
        {
            problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), null, null, why.Problem, why.Fix));
            return null;
        }
        var text = InputFiles.ReadTextUpTo(file, MaxFileBytes);
        if (text is null)
        {
            problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), null, null, $"larger than any inventory file ({MaxFileBytes / 1024} KiB at most): it is not read",
                "a host's file is a few lines; compare with the examples in hosts/"));
            return null;
        }
        if (YamlSafety.Unsafe(text) is { } refused)
        {
            problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), refused.Line, null, refused.Problem, refused.Fix));
            return null;
        }
        // Parsed once for lines and unknown keys; the deserializer reads the text for the values.
        var root = InventoryProblems.Parse(text);
        problems.MapLines(Workspace.Relative(file), root);
        if (root is not null) UnknownKeys(root, typeof(T), Workspace.Relative(file), problems);
        try
        {
            return Yaml.Deserialize<T>(text) ?? new T();
        }
        catch (YamlException e)
        {
            var at = (int)e.Start.Line;
            // An unclosed [ or { ("index: [5", "wsl: {true"): YamlDotNet gives up in its own state's words, or reads on
            // into the next lines and blames a value; the line that opened it is named.
            var open = text.Split('\n').Select((l, i) => (Line: i + 1, Text: l.Split('#')[0])).FirstOrDefault(l => l.Text.Count(c => c is '[' or '{') > l.Text.Count(c => c is ']' or '}'));
            if (open.Line > 0 && (e.InnerException is InvalidOperationException || open.Line <= at))
            {
                problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), open.Line, null, "a [ or { is opened and not closed",
                    "close it on the same line ([a, b] or {key: value}), or write the value without brackets"));
                return null;
            }
            if (e.Message.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase))
                problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), at, null, "a key is written twice in one mapping",
                    "keep one of them: YAML does not say which would win"));
            else
            {
                // A tab in an indentation is what the parser blames something else for: named first, at its own line.
                var tab = text.Split('\n').Select((l, i) => (Line: i + 1, Lead: l[..(l.Length - l.TrimStart().Length)])).FirstOrDefault(l => l.Lead.Contains('\t'));
                var (problem, fix) = tab.Line > 0 ? ("a tab in the indentation", "indent with spaces, never tabs") : Syntax(e);
                problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), tab.Line > 0 ? tab.Line : at, null, problem, fix));
            }
            return null;
        }
    }

    /// <summary>The largest inventory file flatnet reads: a host's file is a few hundred bytes, network.yaml a few KiB.</summary>
    public const int MaxFileBytes = 256 * 1024;

    /// <summary>Why a file is not read at all, or null: a link (a committed link to /etc/shadow would have its lines printed as unknown keys).</summary>
    private static (string Problem, string Fix)? Unreadable(string file) =>
        TempFolders.IsLink(file) ? ("a link, not a file of the inventory's own: it is not read", "put the file itself in the inventory folder")
        : InputFiles.NotRegular(file) is { } why ? ($"{why}: it is not read", "put the host's file itself in the inventory folder") : null;

    /// <summary>What the YAML parser objects to, in words a user can act on: never a .NET type name.</summary>
    /// <summary>Every key of a mapping that its document type does not have, with its line, down through nested mappings and lists.</summary>
    private static void UnknownKeys(YamlDotNet.RepresentationModel.YamlNode node, Type type, string file, InventoryProblems problems)
    {
        if (node is YamlDotNet.RepresentationModel.YamlSequenceNode list && ElementOf(type) is { } element)
        {
            foreach (var item in list.Children) UnknownKeys(item, element, file, problems);
            return;
        }
        if (node is not YamlDotNet.RepresentationModel.YamlMappingNode map || !IsDocument(type)) return;
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .ToDictionary(p => UnderscoredNamingConvention.Instance.Apply(p.Name), p => p.PropertyType);
        foreach (var (key, value) in map.Children)
        {
            if (properties.TryGetValue(key.ToString(), out var inner)) UnknownKeys(value, inner, file, problems);
            else problems.AddRaw(FlatnetException.Format(file, (int)key.Start.Line, null, $"unknown key '{Grammar.Shown(key.ToString())}'",
                $"check the spelling; keys allowed here: {string.Join(", ", KnownKeys(type))}"));
        }
    }

    private static bool IsDocument(Type type) => type.IsClass && type.Namespace == typeof(NetworkDocument).Namespace;

    private static Type? ElementOf(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) && IsDocument(type.GetGenericArguments()[0]) ? type.GetGenericArguments()[0] : null;

    private static IEnumerable<string> KnownKeys(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => UnderscoredNamingConvention.Instance.Apply(p.Name));

}
