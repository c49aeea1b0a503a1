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

    /// <summary>
    /// Battery 37: a journal line naming the folder itself ("ROOT/") had the sweep delete the whole inventory, artifacts
    /// or CA key's folder, at every run (the sweep failed before the journal started afresh). Only a path below the
    /// folder, named as flatnet names what it makes, is ever removed; the journal starts afresh whatever it held.
    /// </summary>
    [Test]
    public void AJournalLineNamingTheFolderItselfOrAnythingButFlatnetsNamesRemovesNothing()
    {
        using var ws = new TestWorkspace();
        var artifacts = ws.Workspace.ArtifactsDirectory;
        SafeFiles.ClaimArtifacts(artifacts);
        File.WriteAllText(Path.Combine(artifacts, "notes.txt"), "mine");
        Directory.CreateDirectory(Path.Combine(artifacts, "mine"));
        var journal = ScratchJournal.FileFor(Path.GetFullPath(artifacts))!;
        File.WriteAllText(journal, string.Join('\n', $"{artifacts}/", artifacts, $"{artifacts}/mine/", $"{artifacts}/notes.txt", $"{artifacts}/mine/../notes.txt", $"{artifacts}//mine") + "\n");

        Assert.That(TempFolders.SweepLeftovers(artifacts).Removed, Is.Empty);

        Assert.That(File.ReadAllText(Path.Combine(artifacts, "notes.txt")), Is.EqualTo("mine"));
        Assert.That(Directory.Exists(Path.Combine(artifacts, "mine")), Is.True);
        Assert.That(new FileInfo(journal).Length, Is.Zero, "this run's journal starts afresh");
    }

    /// <summary>A journal is opened by its name at each line: a FIFO there (only this account could put one) costs the sweep, never a hung run.</summary>
    [Test]
    public void AFifoWhereTheJournalGoesCostsOnlyTheSweep()
    {
        using var ws = new TestWorkspace();
        var journal = ScratchJournal.FileFor(Path.GetFullPath(ws.Workspace.ArtifactsDirectory))!;
        Flatnet.Processes.ProcessRunner.Run("mkfifo", [journal]).EnsureSuccess("mkfifo");
        try
        {
            var run = Task.Run(() => ws.ControlPlane().RenderAll());
            Assert.That(run.Wait(TimeSpan.FromSeconds(60)), Is.True, "the run never waits on a FIFO");
            Assert.That(run.Result, Is.Not.Empty);
        }
        finally
        {
            File.Delete(journal);
        }
    }

    /// <summary>Battery 37: the CA key's folder made by the run itself (InitCa on a fresh clone) had its staging unrecorded, so a killed run's CA key stayed for good.</summary>
    [Test]
    public void WhatARunMakesInAFolderItMadeItselfIsRecordedToo()
    {
        using var ws = new TestWorkspace();
        var pki = Path.Combine(ws.Root, "pki-new");
        TempFolders.SweepBeside(pki); // not there yet: its journal starts all the same
        Directory.CreateDirectory(pki);
        LeftByAKilledRun(Path.Combine(pki, $".ca.staging-{Hex}"), folder: true);

        Assert.That(TempFolders.SweepBeside(pki).Removed, Is.EqualTo(new[] { Path.Combine(pki, $".ca.staging-{Hex}") }));
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

    /// <summary>The journals were never pruned (71,916 in this account's cache after the test runs): bounded as the memos are, and only journals go.</summary>
    [Test]
    public void TheJournalsAreKeptBoundedAndOnlyJournalsGo()
    {
        var folder = Directory.CreateTempSubdirectory("flatnet-made-").FullName;
        try
        {
            var now = DateTime.UtcNow;
            string Journal(string name, string text, double daysAgo)
            {
                var path = Path.Combine(folder, name);
                File.WriteAllText(path, text);
                File.SetLastWriteTimeUtc(path, now.AddDays(-daysAgo));
                return path;
            }
            var hex = (char c) => new string(c, 32);
            var emptyOld = Journal(hex('a'), "", 2);
            var emptyNew = Journal(hex('b'), "", 0.5);
            var namingOld = Journal(hex('c'), "/x/artifacts/.tmp/sign-" + hex('d') + "\n", 30);
            var namingAncient = Journal(hex('e'), "/x/artifacts/.tmp/sign-" + hex('f') + "\n", 400);
            var notAJournal = Journal("notes.txt", "", 400);
            ScratchJournal.Prune(folder, now);
            Assert.That((File.Exists(emptyOld), File.Exists(emptyNew), File.Exists(namingOld), File.Exists(namingAncient), File.Exists(notAJournal)),
                Is.EqualTo((false, true, true, false, true)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
