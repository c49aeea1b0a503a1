using Flatnet.Pki;

namespace Flatnet.Tests;

/// <summary>
/// The admin interface's public key is part of the inventory: recorded once by the first writing run, committed, so
/// RenderAll in two fresh clones is byte-identical (its stated purpose: review and CI diffs).
/// </summary>
public class AdminKeyTests
{
    private static Dictionary<string, byte[]> Rendered(TestWorkspace ws)
    {
        var root = Path.Combine(ws.Workspace.ArtifactsDirectory, "render");
        return Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);
    }

    [Test]
    public void RenderAllInTwoFreshClonesIsByteIdentical()
    {
        using var first = new TestWorkspace();
        first.ControlPlane().RenderAll();
        var network = File.ReadAllText(first.HostsFile("network.yaml"));
        Assert.That(network, Does.Contain("\n  admin_key: \"ssh-ed25519 "), "the first writing run records the key's public half");
        Assert.That(first.Log.Lines, Has.Some.Contains("(nebula.admin_key): commit it"));

        // Another clone of the committed hosts/: no pki/, no artifacts, no admin key pair of its own.
        using var second = new TestWorkspace();
        File.WriteAllText(second.HostsFile("network.yaml"), network);
        second.ControlPlane().RenderAll();
        Assert.That(Rendered(second), Is.EqualTo(Rendered(first)));
        Assert.That(File.Exists(Path.Combine(second.Root, "pki", AdminInterface.KeyFileName)), Is.False, "a recorded key makes no new pair");
        Assert.That(File.ReadAllText(second.HostsFile("network.yaml")), Is.EqualTo(network), "the inventory is left as committed");
    }

    [Test]
    public void AReadOnlyRunNeverEditsTheInventory()
    {
        using var ws = new TestWorkspace();
        var before = File.ReadAllText(ws.HostsFile("network.yaml"));
        _ = ws.ControlPlane().Context.Admin;
        Assert.That(File.ReadAllText(ws.HostsFile("network.yaml")), Is.EqualTo(before));
    }

    [Test]
    public void APrivateKeyThatIsNotTheRecordedOneIsRefused()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var recorded = File.ReadAllLines(ws.HostsFile("network.yaml")).Single(l => l.Contains("admin_key:"));
        ws.Edit("network.yaml", "admin_key:", recorded.Replace("ssh-ed25519 AAAA", "ssh-ed25519 BBBB"));
        var e = Assert.Throws<FlatnetException>(() => _ = ws.ControlPlane().Context.Admin)!;
        Assert.That(e.Message, Does.Contain("is not the admin key network.yaml records (nebula.admin_key)"));
    }

    [TestCase("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ")]
    [TestCase("ssh-ed25519 not base64 at all")]
    public void ANotAKeyIsAnInventoryProblem(string key)
    {
        using var ws = new TestWorkspace();
        File.AppendAllText(ws.HostsFile("network.yaml"), "");
        ws.Edit("network.yaml", "nebula:", $"nebula:\n  admin_key: \"{key}\"");
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Contain("nebula.admin_key: ").And.Contain("is not an ed25519 public key"));
    }

    /// <summary>
    /// The advice to record the admin key came 21 times in one lab run, and in the lab, whose generated inventory
    /// cannot be committed: once a run, and never for an inventory flatnet generated under its artifacts.
    /// </summary>
    [Test]
    public void TheAdviceToRecordTheAdminKeyIsGivenOnceARunAndNeverForAGeneratedInventory()
    {
        using var ws = new TestWorkspace();
        for (var i = 0; i < 3; i++) _ = new ControlPlane(ws.Workspace, ws.Log).Context.Admin; // read-only runs: nothing recorded
        Assert.That(ws.Log.Lines.Count(l => l.Contains("records no admin key")), Is.EqualTo(1));

        using var lab = new TestWorkspace();
        SafeFiles.ClaimArtifacts(lab.Workspace.ArtifactsDirectory);
        var generated = Path.Combine(lab.Workspace.ArtifactsDirectory, "lab", "hosts");
        TestWorkspace.CopyDirectory(Path.Combine(lab.Root, "hosts"), generated);
        // As the lab runs: --inventory=artifacts/lab/hosts --artifacts=artifacts/lab/artifacts.
        _ = new ControlPlane(lab.Workspace with { InventoryDirectory = generated, ArtifactsDirectory = Path.Combine(lab.Workspace.ArtifactsDirectory, "lab", "artifacts") }, lab.Log).Context.Admin;
        Assert.That(lab.Log.Lines, Has.None.Contains("records no admin key"));
    }
}
