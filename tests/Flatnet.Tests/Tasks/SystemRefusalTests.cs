namespace Flatnet.Tests;

/// <summary>
/// When the system refuses a write, the person reads which path and why in plain words, and what to do; never .NET's
/// message alone, and never a claim that nothing was changed (battery 8: "Is a directory : '/abs/path'", then
/// "nothing half-written was kept" after part of the run was done).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class SystemRefusalTests
{
    [Test]
    public void AFolderWhereFlatnetWritesAFileIsNamedAsSuch()
    {
        using var ws = new TestWorkspace();
        foreach (var h in new[] { "host-a", "host-b", "host-c" }) ws.Edit($"{h}.yaml", "transport:", "  transport: none");
        Assert.That(new TestHostProcess(ws, "PackageAll").Wait().ExitCode, Is.EqualTo(0));
        var inputs = Path.Combine(ws.Workspace.HostDirectory("host-b"), "bundle.inputs");
        File.Delete(inputs);
        Directory.CreateDirectory(inputs);
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243"); // every bundle must be rebuilt

        var run = new TestHostProcess(ws, "PackageAll").Wait();
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.StdErr, Does.Contain("artifacts/hosts/host-b/bundle.inputs is a folder, not a file, where flatnet writes a file of its own")
            .And.Contain("fix: move it aside (flatnet did not make it), then run this again"));
        Assert.That(run.StdErr, Does.Not.Contain("nothing half-written").And.Not.Contain("Is a directory :"));
    }

    /// <summary>Battery 9: a file where artifacts/bundles goes was "the system refused a file operation ... already exists".</summary>
    [Test]
    public void AFileWhereFlatnetNeedsAFolderIsNamedAsSuch()
    {
        using var ws = new TestWorkspace();
        foreach (var h in new[] { "host-a", "host-b", "host-c" }) ws.Edit($"{h}.yaml", "transport:", "  transport: none");
        Assert.That(new TestHostProcess(ws, "PackageAll").Wait().ExitCode, Is.EqualTo(0));
        var bundles = Path.Combine(ws.Workspace.ArtifactsDirectory, "bundles");
        Directory.Delete(bundles, recursive: true);
        File.WriteAllText(bundles, "mine\n");
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");

        var run = new TestHostProcess(ws, "PackageAll").Wait();
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.StdErr, Does.Contain("artifacts/bundles is a file where flatnet needs a folder").And.Contain("fix: move it aside"));
        Assert.That(File.ReadAllText(bundles), Is.EqualTo("mine\n"));
    }

    /// <summary>
    /// Battery 24: a run with sudo in a person's own checkout left root's folders in artifacts/, and the person's next
    /// run said "permission denied" without why. It names who made them and how to give them back, whole.
    /// </summary>
    [Test]
    public void WhatARunWithSudoMadeIsNamedAsRootsWithTheWayToGiveItBack()
    {
        if (Environment.UserName != "root") Assert.Fail("this test needs root: it plays a sudo run, then the checkout's owner (nobody) after it");
        using var ws = new TestWorkspace();
        foreach (var h in new[] { "host-a", "host-b", "host-c" }) ws.Edit($"{h}.yaml", "transport:", "  transport: none");
        var home = Directory.CreateDirectory(Path.Combine(ws.Root, "home")).FullName;
        ProcessRunner.Run("chown", ["-R", "65534", ws.Root]).EnsureSuccess("chown");
        Assert.That(new TestHostProcess(ws, "PackageAll").Wait().ExitCode, Is.EqualTo(0), "the sudo run (root, in nobody's checkout)");
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243"); // every bundle must be rebuilt

        var dll = Path.Combine(AppContext.BaseDirectory, "Flatnet.TestHost.dll");
        var run = ProcessRunner.Run("runuser", ["-u", "nobody", "--", "env", $"HOME={home}", "DOTNET_CLI_HOME=" + home, "dotnet", dll, "--target=PackageAll", $"--root={ws.Root}"], ws.Root, timeout: TimeSpan.FromMinutes(2));

        Assert.That(run.ExitCode, Is.EqualTo(1), run.StdOut + run.StdErr);
        Assert.That(run.StdErr, Does.Contain(": permission denied: it is root's (a run with sudo made it)")
            .And.Contain("fix: give back to this account all that run made in this checkout: sudo chown -R \"$(id -un)\" ., then run the same command again"), run.StdErr);
        // The fix as printed (run by root, in the checkout) gives back the lock in hosts/ and the artifacts at once.
        ProcessRunner.Run("chown", ["-R", "65534", "."], ws.Root).EnsureSuccess("the printed fix");
        run = ProcessRunner.Run("runuser", ["-u", "nobody", "--", "env", $"HOME={home}", "DOTNET_CLI_HOME=" + home, "dotnet", dll, "--target=PackageAll", $"--root={ws.Root}"], ws.Root, timeout: TimeSpan.FromMinutes(2));
        Assert.That(run.ExitCode, Is.EqualTo(0), "after the fix, the owner's run goes through: " + run.StdOut + run.StdErr);
        ProcessRunner.Run("chown", ["-R", "0", ws.Root]).EnsureSuccess("chown back");
    }
}
