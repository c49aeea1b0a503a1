namespace Flatnet.Tests;

/// <summary>
/// Battery 33: files of the user's at the names of flatnet's state files (beside a host's artifacts, the listings,
/// the admin key, the throw-away check key) were overwritten or deleted. Each is flatnet's only while it holds what
/// flatnet writes there; anything else stops the write, or is left by a removal, named.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class StateShapesTests
{
    private static TestWorkspace HandInstalledFleet() => ConvergenceTests.HandInstalledFleet();

    [Test]
    public void ARecordOfTheUsersIsNeverOverwritten()
    {
        using var ws = HandInstalledFleet();
        var byHand = global::Flatnet.Verification.InstalledBundle.ByHandPath(ws.Workspace, "host-b");
        File.WriteAllText(byHand, "my own notes\n");
        var e = Assert.Throws<StateConflict>(() => global::Flatnet.Verification.InstalledBundle.ConfirmByHand(ws.Workspace, "host-b"))!;
        Assert.That(e.Message, Does.Contain("hosts/host-b/installed-by-hand is a file of yours where flatnet writes its own; it was left as it is"));
        Assert.That(File.ReadAllText(byHand), Is.EqualTo("my own notes\n"));
        File.Delete(byHand);
        global::Flatnet.Verification.InstalledBundle.ConfirmByHand(ws.Workspace, "host-b");
        Assert.DoesNotThrow(() => global::Flatnet.Verification.InstalledBundle.ConfirmByHand(ws.Workspace, "host-b"), "its own record is written again");
    }

    [Test]
    public void RemoveHostLeavesTheUsersFilesAtFlatnetsNames()
    {
        using var ws = HandInstalledFleet();
        var zip = ws.Workspace.BundlePath("host-c");
        File.WriteAllText(zip, "user zip notes\n");
        var inputs = Path.Combine(ws.Workspace.HostDirectory("host-c"), "render.inputs");
        File.WriteAllText(inputs, "notes\n");
        var request = Path.Combine(ws.Workspace.PkiDirectory("host-c"), "request.json");
        File.WriteAllText(request, "notes\n");
        // As its printed fix says: the peers installed by hand are, then the removal finishes.
        Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c", deleteInventory: true));
        new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-c"), ("delete-inventory", "true"), ("manual-steps-done", "true"))).Run(new RemoveHostTask());
        Assert.That(new[] { zip, inputs, request }.Select(File.ReadAllText), Is.EqualTo(new[] { "user zip notes\n", "notes\n", "notes\n" }));
        Assert.That(ws.Log.Lines, Has.Some.Contains("bundles/host-c.zip is not a bundle of flatnet's; left as it is"));
        Assert.That(File.Exists(Path.Combine(ws.Workspace.PkiDirectory("host-c"), "host.key")), Is.False, "flatnet's own files went");
    }

    [Test]
    public void AListingOfTheUsersIsNamedAndNeverReplaced()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var listing = Path.Combine(ws.Workspace.HostDirectory("host-a"), "render.files");
        File.WriteAllText(listing, "my render notes\n");
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("hosts/host-a/render.files is a file of yours where flatnet keeps its list of what it wrote in"));
        Assert.That(File.ReadAllText(listing), Is.EqualTo("my render notes\n"));
    }

    [Test]
    public void TheAdminKeyAndTheCheckKeyAreNeverTakenFromTheUser()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll(); // makes the CA and the admin key pair
        var key = Path.Combine(ws.Root, "pki", "nebula-admin_ed25519");
        File.Delete(key + ".pub");
        File.WriteAllText(key, "my own key\n");
        ws.Edit("network.yaml", "admin_key:", "  # admin_key: not recorded");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("pki/nebula-admin_ed25519 is a file of yours where flatnet makes its admin key (it is there without its .pub"));
        Assert.That(File.ReadAllText(key), Is.EqualTo("my own key\n"));

        using var check = new TestWorkspace();
        check.ControlPlane().PackageAll();
        var hostKey = Path.Combine(check.Workspace.ArtifactsDirectory, "check", "admin_host_ed25519");
        Assert.That(File.Exists(hostKey), Is.True, "the throw-away key is where this test expects it");
        File.WriteAllText(hostKey, "notes\n");
        check.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        var said = Assert.Catch<FlatnetException>(() => check.ControlPlane().PackageAll())!;
        Assert.That(string.Join("\n", check.Log.Lines) + said.Message, Does.Contain("check/admin_host_ed25519 is a file of yours where flatnet keeps a throw-away key for nebula -test"));
        Assert.That(File.ReadAllText(hostKey), Is.EqualTo("notes\n"));

        // Battery 39: a FIFO there was deleted without a word.
        File.Delete(hostKey);
        ProcessRunner.Run("mkfifo", [hostKey]).EnsureSuccess("mkfifo");
        check.Edit("network.yaml", "listen_port:", "listen_port: 4244");
        said = Assert.Catch<FlatnetException>(() => check.ControlPlane().PackageAll())!;
        Assert.That(string.Join("\n", check.Log.Lines) + said.Message, Does.Contain("check/admin_host_ed25519 is a fifo, not a regular file, where flatnet keeps a throw-away key"));
        Assert.That(InputFiles.NotRegular(hostKey), Does.Contain("fifo"));
    }

    /// <summary>Battery 39: a network.yaml naming a folder of the user's for the CA key had every writing run leave lock files there, though no CA was there to sign with.</summary>
    [Test]
    public void AFolderWithoutTheCaKeyGetsNoLockFiles()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().InitCa(); // the CA in pki/
        var documents = Directory.CreateDirectory(Path.Combine(ws.Root, "Documents")).FullName;
        File.WriteAllText(Path.Combine(documents, "taxes.txt"), "my doc\n");
        ws.Edit("network.yaml", "key:", $"  key: {documents}/ca.key");
        try { ws.ControlPlane().PackageAll(); } catch (FlatnetException) { } // signs nothing, or stops for the missing key: either way
        Assert.That(Directory.GetFileSystemEntries(documents).Select(Path.GetFileName), Is.EqualTo(new[] { "taxes.txt" }), string.Join("\n", ws.Log.Lines));
    }
    /// <summary>Battery 34: an OpenSSH key at pki/host.key passed as "a key" and was replaced; pki/verified.json of the user's was deleted at any re-sign and by RemoveHost.</summary>
    [Test]
    public void OnlyANebulaKeyIsFlatnetsAndAnOldMemoIsNeverDeleted()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-b");
        var pki = ws.Workspace.PkiDirectory("host-b");
        SshKeygen.Ed25519(Path.Combine(ws.Root, "ssh_key"), "mine");
        File.Copy(Path.Combine(ws.Root, "ssh_key"), Path.Combine(pki, "host.key"), overwrite: true);
        File.WriteAllText(Path.Combine(pki, "verified.json"), "{\"note\": \"mine\"}\n");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-b", force: true))!;
        Assert.That(e.Message, Does.Contain("pki/host.key is a file of yours where flatnet writes its own (it holds no Nebula key)"));
        Assert.That(File.ReadAllBytes(Path.Combine(pki, "host.key")), Is.EqualTo(File.ReadAllBytes(Path.Combine(ws.Root, "ssh_key"))));
        File.Delete(Path.Combine(pki, "host.key"));
        ws.ControlPlane().GenerateCert("host-b", force: true);
        Assert.That(File.ReadAllText(Path.Combine(pki, "verified.json")), Is.EqualTo("{\"note\": \"mine\"}\n"), "kept at a re-sign");
    }
    /// <summary>
    /// Battery 35: a PEM public key of the user's at artifacts/hosts/HOST/host.pub was replaced by GenerateCert --pub;
    /// a note at pki/host.key of a host whose key is made on it was chmod-ed as "its private key", then blamed on the config.
    /// </summary>
    [Test]
    public void AKeyFileOfTheUsersBesideAHostWhoseKeyIsMadeOnItIsNeverTouched()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-c.yaml", "keygen_on_host:", "  keygen_on_host: true");
        var nebulaPub = Path.Combine(ws.Root, "hc.pub");
        ProcessRunner.Run(TestWorkspace.Nebula("1.9.3", "nebula-cert"), ["keygen", "-out-key", Path.Combine(ws.Root, "hc.key"), "-out-pub", nebulaPub]).EnsureSuccess("nebula-cert keygen");
        var kept = ws.Workspace.IncomingPublicKey("host-c");
        Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
        File.WriteAllText(kept, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAmine\n-----END PUBLIC KEY-----\n");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-c", publicKey: nebulaPub))!;
        Assert.That(e.Message, Does.Contain("host-c/host.pub is a file of yours where flatnet writes its own"));
        Assert.That(File.ReadAllText(kept), Does.Contain("MCowBQYDK2VwAyEAmine"));

        File.Delete(kept);
        ws.ControlPlane().GenerateCert("host-c", publicKey: nebulaPub);
        var key = Path.Combine(ws.Workspace.PkiDirectory("host-c"), "host.key");
        File.WriteAllText(key, "my notes about host-c's key\n");
        File.SetUnixFileMode(key, (UnixFileMode)0b110_100_100);
        e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageBundle("host-c"))!;
        Assert.That(e.Message, Does.Contain("pki/host.key is a file of yours where flatnet writes its own"));
        Assert.That(File.GetUnixFileMode(key), Is.EqualTo((UnixFileMode)0b110_100_100), "never chmod-ed");
    }

    /// <summary>
    /// Battery 38: a state file was flatnet's when it merely held flatnet's header somewhere (notes above a certificate
    /// were replaced by GenerateCert and deleted by RemoveHost), and any text of lines read as an older listing (a
    /// user's notes at render.files went with RemoveHost). Each is flatnet's only by its whole shape.
    /// </summary>
    [Test]
    public void ANoteBesideFlatnetsTextIsTheUsersAndNeverReplacedNorDeleted()
    {
        using var ws = HandInstalledFleet();
        var crt = Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.crt");
        var annotated = "MY NOTES: host-a's cert before the reissue, keep for audit\n" + File.ReadAllText(crt);
        File.WriteAllText(crt, annotated);
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-a", force: true))!;
        Assert.That(e.Message, Does.Contain("pki/host.crt is a file of yours where flatnet writes its own"));
        Assert.That(File.ReadAllText(crt), Is.EqualTo(annotated));

        var notes = Path.Combine(ws.Workspace.HostDirectory("host-c"), "render.files");
        File.WriteAllText(notes, "My notes on host-c\nreplaced its PSU on 2026-11-02\n");
        var hostCrt = Path.Combine(ws.Workspace.PkiDirectory("host-c"), "host.crt");
        var annotatedC = "notes\n" + File.ReadAllText(hostCrt);
        File.WriteAllText(hostCrt, annotatedC);
        Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c", deleteInventory: true)); // the peers are installed by hand, as it says
        new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-c"), ("delete-inventory", "true"), ("manual-steps-done", "true"))).Run(new RemoveHostTask());
        Assert.That(File.ReadAllText(notes), Is.EqualTo("My notes on host-c\nreplaced its PSU on 2026-11-02\n"));
        Assert.That(File.ReadAllText(hostCrt), Is.EqualTo(annotatedC));
    }

    /// <summary>Battery 41: RemoveHost deleted a user's notes at render.files (the render folder's removal took its listing whatever it was), also through a link at artifacts/hosts/HOST.</summary>
    [Test]
    public void RemoveHostKeepsTheUsersFileAtTheListingsPathAndRefusesALinkToItsFolder()
    {
        using var ws = HandInstalledFleet();
        ws.ControlPlane().RenderAll();
        var notes = Path.Combine(ws.Workspace.HostDirectory("host-c"), "render.files");
        File.WriteAllText(notes, "my notes\n");
        Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c", deleteInventory: true));
        new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-c"), ("delete-inventory", "true"), ("manual-steps-done", "true"))).Run(new RemoveHostTask());
        Assert.That(File.ReadAllText(notes), Is.EqualTo("my notes\n"));

        using var linked = HandInstalledFleet();
        linked.ControlPlane().RenderAll();
        var host = linked.Workspace.HostDirectory("host-c");
        var elsewhere = Path.Combine(linked.Root, "elsewhere");
        Directory.Move(host, elsewhere);
        Directory.CreateSymbolicLink(host, elsewhere);
        Assert.Catch<FlatnetException>(() => new ControlPlane(linked.Workspace, linked.Log, TaskArguments.Of(("host", "host-c"), ("delete-inventory", "true"), ("manual-steps-done", "true"))).Run(new RemoveHostTask()));
        Assert.That(File.Exists(Path.Combine(elsewhere, "render.files")), Is.True, "nothing deleted through the link");
    }

    /// <summary>Battery 42: a FIFO at a bundle zip's path hung RemoveHost (holding its locks), and PackageAll's fix for it could not be followed.</summary>
    [Test]
    public void AFifoAtABundleZipsPathIsNamedNeverOpened()
    {
        using var ws = HandInstalledFleet();
        var zip = ws.Workspace.BundlePath("host-c");
        File.Delete(zip);
        ProcessRunner.Run("mkfifo", [zip]).EnsureSuccess("mkfifo");
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain("bundles/host-c.zip is a fifo, not a regular file, where flatnet writes the host's bundle").And.Contain("fix: move it aside"));
        Assert.Catch<FlatnetException>(() => ws.ControlPlane().RemoveHost("host-c", deleteInventory: true));
        var removal = Task.Run(() => new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-c"), ("delete-inventory", "true"), ("manual-steps-done", "true"))).Run(new RemoveHostTask()));
        Assert.That(removal.Wait(TimeSpan.FromSeconds(60)), Is.True, "RemoveHost never waits on a FIFO");
        Assert.That(InputFiles.NotRegular(zip), Does.Contain("fifo"), "the user's FIFO stays");
    }

    /// <summary>Battery 38: a FIFO or a folder at a build record was replaced without a word, or found only once the bundle was rewritten, with a fix that could not be followed.</summary>
    [TestCase("fifo")]
    [TestCase("folder")]
    public void SomethingOtherThanAFileAtABuildRecordStopsTheRunBeforeAnythingIsBuilt(string kind)
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var record = Path.Combine(ws.Workspace.HostDirectory("host-a"), "bundle.inputs");
        File.Delete(record);
        if (kind == "fifo") ProcessRunner.Run("mkfifo", [record]).EnsureSuccess("mkfifo");
        else Directory.CreateDirectory(record);
        File.Delete(ws.Workspace.BundlePath("host-a"));
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain("host-a/bundle.inputs is a").And.Contain("where flatnet writes a file of its own; it was left as it is").And.Contain("fix: move it aside"));
        Assert.That(File.Exists(ws.Workspace.BundlePath("host-a")), Is.False, "nothing built before the refusal");
    }
}
