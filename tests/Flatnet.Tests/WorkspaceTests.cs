namespace Flatnet.Tests;

/// <summary>The folders a run works on, and the commands it prints, which must act on those very folders.</summary>
public class WorkspaceTests
{
    /// <summary>
    /// Battery 32: with --inventory and --artifacts, RemoveHost printed "./build.sh --target=RemoveHost --host=host-c
    /// --delete-inventory --manual-steps-done", which run as printed would have revoked and deleted host-c of the
    /// default inventory. Every command a run prints carries the run's own folders.
    /// </summary>
    [Test]
    public void EveryCommandARunPrintsActsOnItsOwnFolders()
    {
        using var ws = new TestWorkspace();
        var root = ws.Workspace.Root;
        Directory.CreateDirectory(Path.Combine(root, "inv5"));
        var custom = new Workspace(root, Path.Combine(root, "inv5"), Path.Combine(root, "my artifacts"));
        var log = new RecordingReporter();
        var context = new FlatnetContext(custom, log);
        context.Log.Warn("pending: host-c; fix: ./build.sh --target=RemoveHost --host=host-c --delete-inventory --manual-steps-done, or .\\build.ps1 --target=Plan");
        var said = log.Lines.Single();
        Assert.That(said, Does.Contain($"./build.sh --target=RemoveHost --inventory={Path.Combine(root, "inv5")} --artifacts='{Path.Combine(root, "my artifacts")}' --host=host-c"));
        Assert.That(said, Does.Contain(".\\build.ps1 --target=Plan --inventory="));
        context.Log.Info("./build.sh --target=Plan --inventory=other");
        Assert.That(log.Lines.Last(), Is.EqualTo("./build.sh --target=Plan --inventory=other"), "a command that names its folders keeps them");
        Assert.That(new Workspace(root, Path.Combine(root, "hosts"), Path.Combine(root, "artifacts")).WithFolderFlags("./build.sh --target=Plan"),
            Is.EqualTo("./build.sh --target=Plan"), "the defaults need no flag");
    }
    /// <summary>Battery 34: a fix wrapped to the terminal's width between "./build.sh" and "--target" kept no folder flags.</summary>
    [Test]
    public void ACommandWrappedAcrossLinesActsOnTheRunsFoldersToo()
    {
        using var ws = new TestWorkspace();
        var root = ws.Workspace.Root;
        var custom = new Workspace(root, Path.Combine(root, "inv2"), Path.Combine(root, "arts2"));
        Assert.That(custom.WithFolderFlags("then re-run ./build.sh\n      --target=RemoveHost --host=host-b"),
            Is.EqualTo($"then re-run ./build.sh\n      --target=RemoveHost --inventory={root}/inv2 --artifacts={root}/arts2 --host=host-b"));
    }

    /// <summary>Battery 38: --artifacts=art/ kept its "/", and no path below it matched "art//": the sweep's journal recorded nothing.</summary>
    [Test]
    public void FoldersGivenWithATrailingSlashAreTheSameFolders()
    {
        var ws = Workspace.At("/tmp/x/", "hosts2/", "art/");
        Assert.That((ws.Root, ws.InventoryDirectory, ws.ArtifactsDirectory), Is.EqualTo(("/tmp/x", "/tmp/x/hosts2", "/tmp/x/art")));
        Assert.That(RunLock.PathFor("/tmp/x/art/"), Is.EqualTo("/tmp/x/art/.flatnet-lock"));
    }
}
