namespace Flatnet.Tests;

/// <summary>
/// A run stopped at any moment (Ctrl-C, SIGTERM) leaves nothing half-made, and one killed outright (SIGKILL) leaves
/// only what the next run sweeps: no staging or temporary file anywhere, and no file others may read that holds a key.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(8)]
public class InterruptedRunTests
{
    /// <summary>Files under <paramref name="root"/> (and flatnet's scratch in the system's temp folder) a run leaves only when stopped.</summary>
    private static IReadOnlyList<string> Leftovers(string root) =>
        Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(p), @"\.(tmp|staging|old)-[0-9a-f]{32}$|^\.ca\.staging-"))
            .Concat(Directory.Exists(Path.Combine(root, "artifacts", ".tmp")) ? Directory.GetFileSystemEntries(Path.Combine(root, "artifacts", ".tmp")) : [])
            .Select(p => Path.GetRelativePath(root, p)).ToList();

    /// <summary>Every file that holds a private key (a key, or a zip or folder that carries one) and that others may read.</summary>
    private static IReadOnlyList<string> KeysOthersMayRead(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}hosts{Path.DirectorySeparatorChar}") || f.Contains("artifacts"))
            .Where(f => HoldsKey(f) && (File.GetUnixFileMode(f) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
            .Select(f => Path.GetRelativePath(root, f)).ToList();

    private static bool HoldsKey(string file)
    {
        if (file.EndsWith(".key", StringComparison.Ordinal) || file.EndsWith("_ed25519", StringComparison.Ordinal)) return true;
        if (!file.EndsWith(".zip", StringComparison.Ordinal) && !Path.GetFileName(file).Contains(".zip.tmp-")) return false;
        try
        {
            return global::Flatnet.Bundles.ReleaseArchive.PrivateKeysIn(File.ReadAllBytes(file)).Count > 0;
        }
        catch (InvalidDataException)
        {
            return true; // a zip cut short may hold a key already
        }
    }

    private static TestWorkspace Fleet()
    {
        var ws = new TestWorkspace();
        for (var i = 4; i <= 60; i++) ws.Write($"pc-{i:0000}.yaml", $"name: pc-{i:0000}\nindex: {i}\nos: windows\n");
        return ws;
    }

    [TestCase("PackageAll", "INT")]
    [TestCase("PackageAll", "TERM")]
    [TestCase("Release", "INT")]
    [TestCase("RotateCa", "INT")]
    public void AStoppedRunLeavesNoStagingAndNoKeyOthersMayRead(string target, string signal)
    {
        var random = new Random(20261203 + target.Length + signal.Length);
        using var ws = Fleet();
        string[] args = target == "Release" ? ["--release=1.0.0", "--include-keys"] : [];
        // A CA to rotate (its first phase makes the new one), packed by a run of its own: a process holds its lock to its end.
        if (target == "RotateCa")
        {
            // Its deploys reach for the hosts: a closed port here, never the example's addresses (routed out of this machine).
            foreach (var (h, port) in new[] { ("host-a", 1), ("host-b", 2), ("host-c", 3) }) ws.Edit($"{h}.yaml", "address:", $"  address: 127.0.0.1\n  port: {port}");
            var packed = new TestHostProcess(ws, "PackageAll").Wait();
            Assert.That(packed.ExitCode, Is.EqualTo(0), packed.StdErr);
        }
        // The user's notes in bundle folders a stopped run was replacing: never moved into what a stop removes.
        var notes = new List<string>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // (not for RotateCa, whose deploys rightly refuse a bundle folder holding more than its manifest)
            foreach (var bundle in target != "RotateCa" && Directory.Exists(Path.Combine(ws.Workspace.ArtifactsDirectory, "hosts")) ? Directory.GetDirectories(Path.Combine(ws.Workspace.ArtifactsDirectory, "hosts")) : [])
                if (Directory.Exists(Path.Combine(bundle, "bundle")) && !File.Exists(Path.Combine(bundle, "bundle", "notes.txt")))
                {
                    File.WriteAllText(Path.Combine(bundle, "bundle", "notes.txt"), "mine");
                    notes.Add(Path.Combine(bundle, "bundle", "notes.txt"));
                }
            using var run = new TestHostProcess(ws, target, args);
            // From the moment the run holds its lock (on a loaded machine the runtime's start alone took longer than
            // the shortest wait, and a signal then ended it before flatnet could say a word, with nothing written).
            run.WaitUntilItHoldsTheLock(ws);
            Thread.Sleep(random.Next(0, 2200));
            run.Signal(signal);
            var stopped = run.Wait();
            // It ends there (or had ended): never going on in folders the clean-up removed, nor failing as if the disk had.
            // (RotateCa here fails on its own at its first deploy, to a closed port: its code may be 1, for that reason only.)
            Assert.That(stopped.StdErr, Does.Not.Contain("the system refused a file operation"), "a stop is not reported as a disk problem");
            if (target != "RotateCa") Assert.That(stopped.ExitCode, Is.EqualTo(0).Or.EqualTo(signal == "INT" ? 130 : 143), stopped.StdErr);
            if (stopped.ExitCode > 128) Assert.That(stopped.StdErr, Does.Contain($"flatnet: stopped by SIG{signal}; what this run had half-written was removed"));
            // A worker may still be writing when the signal's clean-up runs: what it leaves is swept by the next run.
            Assert.That(KeysOthersMayRead(ws.Root), Is.Empty, $"{target} stopped by SIG{signal}");
        }
        var normal = new TestHostProcess(ws, target == "RotateCa" ? "PackageAll" : target, args).Wait();
        Assert.That(normal.ExitCode, Is.EqualTo(0), normal.StdErr);
        Assert.That(notes.Where(n => !File.Exists(n)), Is.Empty, "the user's files survive every stop");
        Assert.That(Leftovers(ws.Root), Is.Empty);
        Assert.That(KeysOthersMayRead(ws.Root), Is.Empty);
    }

    [Test]
    public void WhatAKilledRunLeftIsSweptByTheNextRunThatHoldsTheLock()
    {
        using var ws = Fleet();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var run = new TestHostProcess(ws, "PackageAll");
            Thread.Sleep(800 + attempt * 700);
            run.Signal("KILL");
            run.Wait();
        }
        var next = new TestHostProcess(ws, "PackageAll").Wait();
        Assert.That(next.ExitCode, Is.EqualTo(0), next.StdErr);
        Assert.That(Leftovers(ws.Root), Is.Empty);
        Assert.That(KeysOthersMayRead(ws.Root), Is.Empty);
    }

    /// <summary>The inventory's files are written under a new name, then renamed: a killed run's temporary there is swept too.</summary>
    [Test]
    public void WhatAKilledRunLeftInTheInventoryIsSweptByTheNextWritingRun()
    {
        using var ws = new TestWorkspace();
        TempFolders.SweepBeside(ws.Workspace.InventoryDirectory); // the killed run's sweep: its journal of the inventory begins
        var left = ws.HostsFile(".network.yaml.tmp-0123456789abcdef0123456789abcdef");
        _ = TempFolders.DeleteOnExit(left);
        File.WriteAllText(left, "half a network.yaml");
        TempFolders.Forget(left); // killed: the file stays, this process no longer deletes it

        Assert.That(TempFolders.SweepBeside(ws.Workspace.InventoryDirectory).Removed, Is.EqualTo(new[] { left }));
        Assert.That(File.Exists(left), Is.False);
        Assert.That(File.Exists(ws.HostsFile("network.yaml")), Is.True);
    }
}
