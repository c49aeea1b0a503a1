namespace Flatnet.Tests;

public class SafeFilesTests
{
    [Test]
    public void AFolderFlatnetDidNotMakeIsNeverDeletedWhole()
    {
        using var ws = new TestWorkspace();
        var foreign = Path.Combine(ws.Root, "someone-elses");
        Directory.CreateDirectory(Path.Combine(foreign, ".git"));
        File.WriteAllText(Path.Combine(foreign, "precious.txt"), "keep me");

        var e = Assert.Throws<FlatnetException>(() => SafeFiles.DeleteOwnedDirectory(foreign))!;
        Assert.That(e.Message, Does.Contain("was not made by flatnet, so it is not deleted"));
        Assert.That(File.ReadAllText(Path.Combine(foreign, "precious.txt")), Is.EqualTo("keep me"));

        var owned = Path.Combine(ws.Root, "ours");
        SafeFiles.CreateOwnedDirectory(owned);
        File.WriteAllText(Path.Combine(owned, "scratch"), "x");
        SafeFiles.DeleteOwnedDirectory(owned);
        Assert.That(Directory.Exists(owned), Is.False);
    }

    [Test]
    public void TheLabRefusesToClearAFolderItDidNotMake()
    {
        using var ws = new TestWorkspace();
        var lab = Path.Combine(ws.Root, "lab");
        Directory.CreateDirectory(lab);
        File.WriteAllText(Path.Combine(lab, "notes.txt"), "mine");
        var e = Assert.Throws<FlatnetException>(() => global::Flatnet.Lab.LabNetwork.Build(ws.Workspace, lab, ws.Log))!;
        Assert.That(e.Message, Does.Contain("was not made by flatnet"));
        Assert.That(File.Exists(Path.Combine(lab, "notes.txt")), Is.True);
    }
}
