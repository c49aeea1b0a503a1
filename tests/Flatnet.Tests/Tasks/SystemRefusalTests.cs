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
        Assert.That(run.StdErr, Does.Contain("artifacts/hosts/host-b/bundle.inputs is a folder where flatnet writes a file")
            .And.Contain("fix: move it aside (flatnet did not make it), then run the same command again"));
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
}
