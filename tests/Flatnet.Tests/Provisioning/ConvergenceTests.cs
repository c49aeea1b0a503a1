namespace Flatnet.Tests;

/// <summary>
/// A change that reaches every config (a revocation, a removal, a new host's block) counts as rolled out only when
/// every peer has it, the ones installed by hand included: their bundles are rebuilt, named, and pending until a
/// person says they are installed.
/// </summary>
public class ConvergenceTests
{
    /// <summary>The example inventory with every host installed by hand (deploy.transport none), packed once: nothing is sent anywhere.</summary>
    internal static TestWorkspace HandInstalledFleet()
    {
        var ws = new TestWorkspace();
        foreach (var h in new[] { "host-a", "host-b", "host-c" }) ws.Edit($"{h}.yaml", "transport:", "  transport: none");
        ws.ControlPlane().PackageAll();
        return ws;
    }

    private static string Config(TestWorkspace ws, string host) => File.ReadAllText(Path.Combine(ws.Workspace.BundleDirectory(host), "config.yaml"));

    [Test]
    public void ARevocationRebuildsThePeersInstalledByHandAndStaysPendingUntilTheyAreInstalled()
    {
        using var ws = HandInstalledFleet();
        var fingerprint = ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.crt")).Fingerprint;
        var e = Assert.Throws<PendingHosts>(() => ws.ControlPlane().RevokeHost("host-a"))!;
        Assert.That(e.Message, Does.Match(@"host-b \(install by hand: \S*artifacts/bundles/host-b\.zip\)").And.Match(@"host-c \(install by hand: \S*artifacts/bundles/host-c\.zip\)"));
        Assert.That(e.Message, Does.Contain("fix: ").And.Contain("--manual-steps-done"));
        PrintedCommandsTests.AssertAccepted(string.Join("\n", e.Fixes)); // RevokeHost refused the flag its own fix printed
        Assert.That(Config(ws, "host-b"), Does.Contain(fingerprint), "host-b's bundle refuses host-a's certificate");
        Assert.That(Config(ws, "host-c"), Does.Contain(fingerprint));

        // The person installed them and says so: the revocation is done everywhere, and stays done.
        Assert.DoesNotThrow(() => new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true"))).RevokeHost("host-a"));
        Assert.DoesNotThrow(() => ws.ControlPlane().RevokeHost("host-a"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-b: installed by hand (confirmed)"));
    }

    /// <summary>Battery 20: with a CA file of two certificates, RevokeHost wrote the blocklist, then stopped on the CA, and said neither.</summary>
    [TestCase("a second certificate", "holds 2 certificates")]
    [TestCase("text after it", "holds text besides its one certificate")]
    public void ARevocationThatCannotFinishWritesNothing(string added, string said)
    {
        using var ws = HandInstalledFleet();
        var ca = Path.Combine(ws.Root, "pki", "ca.crt");
        File.AppendAllText(ca, added == "text after it" ? "garbage\n" : File.ReadAllText(ca));
        var blocklist = Path.Combine(ws.Root, "hosts", "blocklist.txt");
        var before = File.Exists(blocklist) ? File.ReadAllText(blocklist) : null;
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RevokeHost("host-a"))!;
        Assert.That(e.Message, Does.Contain(said));
        Assert.That(File.Exists(blocklist) ? File.ReadAllText(blocklist) : null, Is.EqualTo(before), "nothing recorded");
    }

    [Test]
    public void RemoveHostNamesThePeersInstalledByHandInsteadOfSayingNoneIsLeft()
    {
        using var ws = HandInstalledFleet();
        var e = Assert.Throws<PendingHosts>(() => ws.ControlPlane().RemoveHost("host-a"))!;
        Assert.That(e.Message, Does.Match(@"install by hand: \S*artifacts/bundles/host-b\.zip").And.Contain("host-c"));
        Assert.That(ws.Log.Lines, Has.None.Contains("no other host is left to verify"));
        Assert.That(Config(ws, "host-b"), Does.Not.Contain("10.101.1.0/24"), "host-b's bundle no longer routes host-a's block");
    }

    /// <summary>Battery 8: --delete-inventory deleted the user's own files in the host's artifacts folder, without a word.</summary>
    [Test]
    public void RemoveHostDeleteInventoryDeletesWhatFlatnetMadeForTheHostAndKeepsTheUsersFiles()
    {
        using var ws = HandInstalledFleet();
        var artifacts = ws.Workspace.HostDirectory("host-c");
        File.WriteAllText(Path.Combine(artifacts, "notes.txt"), "the user's own\n");
        // The peers' new bundles are named first; a person installs them, then says so.
        Assert.Throws<PendingHosts>(() => ws.ControlPlane().RemoveHost("host-c", deleteInventory: true));
        var confirmed = new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true")));
        confirmed.RemoveHost("host-c", deleteInventory: true);
        Assert.That(File.ReadAllText(Path.Combine(artifacts, "notes.txt")), Is.EqualTo("the user's own\n"));
        Assert.That(Directory.GetFileSystemEntries(artifacts, "*", SearchOption.AllDirectories).Select(Path.GetFileName), Is.EqualTo(new[] { "notes.txt" }),
            "its key, certificate, bundle folder and build records are gone");
        Assert.That(File.Exists(ws.Workspace.BundlePath("host-c")), Is.False);
        Assert.That(ws.Log.Lines, Has.Some.Contains("notes.txt").And.Some.Contains("host-c: deleted its key, certificate and bundle; ").And.None.Contains("deleted its key, certificate and bundle (artifacts"));
    }

    /// <summary>
    /// Battery 11: --delete-inventory deleted a user's *.inputs file, kept flatnet's own renewal record as the user's, and
    /// left the host's render folder for good; with artifacts/bundles a link, it deleted the zip behind the link.
    /// </summary>
    [Test]
    public void RemoveHostDeletesEveryFileFlatnetMadeForTheHostAndNothingThroughALink()
    {
        using var ws = HandInstalledFleet();
        ws.ControlPlane().RenderAll();
        var artifacts = ws.Workspace.HostDirectory("host-c");
        File.WriteAllText(Path.Combine(artifacts, "my.inputs"), "the user's own\n");
        File.WriteAllText(Path.Combine(artifacts, "renewal-awaiting-install"), "2027-01-01\n");
        var render = Path.Combine(ws.Root, "artifacts", "render", "host-c");
        Assert.That(Directory.Exists(render), Is.True);

        // First with the bundles folder a link to another tree: refused before anything is deleted.
        var bundles = Path.GetDirectoryName(ws.Workspace.BundlePath("host-c"))!;
        var elsewhere = Path.Combine(ws.Root, "elsewhere");
        Directory.Move(bundles, elsewhere);
        Directory.CreateSymbolicLink(bundles, elsewhere);
        ControlPlane Confirmed() => new(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true")));
        var inventory = Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "*.yaml").ToDictionary(f => f, File.ReadAllBytes);
        var e = Assert.Throws<StateConflict>(() => Confirmed().RemoveHost("host-c", deleteInventory: true))!;
        Assert.That(e.Message, Does.Contain("is a link, not a folder of flatnet's"));
        Assert.That(Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "*.yaml").ToDictionary(f => f, File.ReadAllBytes), Is.EqualTo(inventory), "no revocation recorded either");
        Assert.That(File.Exists(Path.Combine(elsewhere, "host-c.zip")), Is.True, "nothing deleted through the link");
        Assert.That(File.Exists(Path.Combine(ws.Root, "hosts", "host-c.yaml")), Is.True, "nor anything before the refusal");
        Directory.Delete(bundles);
        Directory.Move(elsewhere, bundles);

        Assert.Throws<PendingHosts>(() => ws.ControlPlane().RemoveHost("host-c", deleteInventory: true)); // the peers' new bundles, named
        Confirmed().RemoveHost("host-c", deleteInventory: true);
        Assert.That(Directory.GetFileSystemEntries(artifacts, "*", SearchOption.AllDirectories).Select(Path.GetFileName), Is.EqualTo(new[] { "my.inputs" }));
        Assert.That(Directory.Exists(render), Is.False, "its rendered files went with it");
        ws.Log.Lines.Clear();
        ws.ControlPlane().RenderAll();
        Assert.That(ws.Log.Lines, Has.None.Contains("host-c is not flatnet's"));
    }

    /// <summary>Battery 8: a host renamed by hand left its old certificate valid, unnamed, and impossible to revoke.</summary>
    [Test]
    public void AHostRenamedByHandIsNamedAtPackageAllAndItsOldCertificateCanBeRevoked()
    {
        using var ws = HandInstalledFleet();
        File.Move(Path.Combine(ws.Root, "hosts", "host-c.yaml"), Path.Combine(ws.Root, "hosts", "host-d.yaml"));
        ws.Edit("host-d.yaml", "name:", "name: host-d");
        ws.Log.Lines.Clear();
        ws.ControlPlane().PackageAll();
        Assert.That(ws.Log.Lines, Has.Some.Contains("hosts now, but the certificate flatnet signed for it (10.100.3.1/16) is valid until")
            .And.Some.Contains("fix: ./build.sh --target=RevokeHost --host=host-c"));

        Assert.Throws<PendingHosts>(() => ws.ControlPlane().RevokeHost("host-c")); // the peers' new bundles, named
        var confirmed = new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true")));
        confirmed.RevokeHost("host-c");
        ws.Log.Lines.Clear();
        ws.ControlPlane().PackageAll();
        Assert.That(ws.Log.Lines, Has.None.Contains("host-c is in no file"), "revoked: nothing left to warn of");

        // Battery 9: RemoveHost of the old name said "already removed" and left its key and bundle for good.
        confirmed.RemoveHost("host-c", deleteInventory: true);
        Assert.That(Directory.Exists(ws.Workspace.HostDirectory("host-c")), Is.False);
        Assert.That(File.Exists(ws.Workspace.BundlePath("host-c")), Is.False);
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-c: no file of the inventory describes it, so flatnet cannot reach it"));
    }

    /// <summary>
    /// Battery 32: a file of the user's at verify/status.json, report.html or status.prom was replaced at Status's first
    /// write there. Each stops the run before any of them is written, named; flatnet's own are written again.
    /// </summary>
    /// <remarks>
    /// Battery 36's review: flatnet's own was any file holding a word of it (`"generated_at":`, `# HELP flatnet_`); a
    /// user's JSON with that field elsewhere was replaced. Each is now judged by how flatnet's begins.
    /// </remarks>
    [TestCase("status.json", "USER FILE\n")]
    [TestCase("report.html", "USER FILE\n")]
    [TestCase("status.prom", "USER FILE\n")]
    [TestCase("status.json", "{\n  \"mine\": true,\n  \"generated_at\": \"2026-12-07T10:00:00Z\"\n}\n")]
    [TestCase("report.html", "<html><!-- <title>flatnet: the mesh</title> --> my notes</html>\n")]
    [TestCase("status.prom", "# my own metrics\n# HELP flatnet_hosts copied\n")]
    public void StatusNeverReplacesAFileOfTheUsersWhereItWritesItsOwn(string name, string users)
    {
        using var ws = HandInstalledFleet();
        var verify = Directory.CreateDirectory(Path.Combine(ws.Workspace.ArtifactsDirectory, "verify")).FullName;
        File.WriteAllText(Path.Combine(verify, name), users);
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().Status())!;
        Assert.That(e.Message, Does.Contain($"verify/{name} is a file of yours where flatnet writes its own; it was left as it is").And.Contain("fix: move it aside"));
        Assert.That(File.ReadAllText(Path.Combine(verify, name)), Is.EqualTo(users));
        Assert.That(Directory.GetFiles(verify).Select(Path.GetFileName), Is.EqualTo(new[] { name }), "nothing else written");
        File.Delete(Path.Combine(verify, name));
        ws.ControlPlane().Status();
        Assert.DoesNotThrow(() => ws.ControlPlane().Status(), "its own files are written again");
    }

    /// <summary>Battery 38: a FIFO at status.json or report.html was replaced by Status without a word.</summary>
    [TestCase("status.json")]
    [TestCase("report.html")]
    public void AFifoWhereStatusWritesIsTheUsersToo(string name)
    {
        using var ws = HandInstalledFleet();
        var fifo = Path.Combine(Directory.CreateDirectory(Path.Combine(ws.Workspace.ArtifactsDirectory, "verify")).FullName, name);
        ProcessRunner.Run("mkfifo", [fifo]).EnsureSuccess("mkfifo");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().Status())!;
        Assert.That(e.Message, Does.Contain($"verify/{name} is a fifo, not a regular file, where flatnet writes a file of its own"));
        Assert.That(InputFiles.NotRegular(fifo), Does.Contain("fifo"), "still the user's FIFO");
    }

    /// <summary>Status on hosts installed by hand said "0 of 0 host(s) healthy" and named none: they are named, as such.</summary>
    [Test]
    public void StatusNamesTheHostsItDoesNotReadInsteadOfCountingNone()
    {
        using var ws = HandInstalledFleet();
        ws.Log.Lines.Clear();
        ws.ControlPlane().Status();
        Assert.That(ws.Log.Lines, Has.Some.Contains("not read: host-a, host-b, host-c: installed by hand (transport: none); run scripts/flatnet-doctor there"));
        Assert.That(string.Join("\n", ws.Log.Lines), Does.Not.Contain("0 of 0").And.Contain("no host read from here"));
        var json = File.ReadAllText(FleetStatus.JsonPath(ws.ControlPlane().Context));
        Assert.That(json, Does.Contain("\"installed_by_hand\": [").And.Contain("\"host-b\""));
    }

    /// <summary>
    /// UpdatePeers --host=X --manual-steps-done for a host installed by hand failed in its DeployHost dependency, so a
    /// run with hand-installed hosts never succeeded: the chain goes through once the person says they installed it.
    /// </summary>
    [Test]
    public void TheChainOfAHostInstalledByHandGoesThroughOnceThePersonSaysItIsInstalled()
    {
        using var ws = HandInstalledFleet();
        var confirmed = new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-a"), ("manual-steps-done", "true")));
        foreach (var task in new FlatnetTask[] { new DeployHostTask(), new ConfigureRoutingTask(), new UpdatePeersTask() })
            Assert.DoesNotThrow(() => confirmed.Run(task), task.Name);
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-a: installed by hand (confirmed by --manual-steps-done)"));
        Assert.That(ws.Log.Lines, Has.Some.EqualTo("host-a: routing is set up by its install script there (installed by hand); nothing to do from here"),
            "ConfigureRouting says why it does nothing (battery 10)");
        var unconfirmed = new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-a")));
        Assert.That(Assert.Throws<FlatnetException>(() => unconfirmed.Run(new DeployHostTask()))!.Message, Does.Contain("installed by hand (transport: none)"));
    }

    /// <summary>
    /// Battery 26: with a PC whose key is to be made on it and is not yet (keygen_on_host, no public key here), RevokeHost
    /// failed at every run on that PC's missing key; PackageAll leaves it out as pending, and so does RevokeHost.
    /// </summary>
    [Test]
    public void AHostWhoseKeyIsNotMadeYetDoesNotBlockARevocation()
    {
        using var ws = HandInstalledFleet();
        var key = Path.Combine(ws.Root, "deploy_ed25519");
        SshKeygen.Ed25519(key, "test-deploy");
        ws.Write("pc-1.yaml", $"name: pc-1\nindex: 9\nos: windows\nwsl: true\ndeploy:\n  transport: ssh\n  address: \"\"\n  user: flatnet\n  identity: {key}\n  keygen_on_host: true\n");
        ws.ControlPlane().Join("pc-1");
        ws.Edit("pc-1.yaml", "transport:", "  transport: none"); // as battery 26 had every host
        var e = Assert.Throws<PendingHosts>(() => ws.ControlPlane().RevokeHost("host-a"))!;
        Assert.That(e.Message, Does.Not.Contain("pc-1"), "a PC with no key yet is no peer to bring along");
        Assert.That(ws.Log.Lines, Has.Some.Contains("pc-1: not in the mesh yet (its key is made on it at its first AddHost)"));
        Assert.DoesNotThrow(() => new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true"))).RevokeHost("host-a"));
    }
}
