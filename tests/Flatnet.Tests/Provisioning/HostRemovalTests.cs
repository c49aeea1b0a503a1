using Flatnet.Provisioning;

namespace Flatnet.Tests;

/// <summary>
/// RemoveHost (HostRemoval) on a fleet installed by hand (nothing is sent anywhere): what stops it stops it before its
/// first write, and what it prints to do next is what a removal needs.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class HostRemovalTests
{
    private static string Blocklist(TestWorkspace ws) => Path.Combine(ws.Root, "hosts", "blocklist.txt");

    private static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    /// <summary>
    /// Battery 42: with a link at artifacts/lighthouses/NAME (or on the way to a peer's files), RemoveHost wrote the
    /// blocklist and then stopped at the link. Every folder the rollout writes in is checked first.
    /// </summary>
    [TestCase("lighthouse")]
    [TestCase("peer")]
    public void ALinkWhereTheRolloutWritesStopsTheRemovalBeforeTheBlocklistIsWritten(string where)
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        ws.ControlPlane().RenderAll();
        var folder = where == "lighthouse" ? LighthouseConfigs.Folder(ws.ControlPlane().Context, "lighthouse") : ws.Workspace.HostDirectory("host-b");
        var elsewhere = Path.Combine(ws.Root, "elsewhere");
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        if (Directory.Exists(folder)) Directory.Move(folder, elsewhere);
        else Directory.CreateDirectory(elsewhere);
        Directory.CreateSymbolicLink(folder, elsewhere);
        var before = Read(Blocklist(ws));

        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c", deleteInventory: true))!;
        Assert.That(e.Message, Does.Contain($"{Workspace.Relative(folder)} is a link").And.Contain("fix: remove the link"));
        Assert.That(Read(Blocklist(ws)), Is.EqualTo(before), "nothing recorded");
        Assert.That(File.Exists(ws.HostsFile("host-c.yaml")), Is.True);
    }

    /// <summary>Battery 42: a link at the removed host's pki/ got the fix "then ./build.sh --target=GenerateCert --force", a re-sign of the host being removed.</summary>
    [Test]
    public void ALinkAtTheRemovedHostsPkiIsNamedWithAFixForARemoval()
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        var pki = ws.Workspace.PkiDirectory("host-c");
        var elsewhere = Path.Combine(ws.Root, "elsewhere");
        Directory.Move(pki, elsewhere);
        Directory.CreateSymbolicLink(pki, elsewhere);

        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c"))!;
        Assert.That(e.Message, Does.Contain("pki is a link").And.Contain("keep host.crt: it is the certificate to revoke"));
        Assert.That(e.Message, Does.Not.Contain("GenerateCert"));
        Assert.That(Read(Blocklist(ws)), Is.Null.Or.Not.Contain("host-c"));
    }
}
