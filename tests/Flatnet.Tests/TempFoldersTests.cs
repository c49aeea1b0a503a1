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

    [Test]
    public void WhatAKilledRunLeftIsSweptByTheNextRunThatTakesTheLock()
    {
        using var ws = new TestWorkspace();
        var artifacts = ws.Workspace.ArtifactsDirectory;
        SafeFiles.ClaimArtifacts(artifacts);
        var host = Path.Combine(artifacts, "hosts", "host-a");
        var leftovers = new[]
        {
            Path.Combine(host, ".bundle.staging-0123456789abcdef0123456789abcdef"),
            Path.Combine(artifacts, ".render.staging-0123456789abcdef0123456789abcdef"),
            Path.Combine(artifacts, ".tmp", "check-0123456789abcdef0123456789abcdef"),
        };
        foreach (var l in leftovers) Directory.CreateDirectory(l);
        File.WriteAllText(Path.Combine(artifacts, "bundles.zip.tmp-0123456789abcdef0123456789abcdef"), "not ours: no leading dot");
        File.WriteAllText(Path.Combine(artifacts, ".host-a.zip.tmp-0123456789abcdef0123456789abcdef"), "a zip cut short");
        File.WriteAllText(Path.Combine(host, "mine.txt"), "a file flatnet did not write");

        ws.ControlPlane().RenderAll(); // any writing run: it takes the lock, then sweeps

        Assert.That(leftovers.Where(Directory.Exists), Is.Empty);
        Assert.That(File.Exists(Path.Combine(artifacts, ".host-a.zip.tmp-0123456789abcdef0123456789abcdef")), Is.False);
        Assert.That(File.Exists(Path.Combine(host, "mine.txt")), Is.True, "only flatnet's own leftovers are swept");
        Assert.That(File.Exists(Path.Combine(artifacts, "bundles.zip.tmp-0123456789abcdef0123456789abcdef")), Is.True, "only names flatnet makes");
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
