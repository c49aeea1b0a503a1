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
        Assert.That(e.Message, Does.Contain("pki is a link").And.Contain("host.crt is the certificate to revoke: keep it there"));
        Assert.That(e.Message, Does.Not.Contain("GenerateCert"));
        Assert.That(Read(Blocklist(ws)), Is.Null.Or.Not.Contain("host-c"));
    }

    /// <summary>
    /// Battery 43: with artifacts/hosts/HOST a link, RevokeHost revoked whatever certificate stood behind it (another
    /// host's); a link at pki/host.crt got a fix that said both to remove it and to keep it.
    /// </summary>
    [Test]
    public void NoCertificateIsRevokedThroughALinkAndTheFixSaysWhatToPutBack()
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        var host = ws.Workspace.HostDirectory("host-c");
        var elsewhere = Path.Combine(ws.Root, "elsewhere");
        Directory.Move(host, elsewhere);
        File.Copy(Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.crt"), Path.Combine(elsewhere, "pki", "host.crt"), overwrite: true);
        Directory.CreateSymbolicLink(host, elsewhere);
        var before = Read(Blocklist(ws));
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().RevokeHost("host-c"))!;
        Assert.That(e.Message, Does.Contain("hosts/host-c is a link").And.Contain("rm LINK && mv TARGET LINK"));
        Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c"));
        Assert.That(Read(Blocklist(ws)), Is.EqualTo(before), "host-a's certificate, behind the link, is not revoked");

        Directory.Delete(host);
        Directory.Move(elsewhere, host);
        var crt = Path.Combine(ws.Workspace.PkiDirectory("host-c"), "host.crt");
        File.Move(crt, Path.Combine(ws.Root, "host-c.crt"));
        File.CreateSymbolicLink(crt, Path.Combine(ws.Root, "host-c.crt"));
        e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c"))!;
        Assert.That(e.Message, Does.Contain("host.crt is a link").And.Contain("a file: cp --remove-destination TARGET LINK").And.Contain("host.crt is the certificate to revoke: keep it there"));
        Assert.That(e.Message, Does.Not.Contain("remove what is not flatnet's"));
    }

    /// <summary>Battery 43: a FIFO, a folder or a link one level down where the rollout writes stopped RevokeHost after the blocklist was written ("nothing was changed").</summary>
    [TestCase("a FIFO at the lighthouse's config")]
    [TestCase("a folder at a peer's zip")]
    [TestCase("a FIFO at a peer's zip")]
    [TestCase("a link in a peer's bundle folder")]
    [TestCase("a link at the check folder")]
    [TestCase("a FIFO at a peer's bundle record")] // battery 45: found after the record
    [TestCase("a FIFO at the lighthouse's listing")]
    public void WhatWouldStopTheRolloutStopsTheRevocationBeforeItsFirstWrite(string what)
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        ws.ControlPlane().RenderAll();
        var artifacts = ws.Workspace.ArtifactsDirectory;
        void Fifo(string path)
        {
            File.Delete(path);
            Flatnet.Processes.ProcessRunner.Run("mkfifo", [path]).EnsureSuccess("mkfifo");
        }
        switch (what)
        {
            case "a FIFO at the lighthouse's config": Fifo(Path.Combine(artifacts, "lighthouses", "lighthouse", "config.yaml")); break;
            case "a folder at a peer's zip":
                File.Delete(ws.Workspace.BundlePath("host-b"));
                Directory.CreateDirectory(ws.Workspace.BundlePath("host-b"));
                break;
            case "a FIFO at a peer's zip": Fifo(ws.Workspace.BundlePath("host-a")); break;
            case "a FIFO at a peer's bundle record": Fifo(Path.Combine(ws.Workspace.HostDirectory("host-b"), "bundle.inputs")); break;
            case "a FIFO at the lighthouse's listing": Fifo(Path.Combine(artifacts, "lighthouses", ".lighthouse.flatnet")); break;
            case "a link in a peer's bundle folder":
                var scripts = Path.Combine(ws.Workspace.BundleDirectory("host-a"), "scripts");
                Directory.Move(scripts, Path.Combine(ws.Root, "scripts-elsewhere"));
                Directory.CreateSymbolicLink(scripts, Path.Combine(ws.Root, "scripts-elsewhere"));
                break;
            default:
                Directory.CreateDirectory(Path.Combine(ws.Root, "check-elsewhere"));
                if (Directory.Exists(Path.Combine(artifacts, "check"))) Directory.Delete(Path.Combine(artifacts, "check"), recursive: true);
                Directory.CreateSymbolicLink(Path.Combine(artifacts, "check"), Path.Combine(ws.Root, "check-elsewhere"));
                break;
        }
        var before = Read(Blocklist(ws));
        var task = Task.Run(() => Assert.Catch<FlatnetException>(() => ws.ControlPlane().RevokeHost("host-c"))!);
        Assert.That(task.Wait(TimeSpan.FromSeconds(60)), Is.True, "RevokeHost never waits on a FIFO");
        Assert.That(task.Result.Message, Does.Contain("nothing was").Or.Contain("is a link"));
        Assert.That(Read(Blocklist(ws)), Is.EqualTo(before), "nothing recorded");
    }

    /// <summary>Battery 43: with its bundle's listing gone, RemoveHost said "deleted its key" and left bundle/host.key.</summary>
    [Test]
    public void APrivateKeyThatStaysIsNamedAsOne()
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        File.Delete(Path.Combine(ws.Workspace.HostDirectory("host-c"), ".bundle.flatnet"));
        var key = Path.Combine(ws.Workspace.BundleDirectory("host-c"), "host.key");
        Assert.That(File.Exists(key), Is.True, "the bundle carries the key made here");
        Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c", deleteInventory: true)); // the peers are installed by hand, as it says
        new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-c"), ("delete-inventory", "true"), ("manual-steps-done", "true"))).Run(new RemoveHostTask());
        Assert.That(File.Exists(key), Is.True);
        Assert.That(ws.Log.Lines, Has.Some.Contains("among them a private key (").And.Some.Contains("bundle/host.key"));
        Assert.That(ws.Log.Lines, Has.None.Contains("host-c: deleted its key"));
    }
}
