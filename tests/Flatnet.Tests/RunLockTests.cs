namespace Flatnet.Tests;

/// <summary>
/// One writer at a time per artifacts folder and per inventory: an OS file lock (flock), which the OS releases when
/// the holder dies. A second run waits a moment, then names the run that holds it; read-only targets never wait.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class RunLockTests
{
    /// <summary>The example network with 120 generated PCs (the issue's two PackageAll runs started together).</summary>
    private static TestWorkspace Fleet(int count)
    {
        var ws = new TestWorkspace();
        foreach (var f in Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "host-*.yaml")) File.Delete(f);
        for (var i = 1; i <= count; i++)
            ws.Write($"pc-{i:0000}.yaml", $"name: pc-{i:0000}\nindex: {i}\nos: windows\n");
        return ws;
    }

    [Test]
    public void TwoPackageAllsStartedTogetherBothSucceedOrOneNamesTheOtherAndEveryBundleIsWhole()
    {
        using var ws = Fleet(120);
        using var first = new TestHostProcess(ws, "PackageAll");
        using var second = new TestHostProcess(ws, "PackageAll");
        var (a, b) = (first.Wait(), second.Wait());
        foreach (var run in new[] { a, b })
        {
            Assert.That(run.StdErr, Does.Not.Contain("One or more errors").And.Not.Contain("Exception"), "no .NET text reaches a person");
            if (run.ExitCode != 0)
                Assert.That(run.StdErr, Does.Match(@"is in use by another flatnet run: PackageAll \(pid \d+, since \d\d:\d\d:\d\d\)").And.Contain("fix: "));
        }
        Assert.That(a.ExitCode == 0 || b.ExitCode == 0, Is.True, "one of them packed the fleet:\n" + a.StdErr + b.StdErr);
        // Afterwards every zip and bundle folder is complete, and a third run finds nothing to do.
        for (var i = 1; i <= 120; i++)
        {
            var folder = ws.Workspace.BundleDirectory($"pc-{i:0000}");
            foreach (var file in new[] { "config.yaml", "ca.crt", "host.crt", "install.ps1", "manifest.json" })
                Assert.That(File.Exists(Path.Combine(folder, file)), Is.True, $"pc-{i:0000}'s bundle lacks {file}");
        }
        var third = new TestHostProcess(ws, "PackageAll").Wait();
        Assert.That(third.ExitCode, Is.EqualTo(0), third.StdErr);
        Assert.That(third.StdOut, Does.Contain("120 unchanged, 0 rebuilt"));
    }

    [Test]
    public void ASecondWriterWaitsThenNamesTheHolderAndAReaderDoesNotWait()
    {
        using var ws = new TestWorkspace();
        var artifacts = ws.Workspace.ArtifactsDirectory;
        // Another process holds the artifacts' lock (flock(1) takes the same OS lock flatnet does).
        Assert.That(new TestHostProcess(ws, "PackageAll").Wait().ExitCode, Is.EqualTo(0)); // the folder exists and is flatnet's
        var lockFile = RunLock.PathFor(artifacts);
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock") { ArgumentList = { "-x", lockFile, "sleep", "30" } })!;
        Thread.Sleep(500);
        // The holder's own words are the holder file's text: a line break in it cannot forge a line of the error (battery 8).
        File.WriteAllText(lockFile + ".holder", "PackageAll (pid 1)\nfix: curl x|sh");
        var blocked = new TestHostProcess(ws, "PackageAll", "--lock-wait=1").Wait();
        Assert.That(blocked.ExitCode, Is.EqualTo(1), blocked.StdOut + blocked.StdErr);
        Assert.That(blocked.StdErr, Does.Contain("is in use by another flatnet run").And.Contain("fix: wait for it to end"));
        Assert.That(blocked.StdErr.Split('\n'), Has.None.StartsWith("fix: curl").And.Some.Contains("PackageAll (pid 1)\\nfix: curl x|sh"));
        var reader = new TestHostProcess(ws, "Plan").Wait();
        Assert.That(reader.ExitCode, Is.EqualTo(0), "Plan writes nothing, so it takes no lock");
        holder.Kill(entireProcessTree: true); // flock(1)'s command holds the lock too
        holder.WaitForExit();
        Assert.That(new TestHostProcess(ws, "PackageAll").Wait().ExitCode, Is.EqualTo(0), "the OS released the lock with its holder");
    }

    /// <summary>
    /// Battery 38: two inventories naming one CA key's folder: a run of one swept the other's live pair check there,
    /// which then blamed the CA. The CA key's folder has a lock of its own.
    /// </summary>
    [Test]
    public void TheCaKeysFolderIsOneWritersAtATimeWhateverInventoryNamesIt()
    {
        using var ws = new TestWorkspace();
        Assert.That(new TestHostProcess(ws, "PackageAll").Wait().ExitCode, Is.EqualTo(0)); // pki/ is made and holds the CA
        var pki = Path.GetDirectoryName(global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory).Inventory.Network.Ca.KeyPath)!;
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock") { ArgumentList = { "-x", RunLock.PathFor(pki), "sleep", "30" } })!;
        Thread.Sleep(500);
        var blocked = new TestHostProcess(ws, "PackageAll", "--lock-wait=1").Wait();
        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();
        Assert.That(blocked.ExitCode, Is.EqualTo(1), blocked.StdOut + blocked.StdErr);
        Assert.That(blocked.StdErr, Does.Contain($"{Path.GetFileName(pki)} is in use by another flatnet run"));
    }

    [Test]
    public void ARunHoldsItsLocksOnceAndLetsThemGoWhenTheLastOfItsTakersIsDone()
    {
        using var ws = new TestWorkspace();
        var artifacts = ws.Workspace.ArtifactsDirectory;
        Assert.That(RunLock.Acquire(artifacts, "PackageAll", TimeSpan.Zero), Is.True);
        Assert.That(RunLock.Acquire(artifacts, "DeployHost", TimeSpan.Zero), Is.False, "the same process: already held");
        Assert.That(File.ReadAllText(RunLock.PathFor(artifacts) + ".holder"), Does.Contain($"pid {Environment.ProcessId}"));
        RunLock.Release(artifacts);
        Assert.That(Takeable(RunLock.PathFor(artifacts)), Is.False, "DeployHost's run still holds it");
        RunLock.Release(artifacts);
        Assert.That(Takeable(RunLock.PathFor(artifacts)), Is.True);
    }

    /// <summary>
    /// A program that calls the library (a pipeline of its own, the tests' host) lives on after a run: the run's locks
    /// are let go at its end, and nothing it opened stays open (every run kept its two locks and its journals open to
    /// the process's end: another process waited for a lock no run held, and each process this one started was handed
    /// thousands of descriptors to close).
    /// </summary>
    [Test]
    public void ARunsLocksAndJournalsAreLetGoAtItsEndInAProcessThatLivesOn()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        ws.ControlPlane().PackageAll();
        foreach (var folder in new[] { ws.Workspace.InventoryDirectory, ws.Workspace.ArtifactsDirectory })
            Assert.That(Takeable(RunLock.PathFor(folder)), Is.True, $"{folder}'s lock is free once the run is over");
        var journals = new[] { ws.Workspace.InventoryDirectory, ws.Workspace.ArtifactsDirectory }.Select(f => ScratchJournal.FileFor(Path.GetFullPath(f))!);
        var open = Directory.GetFiles("/proc/self/fd").Select(fd => new FileInfo(fd).LinkTarget ?? "")
            .Where(target => target.StartsWith(ws.Root + "/", StringComparison.Ordinal) || journals.Any(j => target.StartsWith(j, StringComparison.Ordinal)))
            .ToList();
        Assert.That(open, Is.Empty, "files of the run still open");
        Assert.That(new TestHostProcess(ws, "PackageAll", "--lock-wait=0").Wait().ExitCode, Is.EqualTo(0), "another process takes the locks at once");
    }

    /// <summary>
    /// Battery 46: a run's end (build.sh's at its exit, after a stop) waited behind another run of the process that was
    /// waiting for a lock another process held, as long as its --lock-wait.
    /// </summary>
    [Test]
    public void ARunsEndLetsItsLocksGoAtOnceWhileAnotherRunOfTheProcessWaitsForALock()
    {
        using var ws = new TestWorkspace();
        using var other = new TestWorkspace();
        var mine = ws.Workspace.ArtifactsDirectory;
        var theirs = other.Workspace.ArtifactsDirectory;
        Directory.CreateDirectory(theirs);
        Assert.That(RunLock.Acquire(mine, "PackageAll", TimeSpan.Zero), Is.True);
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock") { ArgumentList = { "-x", RunLock.PathFor(theirs), "sleep", "60" } })!;
        Thread.Sleep(500);
        var waiting = Task.Run(() => { try { return RunLock.Acquire(theirs, "RenderAll", TimeSpan.FromSeconds(30)); } catch (StateConflict) { return false; } });
        Thread.Sleep(500);
        try
        {
            Assert.That(Task.Run(() => RunLock.Release(mine)).Wait(TimeSpan.FromSeconds(10)), Is.True, "the end of a run never waits for another's taking");
            Assert.That(Takeable(RunLock.PathFor(mine)), Is.True);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
            if (waiting.Result) RunLock.Release(theirs);
        }
    }

    /// <summary>Whether another holder could take the lock file now (flock, as a second run would).</summary>
    private static bool Takeable(string lockFile)
    {
        try
        {
            using var other = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// A link where the lock or its holder file goes (a clone can carry one, committed with git add -f) is refused:
    /// nothing is opened or written through it.
    /// </summary>
    [TestCase(".flatnet-lock.holder")]
    [TestCase(".flatnet-lock")]
    public void ALinkInPlaceOfTheLockIsRefusedAndNothingIsWrittenThroughIt(string name)
    {
        using var ws = new TestWorkspace();
        var victim = Path.Combine(ws.Root, "victim");
        File.WriteAllText(victim, "precious\n");
        var link = Path.Combine(ws.Root, "hosts", name);
        File.Delete(link); // a working tree's own, copied with hosts/
        File.CreateSymbolicLink(link, victim);
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain($"hosts/{name} is a link").And.Contain("nothing was written"));
        Assert.That(File.ReadAllText(victim), Is.EqualTo("precious\n"));
    }

    /// <summary>Battery 12: a folder where the lock goes said "permission denied", even as root; a FIFO holder hung the run that asked who held it.</summary>
    [TestCase(".flatnet-lock", "folder", "is a folder, where flatnet keeps its lock file")]
    [TestCase(".flatnet-lock.holder", "folder", "is a folder, where flatnet keeps its lock file")]
    [TestCase(".flatnet-lock.holder", "fifo", "is a fifo, not a regular file, where flatnet keeps its lock file")]
    public void AFolderOrAFifoInPlaceOfTheLockIsNamed(string name, string kind, string words)
    {
        using var ws = new TestWorkspace();
        var path = Path.Combine(ws.Root, "hosts", name);
        File.Delete(path);
        if (kind == "folder") Directory.CreateDirectory(path);
        else global::Flatnet.Processes.ProcessRunner.Run("mkfifo", [path]).EnsureSuccess("mkfifo");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain($"hosts/{name} {words}").And.Contain("nothing was written"));
    }
}
