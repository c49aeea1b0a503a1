using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using Flatnet.Files;

namespace Flatnet.Inventory;

/// <summary>
/// The one place flatnet writes inventory YAML (the lab's and the benchmark's generated inventories): from the same
/// documents the loader reads, so a generated file is valid by construction and a schema change reaches both.
/// </summary>
public static class InventoryWriter
{
    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .Build();

    private static readonly IDeserializer Reader = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    /// <summary>network.yaml of an inventory folder, as its document (to derive another inventory from it).</summary>
    public static NetworkDocument ReadNetwork(string inventoryDirectory)
    {
        var path = Path.Combine(inventoryDirectory, InventoryLoader.NetworkFileName);
        var text = Files.InputFiles.ReadAllText(path, InventoryLoader.MaxFileBytes, "network.yaml");
        if (YamlSafety.Unsafe(text) is { } refused) throw new FlatnetException(refused.Problem, refused.Fix, file: Workspace.Relative(path), line: refused.Line);
        return Reader.Deserialize<NetworkDocument>(text);
    }

    public static void WriteNetwork(string inventoryDirectory, NetworkDocument network, string comment) =>
        Write(Path.Combine(inventoryDirectory, InventoryLoader.NetworkFileName), network, comment);

    public static void WriteHost(string inventoryDirectory, HostDocument host, string comment) =>
        Write(Path.Combine(inventoryDirectory, host.Name + ".yaml"), host, comment);

    private static void Write(string path, object document, string comment)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var header = string.Concat(comment.Split('\n').Select(l => "# " + l.Replace("\r", "") + "\n"));
        SafeFiles.WriteAllText(path, header + Yaml.Serialize(document)); // a new file renamed in: a link there is replaced, never followed
    }
}
