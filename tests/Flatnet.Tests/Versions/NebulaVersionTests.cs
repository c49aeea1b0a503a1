using Flatnet.Versions;

namespace Flatnet.Tests.Versions;

public class NebulaVersionTests
{
    [TestCase("1.11.0", 1, 11, 0)]
    [TestCase("Version: 1.6.1", 1, 6, 1)]
    [TestCase("v1.9.3", 1, 9, 3)]
    [TestCase("1.9.3+dfsg-6+b2", 1, 9, 3)]
    public void ReadsTheWaysAReleaseIsWritten(string text, int major, int minor, int patch)
    {
        Assert.That(NebulaVersion.TryParse(text, out var v), Is.True);
        Assert.That(v, Is.EqualTo(new NebulaVersion(major, minor, patch)));
    }

    [TestCase("1.10")]
    [TestCase("latest")]
    [TestCase("1.11.0; rm -rf /")]
    [TestCase("")]
    public void RefusesAnythingElse(string text) => Assert.That(NebulaVersion.TryParse(text, out _), Is.False);

    [Test]
    public void OrdersByNumberNotByText()
    {
        Assert.That(NebulaVersion.Parse("1.11.0"), Is.GreaterThan(NebulaVersion.Parse("1.9.3")));
        Assert.That(NebulaVersion.Parse("1.10.0").ReadsV2Certificates, Is.True);
        Assert.That(NebulaVersion.Parse("1.9.7").ReadsV2Certificates, Is.False);
    }
}

/// <summary>tools/nebula/VERSION is a folder anyone may fill: the binary found there must be that release.</summary>
public class NebulaReleasesTests
{
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ABinaryOfAnotherReleaseInAVersionFolderIsRefusedNotUsedSilently()
    {
        using var ws = new TestWorkspace();
        var tools = Path.Combine(ws.Root, "tools");
        Directory.CreateDirectory(Path.Combine(tools, "nebula", "1.9.3"));
        File.Copy(TestWorkspace.Nebula("1.6.1"), Path.Combine(tools, "nebula", "1.9.3", "nebula"));
        File.SetUnixFileMode(Path.Combine(tools, "nebula", "1.9.3", "nebula"), (UnixFileMode)0b111_101_101);
        ws.Edit("host-a.yaml", "os:", "os: linux\nnebula_version: 1.9.3");
        ws.Edit("host-a.yaml", "wsl:", "wsl: false");
        var control = new ControlPlane(ws.Workspace with { ToolsDirectory = tools }, ws.Log);
        control.GenerateCert("host-a");
        var e = Assert.Throws<FlatnetException>(() => control.PackageBundle("host-a"))!;
        Assert.That(e.Message, Does.Contain("tools/nebula/1.9.3/nebula is nebula 1.6.1, not the 1.9.3 its folder names"));
    }

    /// <summary>
    /// Battery 19: FetchNebula wrote into a tools/ folder another account could write, and nebula-cert there later runs
    /// on the CA's key. It checks tools/ as every writing run does, before it writes anything.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void FetchingIntoAToolsFolderOthersMayWriteIsRefusedBeforeAnythingIsWritten()
    {
        using var ws = new TestWorkspace();
        var tools = Directory.CreateDirectory(Path.Combine(ws.Root, "tools")).FullName;
        File.SetUnixFileMode(tools, (UnixFileMode)0b111_111_111);
        var e = Assert.Throws<StateConflict>(() => new NebulaReleases(tools).FetchAll("1.11.0", ws.Log))!;
        Assert.That(e.Message, Does.Contain("tools: this entry another account owns or may write: ").And.Contain("mode 777)"));
        Assert.That(Directory.GetFileSystemEntries(tools), Is.Empty, "nothing written, nothing fetched");
    }

}
