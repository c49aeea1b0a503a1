using Flatnet.Bundles;
namespace Flatnet.Tests;

public class PackagingTests
{
    [Test]
    public void PackageAllPacksEveryHostAndASecondRunChangesNothing()
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().PackageAll();
        Assert.That(first, Is.EqualTo(new[] { new PackedHost("host-a", true, true), new PackedHost("host-b", true, true), new PackedHost("host-c", true, true) }));
        var zips = first.Select(r => File.ReadAllBytes(ws.Workspace.BundlePath(r.Host))).ToList();

        ws.Log.Lines.Clear();
        var second = ws.ControlPlane().PackageAll();
        Assert.That(second, Is.EqualTo(new[] { new PackedHost("host-a", false, false), new PackedHost("host-b", false, false), new PackedHost("host-c", false, false) }));
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
        Assert.That(Directory.GetFiles(root, "*", SearchOption.AllDirectories), Has.Length.EqualTo(7000));
        var last = File.ReadAllText(Path.Combine(root, "pc-1000", "config.yaml"));
        Assert.That(last, Does.Contain("Nebula config for pc-1000 (10.103.232.1/14)"));
        Assert.That(last.Split("- route: ").Length - 1, Is.EqualTo(999), "every other host's block is an unsafe route");
    }
}
