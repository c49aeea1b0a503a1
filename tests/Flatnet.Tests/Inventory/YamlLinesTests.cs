using Flatnet.Inventory;

namespace Flatnet.Tests;

/// <summary>Edits to a user's YAML keep every other line and comment: a value replaced in place, a key added under its parent.</summary>
public class YamlLinesTests
{
    private readonly List<string> _folders = [];

    private (YamlLines Yaml, string File) Of(string text)
    {
        var folder = Directory.CreateTempSubdirectory("flatnet-yaml-").FullName;
        _folders.Add(folder);
        var file = Path.Combine(folder, "network.yaml");
        File.WriteAllText(file, text);
        return (new YamlLines(file), file);
    }

    [TearDown]
    public void RemoveTheFiles()
    {
        foreach (var folder in _folders) Directory.Delete(folder, recursive: true);
        _folders.Clear();
    }

    /// <summary>Battery 8: Init rewrote every line of a CRLF file and dropped its byte order mark.</summary>
    [Test]
    public void AFileWithCrlfAndAByteOrderMarkKeepsThemAndEveryOtherByte()
    {
        var (yaml, file) = Of("");
        System.IO.File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, .. "# mine\r\nlisten_port: 4242\r\nname: flatnet"u8]);
        yaml = new YamlLines(file);
        Assert.That(yaml.Set("listen_port", "4343"), Is.True);
        yaml.Save();
        Assert.That(System.IO.File.ReadAllBytes(file), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }.Concat("# mine\r\nlisten_port: 4343\r\nname: flatnet"u8.ToArray())));
    }

    [Test]
    public void AValueIsReplacedWhereItIsWrittenAndItsCommentStays()
    {
        var (yaml, file) = Of("# mine\nnebula:\n  windows:\n    root: 'F:\\flatnet'   # the spec's\n");
        Assert.That(yaml.Set("nebula.windows.root", "'C:\\flatnet'"), Is.True);
        yaml.Save();
        Assert.That(File.ReadAllText(file), Is.EqualTo("# mine\nnebula:\n  windows:\n    root: 'C:\\flatnet'   # the spec's\n"));
    }

    [Test]
    public void AMissingKeyGoesUnderItsParentAndAMissingTopLevelParentIsAddedFirst()
    {
        var (yaml, file) = Of("name: flatnet\nnebula:\n  admin_port: 2222\n");
        Assert.That(yaml.Set("nebula.admin_key", "\"k\"", "note"), Is.True);
        Assert.That(yaml.Set("tuning.mtu", "1300"), Is.True);
        yaml.Save();
        Assert.That(File.ReadAllText(file), Is.EqualTo("name: flatnet\nnebula:\n  admin_key: \"k\"   # note\n  admin_port: 2222\ntuning:\n  mtu: 1300\n"));
    }

    [Test]
    public void AParentWrittenInFlowStyleCannotTakeALine()
    {
        var (yaml, file) = Of("nebula: { admin_port: 2222 }\n");
        Assert.That(yaml.Set("nebula.admin_key", "\"k\""), Is.False);
        yaml.Save();
        Assert.That(File.ReadAllText(file), Is.EqualTo("nebula: { admin_port: 2222 }\n"), "nothing written");
    }
}
