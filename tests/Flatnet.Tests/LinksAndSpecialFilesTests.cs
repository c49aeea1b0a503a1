namespace Flatnet.Tests;

/// <summary>
/// A second battery against state found that links to folders were followed (a sweep emptied what artifacts/.tmp
/// pointed at; a linked render folder had its target's files deleted or moved), a committed template link rendered a
/// secret into every bundle, and a FIFO or /dev/zero given as an input hung or filled the memory. Each is refused.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class LinksAndSpecialFilesTests
{
    /// <summary>A folder of the user's outside the workspace, with a file in it: it must come out untouched.</summary>
    private static string Victim(TestWorkspace ws)
    {
        var victim = Directory.CreateDirectory(Path.Combine(ws.Root, "victim", "sub")).Parent!.FullName;
        File.WriteAllText(Path.Combine(victim, "precious.txt"), "mine");
        File.WriteAllText(Path.Combine(victim, "sub", ".foo.tmp-0123456789abcdef0123456789abcdef"), "mine too");
        return victim;
    }

    private static void AssertUntouched(string victim)
    {
        Assert.That(File.ReadAllText(Path.Combine(victim, "precious.txt")), Is.EqualTo("mine"));
        Assert.That(File.Exists(Path.Combine(victim, "sub", ".foo.tmp-0123456789abcdef0123456789abcdef")), Is.True);
    }

    [Test]
    public void TheSweepRemovesALinkInPlaceOfItsScratchFolderAndNeverWalksThroughLinks()
    {
        using var ws = new TestWorkspace();
        var victim = Victim(ws);
        ws.ControlPlane().RenderAll();
        Directory.CreateSymbolicLink(Path.Combine(ws.Workspace.ArtifactsDirectory, ".tmp"), victim);
        Directory.CreateSymbolicLink(Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "zz-link"), victim);
        ws.ControlPlane().RenderAll();
        ws.ControlPlane().PackageAll(); // its scratch (the config checks) goes in .tmp
        AssertUntouched(victim);
        Assert.That(Directory.GetFileSystemEntries(victim), Has.Length.EqualTo(2), "nothing was written into it either");
        Assert.That(TempFolders.IsLink(Path.Combine(ws.Workspace.ArtifactsDirectory, ".tmp")), Is.False);
    }

    /// <summary>A link anywhere on the way, not only at the last folder: render/ itself, a host's folder above its pki/.</summary>
    [Test]
    public void AFolderOnTheWayThatIsALinkIsNeitherWrittenThroughNorEmptied()
    {
        using var ws = new TestWorkspace();
        var victim = Victim(ws);
        var control = ws.ControlPlane();
        control.RenderAll();
        var render = Path.Combine(ws.Workspace.ArtifactsDirectory, "render");
        Directory.Delete(render, recursive: true);
        Directory.CreateDirectory(Path.Combine(victim, "host-a"));
        Directory.CreateSymbolicLink(render, victim);
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        Assert.That(Assert.Throws<StateConflict>(() => ws.ControlPlane().RenderAll())!.Message, Does.Contain("render is a link, not a folder of flatnet's"));
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(victim, "host-a")), Is.Empty, "nothing written into the link's target");
        Directory.Delete(Path.Combine(victim, "host-a"));
        AssertUntouched(victim);

        ws.ControlPlane().GenerateCert("host-b");
        var host = ws.Workspace.HostDirectory("host-b");
        var outside = Path.Combine(ws.Root, "outside-host-b");
        Directory.Move(host, outside);
        Directory.CreateSymbolicLink(host, outside);
        var before = File.ReadAllBytes(Path.Combine(outside, "pki", "host.crt"));
        Assert.That(Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-b", force: true))!.Message, Does.Contain("host-b is a link, not a folder of flatnet's"));
        Assert.That(File.ReadAllBytes(Path.Combine(outside, "pki", "host.crt")), Is.EqualTo(before), "the certificate outside was not re-signed in place");
    }

    [Test]
    public void AHostsRenderFolderThatIsALinkIsNeitherWrittenThroughNorEmptied()
    {
        using var ws = new TestWorkspace();
        var victim = Victim(ws);
        ws.ControlPlane().RenderAll();
        var render = Path.Combine(ws.Workspace.ArtifactsDirectory, "render");
        foreach (var host in new[] { "host-a", "host-c" })
        {
            Directory.Delete(Path.Combine(render, host), recursive: true);
            Directory.CreateSymbolicLink(Path.Combine(render, host), victim);
        }
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("render/host-a is a link, not a folder of flatnet's: nothing was written through it"));
        AssertUntouched(victim);
        // A host that leaves, whose folder is a link: left as it is, its target untouched.
        Directory.Delete(Path.Combine(render, "host-a"));
        File.Delete(ws.HostsFile("host-c.yaml"));
        ws.ControlPlane().RenderAll();
        AssertUntouched(victim);
        Assert.That(ws.Log.Lines, Has.Some.Contains("render/host-c is a link, not a folder of flatnet's; left as it is"));
    }

    [Test]
    public void ATemplateThatIsALinkRendersNothing()
    {
        using var ws = new TestWorkspace();
        var secret = Path.Combine(ws.Root, "secret");
        File.WriteAllText(secret, "TOPSECRET");
        var template = Path.Combine(ws.Root, "templates", "README.md.scriban");
        File.Delete(template);
        File.CreateSymbolicLink(template, secret);
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("README.md.scriban is a link").And.Not.Contain("TOPSECRET"));
        Assert.That(Directory.Exists(Path.Combine(ws.Workspace.ArtifactsDirectory, "render")) ? Directory.GetFiles(Path.Combine(ws.Workspace.ArtifactsDirectory, "render"), "*", SearchOption.AllDirectories).Where(f => File.ReadAllText(f).Contains("TOPSECRET")) : [], Is.Empty);
    }

    [Test]
    public void AFifoOrADeviceGivenAsAnInputIsRefusedWithoutBeingOpened()
    {
        using var ws = new TestWorkspace();
        var fifo = Path.Combine(ws.Root, "fifo");
        ProcessRunner.Run("mkfifo", [fifo]).EnsureSuccess("mkfifo");
        File.Delete(ws.HostsFile("host-c.yaml"));
        ProcessRunner.Run("mkfifo", [ws.HostsFile("host-c.yaml")]).EnsureSuccess("mkfifo");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var plan = Assert.Throws<InventoryProblem>(() => global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory))!;
        Assert.That(plan.Message, Does.Contain("hosts/host-c.yaml: a fifo, not a regular file: it is not read"));
        File.Delete(ws.HostsFile("host-c.yaml"));

        var before = File.ReadAllText(ws.HostsFile("network.yaml"));
        var init = Assert.Throws<UsageErrors>(() => ws.ControlPlane().Init(new InitChoices("192.168.1.10:4242", null, fifo, "/dev/zero", fifo, @"C:\flatnet")))!;
        Assert.That(init.Errors.Select(x => x.Field), Is.EqualTo(new[] { "--ca-crt", "--ca-key", "--windows-release" }));
        Assert.That(init.Errors.Select(x => x.Problem), Has.Some.Contains("a fifo, not a regular file").And.Some.Contains("character special file"));
        Assert.That(File.ReadAllText(ws.HostsFile("network.yaml")), Is.EqualTo(before), "nothing was written");
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "nothing blocked");
    }

    [Test]
    public void AHostFileNestedDeeperThanAnyInventoryIsRefusedBeforeItIsBuilt()
    {
        using var ws = new TestWorkspace();
        ws.Write("host-c.yaml", "name: host-c\nindex: 3\ngroups: " + new string('[', 5000) + new string(']', 5000) + "\n");
        var e = Assert.Throws<InventoryProblem>(() => global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory))!;
        Assert.That(e.Message, Does.Contain("hosts/host-c.yaml: line 3: nested deeper than any inventory file (32 levels at most)"));
    }

    [Test]
    public void AJoinReplyNeverRewritesTheTargetOfALinkedHostFile()
    {
        using var ws = new TestWorkspace();
        var kubeconfig = Path.Combine(ws.Root, "kubeconfig");
        File.WriteAllText(kubeconfig, "token: TOPSECRET\n");
        File.CreateSymbolicLink(ws.HostsFile("pc-9.yaml"), kubeconfig);
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().JoinReply("pc-9",
            "flatnet-join host=pc-9 host_key=SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s address=192.168.7.9 user=bob"))!;
        Assert.That(e.Message, Does.Contain("hosts/pc-9.yaml is a link, not the host's own file: nothing was written"));
        Assert.That(File.ReadAllText(kubeconfig), Is.EqualTo("token: TOPSECRET\n"));
        Assert.That(TempFolders.IsLink(ws.HostsFile("pc-9.yaml")), Is.True);
    }

    /// <summary>A third battery: a link at artifacts/bundles took every host's zip (and key) where it pointed.</summary>
    [Test]
    public void AFolderOnTheWayThatIsALinkIsNeverWrittenThrough()
    {
        using var ws = new TestWorkspace();
        var victim = Victim(ws);
        ws.ControlPlane().PackageAll();
        var bundles = Path.Combine(ws.Workspace.ArtifactsDirectory, "bundles");
        Directory.Delete(bundles, recursive: true);
        Directory.CreateSymbolicLink(bundles, victim);
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain("bundles is a link, not a folder of flatnet's: nothing was written through it"));
        Assert.That(Directory.GetFileSystemEntries(victim), Has.Length.EqualTo(2), "no zip reached it");
    }

    /// <summary>
    /// Battery 12: the walk stopped at the first folder holding flatnet's marker, so a link whose target held one (a pull
    /// request can commit both) took keys, zips, releases and rendered files where it pointed. Every depth, every kind.
    /// </summary>
    [TestCase("bundles", "PackageAll")]
    [TestCase("hosts", "PackageAll")]
    [TestCase("render", "RenderAll")]
    [TestCase("releases", "Release")]
    [TestCase("hosts/host-b/bundle", "PackageAll")]
    [TestCase("check", "PackageAll")]
    public void ALinkToAFolderThatHoldsFlatnetsMarkerIsNeverWrittenThrough(string folder, string target)
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        ws.ControlPlane().PackageAll();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var link = Path.Combine(ws.Workspace.ArtifactsDirectory, folder);
        var marked = Path.Combine(ws.Root, "public");
        Directory.CreateDirectory(marked);
        File.WriteAllText(Path.Combine(marked, SafeFiles.OwnedMarker), "");
        Directory.Delete(link, recursive: true);
        Directory.CreateSymbolicLink(link, marked);
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        var control = ws.ControlPlane();
        Action run = target switch
        {
            "PackageAll" => () => control.PackageAll(),
            "RenderAll" => () => control.RenderAll(),
            _ => () => control.Release("1.0.1", includeKeys: true),
        };
        var e = Assert.Throws(Is.InstanceOf<FlatnetException>(), () => run())!;
        Assert.That(e.Message, Does.Contain($"{Path.GetFileName(folder)} is a link, not a folder of flatnet's"));
        Assert.That(Directory.GetFileSystemEntries(marked, "*", SearchOption.AllDirectories).Select(Path.GetFileName), Is.EqualTo(new[] { SafeFiles.OwnedMarker }),
            "nothing reached the link's target");
    }

    /// <summary>Two links to . in a bundle folder made its fingerprint walk without end: a link counts as itself.</summary>
    [Test]
    public void LinksInABundleFolderAreNeverWalkedThrough()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var bundle = ws.Workspace.BundleDirectory("host-a");
        Directory.CreateSymbolicLink(Path.Combine(bundle, "l1"), ".");
        Directory.CreateSymbolicLink(Path.Combine(bundle, "l2"), ".");
        var started = System.Diagnostics.Stopwatch.StartNew();
        ws.ControlPlane().PackageAll();
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
    }

    /// <summary>A FIFO hung the run wherever flatnet read without asking what the file was: templates, pki, the blocklist, a release.</summary>
    [Test]
    public void AFifoAnywhereFlatnetReadsIsRefusedWithoutBeingOpened()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var started = System.Diagnostics.Stopwatch.StartNew();
        void Fifo(string path) { File.Delete(path); ProcessRunner.Run("mkfifo", ["-m", "600", path]).EnsureSuccess("mkfifo"); }

        Fifo(Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.key"));
        Assert.That(Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-a"))!.Message, Does.Contain("a fifo, not a regular file"));
        File.Delete(Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.key"));

        Fifo(Path.Combine(ws.Root, "hosts", "blocklist.txt"));
        Assert.That(Assert.Throws<InventoryProblem>(() => global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory))!.Message, Does.Contain("blocklist.txt: a fifo, not a regular file: it is not read"));
        File.Delete(Path.Combine(ws.Root, "hosts", "blocklist.txt"));

        var release = Path.Combine(ws.Root, "release.zip");
        Fifo(release);
        Assert.That(Assert.Throws<UsageError>(() => PlanDiff.Compare(ws.ControlPlane().Context, release))!.Message, Does.Contain("a fifo, not a regular file"));

        // The state flatnet keeps in artifacts and hosts/: its records, requests, listings, zips and the rotation's record.
        foreach (var state in new[]
                 {
                     Path.Combine(ws.Workspace.HostDirectory("host-b"), "bundle.inputs"), Path.Combine(ws.Workspace.PkiDirectory("host-b"), "request.json"),
                     ws.Workspace.BundlePath("host-b"), Path.Combine(ws.Root, "hosts", "ca-rotation.json"),
                 })
        {
            var kept = state + ".kept";
            if (File.Exists(state)) File.Move(state, kept);
            Fifo(state);
            Assert.That(Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageAll())!.Message, Does.Contain("a fifo, not a regular file"), state);
            File.Delete(state);
            if (File.Exists(kept)) File.Move(kept, state);
        }

        // Battery 11: an orphan's folder (no host file names it) whose certificate is a FIFO or /dev/zero: PackageAll
        // warns of orphans by printing their certificates, which blocked the run or read 2 GB.
        var orphan = Path.Combine(ws.Workspace.ArtifactsDirectory, "hosts", "host-q", "pki");
        Directory.CreateDirectory(orphan);
        Fifo(Path.Combine(orphan, "host.crt"));
        Assert.DoesNotThrow(() => ws.ControlPlane().PackageAll());
        File.Delete(Path.Combine(orphan, "host.crt"));
        // A link to /dev/zero (mode 666: anyone may write it) is refused before anything reads it (battery 20's rule).
        File.CreateSymbolicLink(Path.Combine(orphan, "host.crt"), "/dev/zero");
        Assert.That(Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageAll())!.Message, Does.Contain("host-q/pki/host.crt (owner 0, mode 666)"));
        Directory.Delete(Path.GetDirectoryName(orphan)!, recursive: true);

        // Battery 13: a lighthouse's config folder (PackageAll compared its files unread) and a bundle's manifest (the
        // by-hand confirmation hashed it): a FIFO there is never a hang; in the lighthouse's folder it is the user's, named
        // (battery 40: a FIFO where flatnet writes was replaced without a word), and written again once moved aside.
        var lighthouse = Directory.GetDirectories(Path.Combine(ws.Workspace.ArtifactsDirectory, "lighthouses")).Single();
        Fifo(Path.Combine(lighthouse, "ca.crt"));
        Assert.That(Assert.Catch<FlatnetException>(() => ws.ControlPlane().PackageAll())!.Message, Does.Contain("ca.crt is a file of yours where flatnet writes its own"));
        File.Delete(Path.Combine(lighthouse, "ca.crt"));
        Assert.DoesNotThrow(() => ws.ControlPlane().PackageAll());
        Assert.That(InputFiles.NotRegular(Path.Combine(lighthouse, "ca.crt")), Is.Null, "written again, as a file");
        var manifest = Path.Combine(ws.Workspace.BundleDirectory("host-b"), "manifest.json");
        File.Move(manifest, manifest + ".kept");
        Fifo(manifest);
        Assert.That(global::Flatnet.Verification.InstalledBundle.IsConfirmedByHand(ws.Workspace, "host-b"), Is.False);
        Assert.That(InputFiles.Sha256OfOwnFile(manifest), Is.Null);
        File.Delete(manifest);
        File.Move(manifest + ".kept", manifest);

        Fifo(Path.Combine(ws.Root, "templates", "README.md.scriban"));
        Assert.That(Assert.Throws<FlatnetException>(() => ws.ControlPlane().RenderAll())!.Message, Does.Contain("a fifo, not a regular file"));
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "nothing blocked");
    }

    /// <summary>"The file '.../.tmp' already exists" with the disk-room fix was all a file there gave (battery 5).</summary>
    [TestCase("file")]
    [TestCase("fifo")]
    public void AFileInPlaceOfTheScratchFolderIsNamedAndLeftAlone(string kind)
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll(); // the artifacts are flatnet's
        var scratch = Path.Combine(ws.Workspace.ArtifactsDirectory, ".tmp");
        if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        if (kind == "file") File.WriteAllText(scratch, "mine");
        else Assert.That(global::Flatnet.Processes.ProcessRunner.Run("mkfifo", [scratch]).ExitCode, Is.EqualTo(0));
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-b", force: true))!;
        Assert.That(e.Message, Does.Contain("artifacts/.tmp is a").And.Contain("not the folder where flatnet keeps its scratch").And.Contain("fix: remove it"));
        Assert.That(File.Exists(scratch), Is.True, "left as it is");
    }

    /// <summary>A templates/ folder that is a link was used silently, while a file link inside it was refused (battery 5).</summary>
    [Test]
    public void ATemplatesFolderThatIsALinkIsRefusedAsATemplateLinkIs()
    {
        using var ws = new TestWorkspace();
        var elsewhere = Path.Combine(ws.Root, "elsewhere");
        Directory.Move(Path.Combine(ws.Root, "templates"), elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(ws.Root, "templates"), elsewhere);
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("templates is a link (to ").And.Contain("not flatnet's templates: nothing is rendered from it"));
    }

    /// <summary>A blocklist that is a link (to pki/ca.key, say) was read (battery 5): it is refused as a host's file is.</summary>
    [Test]
    public void ABlocklistThatIsALinkIsNotRead()
    {
        using var ws = new TestWorkspace();
        var secret = Path.Combine(ws.Root, "secret");
        File.WriteAllText(secret, "TOPSECRET\n");
        File.CreateSymbolicLink(ws.HostsFile("blocklist.txt"), secret);
        var e = Assert.Throws<InventoryProblem>(() => global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory))!;
        Assert.That(e.Message, Does.Contain("blocklist.txt: a link (to ").And.Contain("not flatnet's blocklist: it is not read").And.Not.Contain("TOPSECRET"));
    }

    /// <summary>A record flatnet wrote (a by-hand confirmation, a renewal's date) is read only from a small plain file: a link could lead to a key.</summary>
    [Test]
    public void ARecordIsReadOnlyFromASmallPlainFileNeverThroughALinkAFifoOrAFolder()
    {
        using var ws = new TestWorkspace();
        var record = Path.Combine(ws.Root, "record");
        File.WriteAllText(record, "2027-01-01\n");
        Assert.That(InputFiles.SmallRecord(record, 256), Is.EqualTo("2027-01-01\n"));
        var link = Path.Combine(ws.Root, "link");
        File.CreateSymbolicLink(link, record);
        var fifo = Path.Combine(ws.Root, "fifo");
        ProcessRunner.Run("mkfifo", [fifo]).EnsureSuccess("mkfifo");
        File.WriteAllText(Path.Combine(ws.Root, "big"), new string('x', 257));
        Assert.That(new[] { link, fifo, Path.Combine(ws.Root, "big"), ws.Root, Path.Combine(ws.Root, "none") }.Select(p => InputFiles.SmallRecord(p, 256)),
            Has.All.Null);
    }

    /// <summary>Battery 12: a link to a 1.5 GB file passed the 64 KiB limit (the link's own size was checked), and a loop of links gave the disk's fix.</summary>
    [Test]
    public void AnInputBehindALinkIsJudgedByItsTargetAndALoopOfLinksIsNamed()
    {
        using var ws = new TestWorkspace();
        var big = Path.Combine(ws.Root, "big.pub");
        using (var f = File.Create(big)) f.SetLength(100L * 1024 * 1024); // sparse: nothing is written
        var link = Path.Combine(ws.Root, "publink");
        File.CreateSymbolicLink(link, big);
        var e = Assert.Throws<FlatnetException>(() => InputFiles.ReadAllBytes(link, InputFiles.KeyLimit, "the host's public key", "--pub"))!;
        Assert.That(e.Message, Does.Contain("is larger than any such file (64 KiB at most)"));
        var loop1 = Path.Combine(ws.Root, "loop1");
        File.CreateSymbolicLink(loop1, Path.Combine(ws.Root, "loop2"));
        File.CreateSymbolicLink(Path.Combine(ws.Root, "loop2"), loop1);
        Assert.That(InputFiles.NotRegular(loop1), Is.EqualTo("a link that leads nowhere (a loop of links)"));
        Assert.That(Assert.Throws<FlatnetException>(() => InputFiles.ReadAllBytes(loop1, InputFiles.KeyLimit, "the CA's certificate", "--ca-crt"))!.Message,
            Does.Contain("a link that leads nowhere").And.Not.Contain("disk"));
    }

    /// <summary>
    /// Battery 40: with artifacts/hosts/HOST a link to a copy elsewhere, PackageAll trusted the pki/ and bundle/ behind it
    /// ("unchanged") and made them owner-only through the link. It refuses the link first, as RenderAll and signing do.
    /// </summary>
    [Test]
    public void AHostsArtifactsFolderThatIsALinkIsRefusedBeforeAnythingIsReadOrChmodded()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var host = ws.Workspace.HostDirectory("host-a");
        var elsewhere = Path.Combine(ws.Root, "elsewhere", "host-a");
        Directory.CreateDirectory(Path.GetDirectoryName(elsewhere)!);
        Directory.Move(host, elsewhere);
        Directory.CreateSymbolicLink(host, elsewhere);
        var pki = Path.Combine(elsewhere, "pki");
        File.SetUnixFileMode(pki, (UnixFileMode)0b111_101_101);

        Assert.Catch<FlatnetException>(() => ws.ControlPlane().PackageAll());
        Assert.Catch<FlatnetException>(() => ws.ControlPlane().GenerateCert("host-a"));

        Assert.That(File.GetUnixFileMode(pki), Is.EqualTo((UnixFileMode)0b111_101_101), "nothing chmod-ed through the link");
        Assert.That(string.Join("\n", ws.Log.Lines), Does.Not.Contain("made owner-only again"));
    }
}
