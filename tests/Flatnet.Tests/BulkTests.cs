namespace Flatnet.Tests;

public class BulkTests
{
    [Test]
    public void PackageAllPacksEveryHostAndASecondRunChangesNothing()
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().PackageAll();
        Assert.That(first, Is.EqualTo(new[] { ("host-a", true, true), ("host-b", true, true), ("host-c", true, true) }));
        var zips = first.Select(r => File.ReadAllBytes(ws.Workspace.BundlePath(r.Host))).ToList();

        ws.Log.Lines.Clear();
        var second = ws.ControlPlane().PackageAll();
        Assert.That(second, Is.EqualTo(new[] { ("host-a", false, false), ("host-b", false, false), ("host-c", false, false) }));
        Assert.That(second.Select(r => File.ReadAllBytes(ws.Workspace.BundlePath(r.Host))), Is.EqualTo(zips));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-b").And.Some.Contains("current").And.Some.Contains("unchanged"));
        Assert.That(ws.Log.Lines.Last(), Does.Contain("3 bundle(s) in").And.Contain("0 written, 3 unchanged"));
    }

    [Test]
    public void RenderAllHandlesAThousandHosts()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "overlay:", "overlay: 10.100.0.0/14");
        ws.Edit("network.yaml", "routed_pool:", "routed_pool: 10.104.0.0/14");
        foreach (var f in Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "host-*.yaml")) File.Delete(f);
        for (var i = 1; i <= 1000; i++)
            ws.Write($"pc-{i:0000}.yaml", $"name: pc-{i:0000}\nindex: {i}\nos: {(i % 2 == 0 ? "windows" : "linux")}\n" +
                                           (i % 2 == 0 ? "" : $"wsl_command: ip netns exec fn-wsl-{i}\n"));
        var rendered = ws.ControlPlane().RenderAll();
        Assert.That(rendered, Has.Count.EqualTo(1000));
        var root = Path.Combine(ws.Root, "artifacts", "render");
        Assert.That(Directory.GetFiles(root, "*", SearchOption.AllDirectories), Has.Length.EqualTo(5000));
        var last = File.ReadAllText(Path.Combine(root, "pc-1000", "config.yaml"));
        Assert.That(last, Does.Contain("Nebula config for pc-1000 (10.103.232.1/14)"));
        Assert.That(last.Split("- route: ").Length - 1, Is.EqualTo(999), "every other host's block is an unsafe route");
    }
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class ReleaseTests
{
    private static string Entry(string zip, string name)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(zip);
        using var reader = new StreamReader(archive.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    [Test]
    public void BundlesWithPrivateKeysNeedConsentAndThenStayOwnerOnly()
    {
        using var ws = new TestWorkspace();
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().Release("1.0.0"))!;
        Assert.That(e.Message, Does.Contain("host-a, host-b, host-c carry their private key").And.Contain("--include-keys"));
        Assert.That(Directory.Exists(Path.Combine(ws.Root, "artifacts", "releases")), Is.False);

        var release = ws.ControlPlane().Release("1.0.0", includeKeys: true);
        Assert.That(File.GetUnixFileMode(release.Path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(Entry(release.Path, "release.json"), Does.Contain("\"contains_private_keys\": true"));
    }

    [Test]
    public void AReleaseIsReproducibleAndItsChangelogFollowsTheInventory()
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().Release("1.0.0", includeKeys: true);
        Assert.That(first.Changes, Does.Contain("- first release").And.Contain("- host host-c: windows, 10.100.3.1/16, block 10.101.3.0/24, groups flatnet,gateway"));
        var bytes = File.ReadAllBytes(first.Path);

        Assert.That(ws.ControlPlane().Release("1.0.0", includeKeys: true).Written, Is.False, "same inventory, same version: nothing to write");
        Assert.That(File.ReadAllBytes(first.Path), Is.EqualTo(bytes));

        ws.Write("host-d.yaml", "name: host-d\nindex: 4\nos: windows\ndeploy:\n  transport: none\n");
        ws.Edit("host-c.yaml", "groups:", "groups: [flatnet]");
        var second = ws.ControlPlane().Release("1.1.0", includeKeys: true);
        Assert.That(second.Changes, Is.EquivalentTo(new[]
        {
            "- added host host-d: windows, 10.100.4.1/16, block 10.101.4.0/24, groups flatnet,gateway",
            "- changed host host-c: windows, 10.100.3.1/16, block 10.101.3.0/24, groups flatnet,gateway -> windows, 10.100.3.1/16, block 10.101.3.0/24, groups flatnet",
        }));
        Assert.That(Entry(second.Path, "CHANGELOG.md"), Does.StartWith("# flatnet 1.1.0").And.Contain("- added host host-d"));
        using (var archive = System.IO.Compression.ZipFile.OpenRead(second.Path))
            Assert.That(archive.Entries.Select(x => x.FullName), Is.EquivalentTo(new[]
            {
                "CHANGELOG.md", "bundles/host-a.zip", "bundles/host-b.zip", "bundles/host-c.zip", "bundles/host-d.zip", "inventory.json", "release.json",
            }));

        var changed = Assert.Throws<FlatnetException>(() => ws.ControlPlane().Release("1.0.0", includeKeys: true))!;
        Assert.That(changed.Message, Does.Contain("release 1.0.0 already exists").And.Contain("a published version never changes"));
        Assert.That(File.ReadAllBytes(first.Path), Is.EqualTo(bytes));
    }

    [Test]
    public void AReleaseInspectsTheZipsItShipsNotTheFoldersBesideThem()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        foreach (var h in new[] { "host-a", "host-b", "host-c" }) File.Delete(Path.Combine(ws.Workspace.BundleDirectory(h), "host.key"));
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().Release("1.0.0"))!;
        Assert.That(e.Message, Does.Contain("carry their private key"));
        Assert.That(Directory.Exists(Path.Combine(ws.Workspace.ArtifactsDirectory, "releases")), Is.False);
    }
}
