namespace Flatnet.Tests;

/// <summary>A run stopped half-way leaves no staging or check folders behind.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[NonParallelizable] // DeleteAll is what a stopped process does: it deletes every registered folder, other tests' too
public class TempFoldersTests
{
    [Test]
    public void WhatARunStoppedHalfWayRegisteredIsDeletedOnTheWayOut()
    {
        var folder = Directory.CreateTempSubdirectory("flatnet-check-").FullName;
        File.WriteAllText(Path.Combine(folder, "config.yaml"), "x");
        using var lease = TempFolders.DeleteOnExit(folder);

        TempFolders.DeleteAll(); // what SIGINT, SIGTERM and process exit run

        Assert.That(Directory.Exists(folder), Is.False);
    }

    [Test]
    public void AFinishedStepDeletesItsFolderAndForgetsIt()
    {
        var folder = Directory.CreateTempSubdirectory("flatnet-check-").FullName;
        using (TempFolders.DeleteOnExit(folder)) { }
        Assert.That(Directory.Exists(folder), Is.False);
    }

    private const string Hex = "0123456789abcdef0123456789abcdef";

    /// <summary>What a run makes (its journal records it first), then leaves as a SIGKILL would: there, and no longer this process's to delete.</summary>
    private static void LeftByAKilledRun(string path, bool folder)
    {
        var lease = TempFolders.DeleteOnExit(path);
        if (folder) Directory.CreateDirectory(path);
        else File.WriteAllText(path, "cut short");
        TempFolders.Forget(path);
    }

    [Test]
    public void WhatAKilledRunLeftIsSweptByTheNextRunThatTakesTheLock()
    {
        using var ws = new TestWorkspace();
        var artifacts = ws.Workspace.ArtifactsDirectory;
        SafeFiles.ClaimArtifacts(artifacts);
        var host = Path.Combine(artifacts, "hosts", "host-a");
        Directory.CreateDirectory(host);
        Directory.CreateDirectory(TempFolders.ScratchRoot(artifacts));
        TempFolders.SweepLeftovers(artifacts); // the killed run's own sweep: its journal begins
        var folders = new[] { Path.Combine(host, $".bundle.staging-{Hex}"), Path.Combine(artifacts, $".render.staging-{Hex}"), Path.Combine(artifacts, ".tmp", $"check-{Hex}") };
        foreach (var f in folders) LeftByAKilledRun(f, folder: true);
        var zip = Path.Combine(artifacts, $".host-a.zip.tmp-{Hex}");
        LeftByAKilledRun(zip, folder: false);
        File.WriteAllText(Path.Combine(host, "mine.txt"), "a file flatnet did not write");

        var swept = TempFolders.SweepLeftovers(artifacts); // what the next run that takes the lock does first

        Assert.That(folders.Where(Directory.Exists), Is.Empty);
        Assert.That(File.Exists(zip), Is.False);
        Assert.That(swept.Removed, Has.Count.EqualTo(4));
        Assert.That(File.Exists(Path.Combine(host, "mine.txt")), Is.True, "only flatnet's own leftovers are swept");
    }

    /// <summary>
    /// Battery 36: every writing run emptied artifacts/.tmp whatever it held (a user's notes.txt and folder went, said
    /// only at diagnostic verbosity), and removed anything named like flatnet's temporaries anywhere (hosts/.drafts.old-HEX/).
    /// </summary>
    [Test]
    public void WhatOnlyLooksLikeAKilledRunsLeftoversIsNamedAndKept()
    {
        using var ws = new TestWorkspace();
        var artifacts = ws.Workspace.ArtifactsDirectory;
        SafeFiles.ClaimArtifacts(artifacts);
        var scratch = TempFolders.ScratchRoot(artifacts);
        Directory.CreateDirectory(Path.Combine(scratch, "drafts"));
        var yours = new[]
        {
            Path.Combine(scratch, "notes.txt"), Path.Combine(scratch, "drafts", "a.txt"), Path.Combine(scratch, $"check-{Hex}.txt"),
            Path.Combine(artifacts, $".notes.tmp-{Hex}"), ws.HostsFile($".drafts.old-{Hex}"),
        };
        foreach (var f in yours) File.WriteAllText(f, "mine");

        ws.ControlPlane().RenderAll(); // any writing run: it takes the locks, then sweeps

        Assert.That(yours.Where(f => !File.Exists(f)), Is.Empty, "a file flatnet has no record of making is never swept");
        Assert.That(ws.Log.Lines, Has.Some.Contains("artifacts/.tmp/notes.txt is not flatnet's as far as it can tell").And.Contains("left as it is"));
        Assert.That(ws.Log.Lines, Has.Some.Contains($"hosts/.drafts.old-{Hex} is not flatnet's"));
    }

    [Test]
    public void AFailedFillLeavesNoStagingAndTheOldFolderAsItWas()
    {
        using var ws = new TestWorkspace();
        SafeFiles.ClaimArtifacts(ws.Workspace.ArtifactsDirectory);
        var target = Path.Combine(ws.Workspace.ArtifactsDirectory, "render");
        SafeFiles.ReplaceDirectory(target, dir => File.WriteAllText(Path.Combine(dir, "f"), "old"));

        Assert.Throws<FlatnetException>(() => SafeFiles.ReplaceDirectory(target, _ => throw new FlatnetException("a template failed")));

        Assert.That(File.ReadAllText(Path.Combine(target, "f")), Is.EqualTo("old"));
        Assert.That(Directory.GetDirectories(ws.Workspace.ArtifactsDirectory).Select(Path.GetFileName), Is.EqualTo(new[] { "render" }));
    }
}
