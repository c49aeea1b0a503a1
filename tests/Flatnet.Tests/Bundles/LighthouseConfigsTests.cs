using Flatnet.Bundles;

namespace Flatnet.Tests;

/// <summary>A lighthouse flatnet does not manage gets, for its operator, the exact config the hosts rely on.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class LighthouseConfigsTests
{
    [TestCase("1.6.1")]
    [TestCase("1.9.3")]
    [TestCase("1.11.0")]
    public void PackageAllWritesTheLighthousesConfigCheckedByTheReleaseItRuns(string release)
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "# nebula_version:", $"    nebula_version: {release}");
        TestWorkspace.Nebula(release);
        ws.ControlPlane().PackageAll();

        var folder = Path.Combine(ws.Workspace.ArtifactsDirectory, "lighthouses", "lighthouse");
        var config = File.ReadAllText(Path.Combine(folder, "config.yaml"));
        Assert.That(config, Does.Contain("  am_lighthouse: true").And.Contain("  am_relay: true").And.Contain("/etc/nebula/ca.crt"));
        Assert.That(File.ReadAllText(Path.Combine(folder, "README.md")), Does.Contain("`relay.am_relay: true`"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("lighthouse config(s) for their operators: "));
    }

    /// <summary>Battery 8: every PackageAll rewrote the lighthouse's folder with the same bytes, signed a throwaway certificate and ran nebula -test.</summary>
    [Test]
    public void AnUnchangedLighthouseConfigIsNeitherWrittenNorCheckedAgain()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var config = new FileInfo(Path.Combine(ws.Workspace.ArtifactsDirectory, "lighthouses", "lighthouse", "config.yaml"));
        var written = (config.LastWriteTimeUtc, File.ReadAllText(config.FullName));
        File.WriteAllText(Path.Combine(config.DirectoryName!, "notes.txt"), "the operator's own\n");
        Thread.Sleep(20);
        ws.Log.Lines.Clear();
        ws.ControlPlane().PackageAll();
        config.Refresh();
        Assert.That((config.LastWriteTimeUtc, File.ReadAllText(config.FullName)), Is.EqualTo(written));
        Assert.That(ws.Log.Lines, Has.None.Contains("notes.txt"), "said once, when the folder was last written");

        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        ws.ControlPlane().PackageAll();
        Assert.That(File.ReadAllText(config.FullName), Does.Contain("port: 4243"), "a change is written");
        Assert.That(File.ReadAllText(Path.Combine(config.DirectoryName!, "notes.txt")), Is.EqualTo("the operator's own\n"));
    }

    /// <summary>A lighthouse renamed in the inventory left its old folder in artifacts/lighthouses/, unnamed: it stays (its operator may read it), named.</summary>
    [Test]
    public void ARenamedLighthousesOldFolderIsNamedAndKept()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        ws.Edit("network.yaml", "- name: lighthouse", "  - name: lighthouse-1");
        ws.Log.Lines.Clear();
        ws.ControlPlane().PackageAll();
        Assert.That(Directory.Exists(Path.Combine(ws.Workspace.ArtifactsDirectory, "lighthouses", "lighthouse")), Is.True);
        Assert.That(ws.Log.Lines, Has.Some.Contains("lighthouses/lighthouse is no lighthouse of the inventory's now (renamed, removed or managed); left as it is"));
        Assert.That(ws.Log.Lines.Count(l => l.Contains("is no lighthouse of the inventory's now")), Is.EqualTo(1), "only the old folder, none of flatnet's own files");
    }

    [Test]
    public void ARevocationReachesTheLighthousesConfigFirst()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        control.GenerateCert("host-c");
        var fingerprint = control.Context.NebulaCert.Print(Path.Combine(ws.Workspace.PkiDirectory("host-c"), "host.crt")).Fingerprint;
        ws.Edit("host-a.yaml", "transport:", "  transport: none");   // nothing to deploy to: only files change here
        ws.Edit("host-b.yaml", "transport:", "  transport: none");
        // The peers installed by hand stay pending until a person installs their new bundles; the lighthouse's config is ready first.
        Assert.Throws<PendingHosts>(() => new ControlPlane(ws.Workspace, ws.Log).RevokeHost("host-c"));
        var config = File.ReadAllText(Path.Combine(ws.Workspace.ArtifactsDirectory, "lighthouses", "lighthouse", "config.yaml"));
        Assert.That(config, Does.Contain(fingerprint));
        Assert.That(ws.Log.Lines, Has.Some.Contains("the lighthouse must refuse it too").And.Some.Contains("lighthouses/lighthouse/config.yaml"));
    }
}
