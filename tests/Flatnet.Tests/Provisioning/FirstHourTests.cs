namespace Flatnet.Tests;

/// <summary>
/// The first hour, as README tells a new office admin: Init, Join for the first PC and its reply, PackageAll,
/// Release, all on the build machine, before the new PC can be reached. Nothing refuses: the PC, which makes its own
/// key (Join's default), is pending until its first AddHost, and named with the command that completes it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class FirstHourTests
{
    [Test]
    public void InitJoinPackageAllAndReleaseRunThroughBeforeTheNewPcCanBeReached()
    {
        using var ws = new TestWorkspace();
        var (crt, key) = InitTests.StageOneCa(ws);
        ws.ControlPlane().Init(new InitChoices("192.168.1.10:4242", null, crt, key, null, @"C:\flatnet"));

        // Join writes pc-1's file (index 1: the lab's hosts are gone) with this test's deploy key, then its reply.
        Directory.CreateDirectory(Path.Combine(ws.Root, ".ssh"));
        SshKeygen.Ed25519(Path.Combine(ws.Root, ".ssh", "id_ed25519"), "the admin's own key");
        var join = ws.ControlPlane().Join("pc-1", home: ws.Root);
        Assert.That(File.ReadAllText(ws.HostsFile("pc-1.yaml")), Does.Contain("index: 1").And.Contain("keygen_on_host: true"));
        Assert.That(join.Script, Is.Not.Null);
        ws.ControlPlane().JoinReply("pc-1", "flatnet-join host=pc-1 host_key=SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s address=127.0.0.1 user=admin wsl_user=office-user wsl=2.3.26.0 build=22631");
        ws.Edit("pc-1.yaml", "address:", "  address: \"127.0.0.1\"\n  port: 9   # closed: nothing of this test may reach it");

        // PackageAll and Release: pc-1 makes its key at its first AddHost; nothing reaches out to it, nothing refuses.
        ws.Log.Lines.Clear();
        var packed = ws.ControlPlane().PackageAll();
        Assert.That(packed.Single().Pending, Does.Contain("its key is made on it at its first AddHost (./build.sh --target=AddHost --host=pc-1)"));
        Assert.That(ws.Log.Lines.Select(l => l.Replace("\n  ", " ")), Has.Some.EndsWith(": 0 unchanged, 0 rebuilt; 0 certificate(s) signed; 1 pending (pc-1)"));
        var release = ws.ControlPlane().Release("1.0.0");
        Assert.That(File.Exists(release.Path), Is.True);
        Assert.That(ws.Log.Lines, Has.Some.Contains("release 1.0.0: not in it yet: pc-1 (pending, as PackageAll said above)"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("pc-1: pending: its key is made on it at its first AddHost"));
        using var shipped = System.IO.Compression.ZipFile.OpenRead(release.Path);
        using var inventory = new StreamReader(shipped.GetEntry("inventory.json")!.Open());
        Assert.That(inventory.ReadToEnd(), Does.Contain("pending (no bundle in this release)"), "the release's inventory says pc-1 is not in it");

        // Its key made there by hand and signed with --pub: PackageAll and Release pack it, and still never reach for it.
        var onPc = Path.Combine(ws.Root, "on-pc-1");
        Directory.CreateDirectory(onPc);
        ws.ControlPlane().Context.NebulaCert.Keygen(new global::Flatnet.Tools.NebulaCertKeygenSettings(Path.Combine(onPc, "host.key"), Path.Combine(onPc, "host.pub")));
        ws.ControlPlane().GenerateCert("pc-1", publicKey: Path.Combine(onPc, "host.pub"));
        Assert.That(ws.ControlPlane().PackageAll().Single().Pending, Is.Null, "signed by --pub: it has its key");
        Assert.That(File.Exists(ws.ControlPlane().Release("1.1.0").Path), Is.True);

        // A release zip that is not one (a clone's, a half copy) is named, with what to do, never a raw zip error.
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(release.Path)!, "flatnet-2.0.0.zip"), "not a zip");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().Release("2.0.1"))!;
        Assert.That(e.Message, Does.Contain("flatnet-2.0.0.zip is not a release of flatnet's (it is not a zip)").And.Contain("move it out of"));
    }
}
