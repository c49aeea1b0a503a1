using Flatnet.Bundles;
namespace Flatnet.Tests;

public class PackagingTests
{
    [Test]
    public void PackageAllPacksEveryHostAndASecondRunChangesNothing()
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().PackageAll();
        Assert.That(first.Select(r => (r.Host, r.Signed, r.Written)), Is.EqualTo(new[] { ("host-a", true, true), ("host-b", true, true), ("host-c", true, true) }));
        var zips = first.Select(r => File.ReadAllBytes(ws.Workspace.BundlePath(r.Host))).ToList();
        Assert.That(first.Select(r => r.ZipSha256), Is.EqualTo(zips.Select(Digest.Sha256)), "each row names the zip it checked");
        Assert.That(ws.Log.Lines, Has.Some.Match(@"^\s+host-b\s.*signed\s+written"), "what changed is listed, one row each");

        ws.Log.Lines.Clear();
        var second = ws.ControlPlane().PackageAll();
        Assert.That(second.Select(r => (r.Host, r.Signed, r.Written)), Is.EqualTo(new[] { ("host-a", false, false), ("host-b", false, false), ("host-c", false, false) }));
        Assert.That(second.Select(r => File.ReadAllBytes(ws.Workspace.BundlePath(r.Host))), Is.EqualTo(zips));
        Assert.That(ws.Log.Lines, Has.None.Contains("host-b"), "an unchanged host is a count, not a row");
        Assert.That(ws.Log.Lines.Last(), Does.Contain("3 bundle(s) in").And.Contain("3 unchanged, 0 rebuilt; 0 certificate(s) signed"));
    }

    /// <summary>The example network with 40 generated PCs (odd ones Linux with a WSL stand-in, even ones Windows).</summary>
    private static TestWorkspace FortyHosts()
    {
        var ws = new TestWorkspace();
        foreach (var f in Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "host-*.yaml")) File.Delete(f);
        for (var i = 1; i <= 40; i++)
            ws.Write($"pc-{i:0000}.yaml", $"name: pc-{i:0000}\nindex: {i}\nos: {(i % 2 == 0 ? "windows" : "linux")}\n" +
                                           (i % 2 == 0 ? "" : $"wsl_command: ip netns exec fn-wsl-{i}\n"));
        return ws;
    }

    private static IEnumerable<string> Rebuilt(IEnumerable<PackedHost> rows) => rows.Where(r => r.Written).Select(r => r.Host);
    private static IEnumerable<string> Signed(IEnumerable<PackedHost> rows) => rows.Where(r => r.Signed).Select(r => r.Host);

    [Test]
    [NonParallelizable] // it counts the processes this test process starts
    public void PackageAllRebuildsOnlyWhatAChangeReachesAndAsksNoToolPerUnchangedHost()
    {
        using var ws = FortyHosts();
        Assert.That(Rebuilt(ws.ControlPlane().PackageAll()).Count(), Is.EqualTo(40));

        // Nothing changed: nothing is signed, checked or zipped; each tool is asked once per run, no host costs a process.
        var before = global::Flatnet.Processes.ProcessRunner.Started;
        ws.Log.Lines.Clear();
        var warm = ws.ControlPlane().PackageAll();
        Assert.That(Rebuilt(warm).Concat(Signed(warm)), Is.Empty);
        // (A run is a new process: nothing is remembered from the run before, so the CA's key is matched again.)
        Assert.That(global::Flatnet.Processes.ProcessRunner.Started - before, Is.LessThanOrEqualTo(14),
            "per run, not per host: the CA's print, the CA key's match, nebula-cert -version, nebula -version, the unmanaged lighthouse's config check (sign a twin, nebula -test), " +
            "and a stat and a find for each tree a writing run checks the owners of (the inventory, tools, the CA key's folder, the artifacts)");
        Assert.That(ws.Log.Lines.Last(), Does.Contain("40 unchanged, 0 rebuilt; 0 certificate(s) signed"));

        // One PC's groups change: only its certificate and bundle are made again (groups are in no other host's files).
        ws.Edit("pc-0007.yaml", "os:", "os: linux\ngroups: [flatnet, printers]");
        var groups = ws.ControlPlane().PackageAll();
        Assert.That((Signed(groups), Rebuilt(groups)), Is.EqualTo((new[] { "pc-0007" }, new[] { "pc-0007" })));

        // One PC moves to another index: its IP and block change, so it is re-signed and every peer's routes change.
        ws.Edit("pc-0009.yaml", "index:", "index: 150");
        var moved = ws.ControlPlane().PackageAll();
        Assert.That(Signed(moved), Is.EqualTo(new[] { "pc-0009" }));
        Assert.That(Rebuilt(moved).Count(), Is.EqualTo(40), "each peer's config routes pc-0009's new block");
    }

    /// <summary>
    /// 300 hosts (blocks past a /16 of the overlay; every config with 299 routes): rendered whole, then only what a
    /// change touches. The 1,000-host figures are the Benchmark's (--part=packaging), never a timed assertion here.
    /// </summary>
    [Test]
    public void RenderAllHandlesHundredsOfHostsAndRebuildsOnlyWhatChanged()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "overlay:", "overlay: 10.100.0.0/14");
        ws.Edit("network.yaml", "routed_pool:", "routed_pool: 10.104.0.0/14");
        foreach (var f in Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "host-*.yaml")) File.Delete(f);
        for (var i = 1; i <= 300; i++)
            ws.Write($"pc-{i:0000}.yaml", $"name: pc-{i:0000}\nindex: {i}\nos: {(i % 2 == 0 ? "windows" : "linux")}\n" +
                                           (i % 2 == 0 ? "" : $"wsl_command: ip netns exec fn-wsl-{i}\n"));
        var rendered = ws.ControlPlane().RenderAll();
        Assert.That(rendered, Has.Count.EqualTo(300));
        var root = Path.Combine(ws.Root, "artifacts", "render");
        Assert.That(Directory.GetFiles(root, "*", SearchOption.AllDirectories), Has.Length.EqualTo(2700), "9 files a host, the direct-paths watcher among them");
        var last = File.ReadAllText(Path.Combine(root, "pc-0300", "config.yaml"));
        Assert.That(last, Does.Contain("Nebula config for pc-0300 (10.101.44.1/14)"));
        Assert.That(last.Split("- route: ").Length - 1, Is.EqualTo(299), "every other host's block is an unsafe route");
        Assert.That(File.ReadAllText(Path.Combine(root, "pc-0001", "scripts", "wsl-routing.sh")), Has.Length.LessThan(12_000), "WSL2 routes the pool, not each block");
        Assert.That(File.ReadAllLines(Path.Combine(root, "pc-0001", "scripts", "names.hosts")), Has.Length.EqualTo(299 + 299 + 1 + 2),
            "the names (every other host, its WSL2, the lighthouse; BEGIN and END) are data beside the scripts, not in them");

        // Incremental: an unchanged host keeps its folder; a host's groups change only its own files.
        ws.Log.Lines.Clear();
        ws.ControlPlane().RenderAll();
        Assert.That(ws.Log.Lines, Has.Some.EndsWith("300 unchanged, 0 rebuilt"));
        var untouched = File.GetLastWriteTimeUtc(Path.Combine(root, "pc-0001", "config.yaml"));
        ws.Edit("pc-0150.yaml", "index:", "groups: [flatnet, gateway, printers]\nindex: 150");
        ws.ControlPlane().RenderAll();
        Assert.That(ws.Log.Lines, Has.Some.EndsWith("299 unchanged, 1 rebuilt"));
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(root, "pc-0001", "config.yaml")), Is.EqualTo(untouched));

        // A host that leaves: its folder goes, and every other config stops routing its block.
        File.Delete(ws.HostsFile("pc-0299.yaml"));
        ws.ControlPlane().RenderAll();
        Assert.That(ws.Log.Lines, Has.Some.EndsWith("0 unchanged, 299 rebuilt; removed pc-0299 (no longer in the plan)"));
        Assert.That(Directory.Exists(Path.Combine(root, "pc-0299")), Is.False);
        Assert.That(Directory.GetDirectories(ws.Workspace.ArtifactsDirectory, ".render.staging-*"), Is.Empty);
    }

    /// <summary>A bundle counts as built only when the zip and the folder are the ones recorded, whatever the notes say.</summary>
    [Test]
    public void AZipRestoredFromABackupOrAFolderCutShortIsRebuilt()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var zip = ws.Workspace.BundlePath("host-a");
        var backup = File.ReadAllBytes(zip);
        ws.Edit("host-a.yaml", "groups:", "groups: [flatnet, gateway, printers]");
        ws.ControlPlane().PackageAll();
        var current = File.ReadAllBytes(zip);
        File.WriteAllBytes(zip, backup); // restored from a backup, beside newer inputs
        var rows = ws.ControlPlane().PackageAll();
        Assert.That(rows.Single(r => r.Host == "host-a").Written, Is.True);
        Assert.That(File.ReadAllBytes(zip), Is.EqualTo(current));

        File.Delete(Path.Combine(ws.Workspace.BundleDirectory("host-b"), "config.yaml"));
        Assert.That(ws.ControlPlane().PackageAll().Single(r => r.Host == "host-b").Written, Is.True);
        Assert.That(File.Exists(Path.Combine(ws.Workspace.BundleDirectory("host-b"), "config.yaml")), Is.True);
    }

    /// <summary>A new flatnet (another build of the library) renders and checks every bundle again; only changed bytes are written.</summary>
    [Test]
    public void AnotherBuildOfFlatnetChecksEveryBundleAgain()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        Assert.That(FlatnetBuild.Identity, Does.Match("^[0-9a-f]{64}$"), "the library's own bytes, not a fixed version number");
        ws.Log.Lines.Clear();
        var rows = new ControlPlane(new FlatnetContext(ws.Workspace, ws.Log) { BuildIdentity = "another build" }).PackageAll();
        Assert.That(ws.Log.Lines, Has.None.Contains("nothing it is made from changed"));
        Assert.That(rows.Where(r => r.Written), Is.Empty, "the same bytes are not written again");
    }

    /// <summary>RenderAll replaces the host folders it made, and leaves anything else in render/ alone.</summary>
    [Test]
    public void RenderAllLeavesAFolderOfSomeoneElsesAlone()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var notes = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "notes");
        Directory.CreateDirectory(notes);
        File.WriteAllText(Path.Combine(notes, "review.md"), "mine");
        File.Delete(ws.HostsFile("host-c.yaml"));
        ws.ControlPlane().RenderAll();
        Assert.That(File.ReadAllText(Path.Combine(notes, "review.md")), Is.EqualTo("mine"));
        Assert.That(Directory.Exists(Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "host-c")), Is.False, "a host no longer in the plan loses its folder");
        Assert.That(ws.Log.Lines, Has.Some.Contains("render/notes is not flatnet's; left as it is"));
    }

    /// <summary>A user's file over 2 GB kept in a render folder stopped the whole fleet's RenderAll (battery 5): it is streamed, never read whole.</summary>
    [Test]
    public void AHugeFileOfTheUsersInARenderFolderIsKeptAndCostsNoMemory()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var big = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "host-a", "big.img");
        using (var f = File.Create(big)) f.SetLength((2L << 30) + 4096); // sparse: no disk, 2 GiB and a page
        File.Delete(Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "host-a", "config.yaml"));

        Assert.DoesNotThrow(() => ws.ControlPlane().RenderAll());

        Assert.That(new FileInfo(big).Length, Is.EqualTo((2L << 30) + 4096));
        Assert.That(File.Exists(Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "host-a", "config.yaml")), Is.True);
    }

    /// <summary>
    /// An edited render whose hash was written into render.inputs stayed "unchanged" (battery 5): the folder must hold
    /// what rendering gives now, so it is rendered again.
    /// </summary>
    [Test]
    public void AForgedRenderRecordCannotKeepAnEditedRender()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var folder = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "host-a");
        var config = Path.Combine(folder, "config.yaml");
        var rendered = File.ReadAllText(config);
        File.WriteAllText(config, rendered.Replace("proto: \"icmp\"", "proto: \"any\""));
        Assert.That(File.ReadAllText(config), Is.Not.EqualTo(rendered), "the test edits the firewall");
        var record = BuildRecord.Read(ws.Workspace, "host-a", "render")!;
        (record with { Outputs = new Dictionary<string, string> { ["folder"] = BuildRecord.Fingerprint(folder) } }).Write(ws.Workspace, "host-a", "render");

        // Never taken as rendered: the edit is the user's (battery 35), so it is named, kept, and stops the run.
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("config.yaml is a file of yours where flatnet writes its own"));
        Assert.That(ws.Log.Lines, Has.None.Contains("3 unchanged"));
    }

    /// <summary>
    /// A cache record anyone with write access could forge never vouches for a zip: the bundle is assembled again and
    /// must be the zip byte for byte, so a tampered zip with its hash written into bundle.inputs is rebuilt, and
    /// Release ships the real one.
    /// </summary>
    [Test]
    public void AForgedCacheRecordCannotShipATamperedBundle()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var zipPath = ws.Workspace.BundlePath("host-b");
        var honest = File.ReadAllBytes(zipPath);
        using (var zip = System.IO.Compression.ZipFile.Open(zipPath, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("config.yaml")!;
            string text;
            using (var r = new StreamReader(entry.Open())) text = r.ReadToEnd();
            Assert.That(text, Does.Contain("proto: \"icmp\""));
            entry.Delete();
            using var w = new StreamWriter(zip.CreateEntry("config.yaml").Open());
            w.Write(text.Replace("proto: \"icmp\"", "proto: \"any\""));
        }
        var recordPath = BuildRecord.PathFor(ws.Workspace, "host-b", "bundle");
        var record = BuildRecord.Read(ws.Workspace, "host-b", "bundle")!;
        var forged = record with { Outputs = new Dictionary<string, string>(record.Outputs) { ["zip"] = Digest.Sha256OfFile(zipPath) } };
        File.WriteAllText(recordPath, System.Text.Json.JsonSerializer.Serialize(forged) + "\n");

        ws.Log.Lines.Clear();
        ws.ControlPlane().PackageAll();
        Assert.That(File.ReadAllBytes(zipPath), Is.EqualTo(honest), "rebuilt from its inputs");
        Assert.That(ws.Log.Lines, Has.None.Contains("host-b: bundle is up to date"));
        var release = ws.ControlPlane().Release("1.0.0", includeKeys: true);
        using var shipped = System.IO.Compression.ZipFile.OpenRead(release.Path);
        using var inner = new MemoryStream();
        shipped.GetEntry("bundles/host-b.zip")!.Open().CopyTo(inner);
        Assert.That(inner.ToArray(), Is.EqualTo(honest));
    }

    /// <summary>
    /// Battery 20: a script planted in the folder DeployHost uploads, with the record forged to match, was "up to date"
    /// and travelled. It is named at every run, never packed, and DeployHost refuses the folder while it is there.
    /// </summary>
    [Test]
    public void AFilePlantedInABundleFolderIsNamedAndNeverTravels()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var honest = File.ReadAllBytes(ws.Workspace.BundlePath("host-b"));
        var planted = Path.Combine(ws.Workspace.BundleDirectory("host-b"), "scripts", "evil.ps1");
        File.WriteAllText(planted, "Write-Host evil");
        var recordPath = BuildRecord.PathFor(ws.Workspace, "host-b", "bundle");
        var record = BuildRecord.Read(ws.Workspace, "host-b", "bundle")!;
        var forged = record with { Outputs = new Dictionary<string, string>(record.Outputs) { ["folder"] = BuildRecord.Fingerprint(ws.Workspace.BundleDirectory("host-b")) } };
        File.WriteAllText(recordPath, System.Text.Json.JsonSerializer.Serialize(forged) + "\n");

        ws.Log.Lines.Clear();
        ws.ControlPlane().PackageAll();
        // Not flatnet's file, so never deleted: named at every run until it is moved, and never uploaded (DeployHost
        // takes only a folder its manifest lists whole).
        Assert.That(ws.Log.Lines, Has.Some.Contains("scripts/evil.ps1 is not flatnet's; left as it is. DeployHost uploads that folder only when it holds the bundle alone"));
        Assert.That(BundleFolder.Problem(ws.Workspace.BundleDirectory("host-b")), Does.Contain("scripts/evil.ps1 is not in its manifest"));
        Assert.That(File.ReadAllBytes(ws.Workspace.BundlePath("host-b")), Is.EqualTo(honest), "the zip holds the bundle alone");
    }

    /// <summary>
    /// Battery 29: a folder of the user's inside a bundle folder had that bundle rebuilt at every run (nebula -test
    /// again) with no reason said. The bundle is as built, so nothing is rebuilt; what else the folder holds is named at
    /// every run, with why it matters (DeployHost uploads that folder, and only when it holds the bundle alone).
    /// </summary>
    [Test]
    public void WhatTheUserPutInABundleFolderIsNamedAtEveryRunAndCostsNoRebuild()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var mine = Path.Combine(ws.Workspace.BundleDirectory("host-b"), "notes", "todo.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(mine)!);
        File.WriteAllText(mine, "mine");
        for (var run = 0; run < 2; run++)
        {
            ws.Log.Lines.Clear();
            ws.ControlPlane().PackageAll();
            Assert.That(ws.Log.Lines.Last(), Does.Contain("3 unchanged, 0 rebuilt"), $"run {run + 1}");
            Assert.That(ws.Log.Lines, Has.Some.Contains("host-b/bundle/notes/todo.txt is not flatnet's; left as it is")
                .And.Contains("DeployHost uploads that folder only when it holds the bundle alone"), $"run {run + 1}");
        }
        Assert.That(File.ReadAllText(mine), Is.EqualTo("mine"));
    }

    /// <summary>A 3 GB host.key took 4.4 GB and ended in .NET's "One or more errors occurred" (battery 17): a key is read only so far.</summary>
    [Test]
    public void AHugeHostKeyIsNamedAndNeverRead()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        using (var key = File.Open(Path.Combine(ws.Workspace.PkiDirectory("host-b"), "host.key"), FileMode.Truncate)) key.SetLength(3L * 1024 * 1024 * 1024);
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-b"))!;
        Assert.That(e.Message, Does.Contain("host.key").And.Not.Contain("One or more errors").And.Not.Contain("memory"));
        Assert.That(e.Message, Does.Contain("fix: "));
    }

    /// <summary>An empty host.key was blamed on the config ("correct hosts/ or templates/config.yaml.scriban"): the key is named.</summary>
    [Test]
    public void AnEmptyHostKeyIsNamedAsSuchWithTheCommandThatMakesANewOne()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        File.WriteAllText(Path.Combine(ws.Workspace.PkiDirectory("host-b"), "host.key"), "");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-b"))!;
        Assert.That(e.Message, Does.Contain("host-b: cannot package: ").And.Contain("pki/host.key is empty")
            .And.Contain("fix: ./build.sh --target=GenerateCert --host=host-b"));
        // Which then makes a new key pair, as the fix says.
        Assert.That(ws.ControlPlane().GenerateCert("host-b").Signed, Is.True);
        Assert.That(ws.ControlPlane().PackageBundle("host-b").Written, Is.True);
    }

    /// <summary>
    /// Battery 26: a bundle zip and host.key made readable by others (chmod 644) after PackageAll wrote them owner-only
    /// were "unchanged" at every later run, readable still. They are closed again, and the re-key is said.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AKeyOthersWereLetReadIsClosedAgainAndTheReKeySaid()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var pki = ws.Workspace.PkiDirectory("host-a");
        var folder = ws.Workspace.BundleDirectory("host-a");
        var opened = new[] { ws.Workspace.BundlePath("host-a"), Path.Combine(folder, "host.key"), Path.Combine(pki, "host.key") };
        Assert.That(opened, Has.All.Exist, "host-a's key is made here and shipped in its bundle");
        foreach (var f in opened) File.SetUnixFileMode(f, (UnixFileMode)0b110_100_100);
        foreach (var d in new[] { pki, folder }) File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
        ws.Log.Lines.Clear();

        ws.ControlPlane().PackageAll();

        Assert.That(opened.Select(f => File.GetUnixFileMode(f)), Has.All.EqualTo((UnixFileMode)0b110_000_000));
        Assert.That(new[] { pki, folder }.Select(d => File.GetUnixFileMode(d)), Has.All.EqualTo((UnixFileMode)0b111_000_000));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-a: others could read ").And.Contains("(mode 644)").And.Contains("made owner-only again")
            .And.Contains("./build.sh --target=GenerateCert --host=host-a --force"));
    }
    /// <summary>Battery 31: a file of the user's where a host's bundle zip goes was chmod-ed, then replaced without a word. It stops that host's packing, untouched.</summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AFileOfTheUsersWhereTheBundleZipGoesIsNeverReplacedNorChmodded()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var zip = ws.Workspace.BundlePath("host-b");
        File.Delete(zip);
        Directory.Delete(ws.Workspace.BundleDirectory("host-b"), recursive: true);
        File.WriteAllText(zip, "MINEZIP");
        File.SetUnixFileMode(zip, (UnixFileMode)0b110_100_100);
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageBundle("host-b"))!;
        Assert.That(e.Message, Does.Contain("bundles/host-b.zip is a file of yours where flatnet writes the host's bundle (no bundle of flatnet's); nothing was changed"));
        Assert.That(File.ReadAllText(zip), Is.EqualTo("MINEZIP"));
        Assert.That(File.GetUnixFileMode(zip), Is.EqualTo((UnixFileMode)0b110_100_100), "not chmod-ed");
        Assert.That(Directory.Exists(ws.Workspace.BundleDirectory("host-b")), Is.False, "nothing written");
    }
    /// <summary>
    /// Battery 32: an empty file, or a zip of the user's with a manifest.json of its own, where a host's bundle zip
    /// goes, was replaced; so was a file of the user's where the host's build record goes.
    /// </summary>
    [TestCase("empty")]
    [TestCase("another zip")]
    [TestCase("record")]
    public void NoFileOfTheUsersIsTakenForABundleOrItsRecord(string what)
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var zip = ws.Workspace.BundlePath("host-b");
        var record = BuildRecord.PathFor(ws.Workspace, "host-b", "bundle");
        File.Delete(zip);
        File.Delete(record);
        var path = what == "record" ? record : zip;
        if (what == "another zip")
            using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Create))
            using (var w = new StreamWriter(archive.CreateEntry("manifest.json").Open())) w.Write("{\"mine\": true}");
        else File.WriteAllText(path, what == "empty" ? "" : "USER FILE\n");
        var before = File.ReadAllBytes(path);
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243"); // host-b's bundle is built anew
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageBundle("host-b"))!;
        Assert.That(e.Message, Does.Contain(what == "record" ? "hosts/host-b/bundle.inputs is a file of yours" : "bundles/host-b.zip is a file of yours"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
    }
}
