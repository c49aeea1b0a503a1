using Flatnet.Bundles;

namespace Flatnet.Tests;

/// <summary>Only the bundle travels: DeployHost uploads the folder only when it holds exactly what its manifest lists.</summary>
public class BundleFolderTests
{
    private static (ControlPlane Control, List<RecordingConnection> Opened, string Folder) Packaged(TestWorkspace ws)
    {
        var opened = new List<RecordingConnection>();
        var control = new ControlPlane(new FlatnetContext(ws.Workspace, ws.Log) { Connector = (_, _, _) => { var c = new RecordingConnection(); opened.Add(c); return c; } });
        control.GenerateCert("host-c");
        control.PackageBundle("host-c");
        return (control, opened, ws.Workspace.BundleDirectory("host-c"));
    }

    [Test]
    public void TheFolderPackageBundleWroteIsExactlyItsManifest()
    {
        using var ws = new TestWorkspace();
        var (control, opened, folder) = Packaged(ws);
        Assert.That(BundleFolder.Problem(folder), Is.Null);
        control.DeployHost("host-c");
        Assert.That(opened.Single().Log, Has.Some.StartsWith("upload bundle -> "));
    }

    [Test]
    public void AFileAddedBesideTheBundleOrALinkInItNeverTravels()
    {
        using var ws = new TestWorkspace();
        var (control, opened, folder) = Packaged(ws);
        File.WriteAllText(Path.Combine(folder, "scripts", "extra.ps1"), "Write-Output 'not flatnet'\n");
        var e = Assert.Throws<StateConflict>(() => control.DeployHost("host-c"))!;
        Assert.That(e.Message, Does.Contain("is not the bundle flatnet built (scripts/extra.ps1 is not in its manifest); nothing was uploaded")
            .And.Contain("fix: take out what flatnet did not put there"));
        Assert.That(opened, Is.Empty, "refused before connecting");

        // A listed file replaced by a link to the same bytes elsewhere: still not what PackageBundle wrote.
        File.Delete(Path.Combine(folder, "scripts", "extra.ps1"));
        var outside = Path.Combine(ws.Root, "outside-config.yaml");
        File.Move(Path.Combine(folder, "config.yaml"), outside);
        File.CreateSymbolicLink(Path.Combine(folder, "config.yaml"), outside);
        Assert.That(Assert.Throws<StateConflict>(() => control.DeployHost("host-c"))!.Message, Does.Contain("config.yaml is a link"));

        // PackageBundle builds the folder again; then it travels.
        File.Delete(Path.Combine(folder, "config.yaml"));
        control.PackageBundle("host-c");
        control.DeployHost("host-c");
        Assert.That(opened.Single().Log, Has.Some.StartsWith("upload bundle -> "));
    }
}
