namespace Flatnet.Tests;

/// <summary>
/// Plan --diff says what a change to hosts/ does to each host, against the last release (its bundles as shipped) or a
/// git ref (its inventory rendered as it was), so a pull request shows "host-b: certificate" and nothing else.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class PlanDiffTests
{
    private static PlanDifference Diff(TestWorkspace ws, string? against = null) => PlanDiff.Compare(ws.ControlPlane().Context, against);

    [Test]
    public void ChangingOneHostsGroupsNamesThatHostsCertificateAndNoOtherHost()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        Assert.That(Diff(ws).Hosts, Is.Empty, "right after a release nothing differs");

        ws.Edit("host-b.yaml", "groups:", "groups: [flatnet, gateway, build]");
        var diff = Diff(ws);
        Assert.That(diff.Against, Does.EndWith("releases/flatnet-1.0.0.zip"));
        Assert.That(diff.Hosts.Select(h => (h.Host, h.Kind)), Is.EqualTo(new[] { ("host-b", "changed") }));
        Assert.That(diff.Hosts[0].Changes, Is.EqualTo(new[] { "certificate: groups flatnet,gateway -> flatnet,gateway,build (re-signed)" }));
        Assert.That((diff.Rollout, diff.Unchanged), Is.EqualTo((new[] { "host-b" }, 2)));
        // The walk: a person who just made release 1.0.0 types --against=1.0.0 (it was read as a git ref, and refused).
        Assert.That(Diff(ws, "1.0.0").Against, Does.EndWith("releases/flatnet-1.0.0.zip"));
        Assert.That(Assert.Throws<UsageError>(() => Diff(ws, "9.9.9"))!.Message, Does.Contain("9.9.9 is not a file").And.Contain("--against=1.0.0"), "no such release: a git ref, as before");
        Assert.That(PlanDiff.Format(diff, "md"), Does.Contain("| host-b | changed | certificate: groups flatnet,gateway -> flatnet,gateway,build (re-signed) |")
            .And.Contain("A rollout touches **host-b**; 2 other host(s) unchanged."));
    }

    [Test]
    public void ANewHostIsAddedAndEveryPeerGetsItsRoute()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        ws.Write("host-d.yaml", "name: host-d\nindex: 4\nos: windows\n");
        var diff = Diff(ws);
        Assert.That(diff.Hosts.Select(h => (h.Host, h.Kind)), Is.EqualTo(new[] { ("host-a", "changed"), ("host-b", "changed"), ("host-c", "changed"), ("host-d", "added") }));
        Assert.That(diff.Hosts.Take(3).Select(h => string.Join(" | ", h.Changes)), Has.All.EqualTo("config: routes changed | files: scripts/flatnet-doctor.ps1, scripts/names.hosts"),
            "host-d's block is their new unsafe route, their doctor checks it, and host-d is among their names");
        using var json = System.Text.Json.JsonDocument.Parse(PlanDiff.Format(diff, "json"));
        Assert.That(json.RootElement.GetProperty("rollout_touches").GetArrayLength(), Is.EqualTo(4));
    }

    [Test]
    public void AgainstAGitRefTheInventoryAsItWasIsRendered()
    {
        using var ws = new TestWorkspace();
        void Git(params string[] args) => ProcessRunner.Run("git", ["-C", ws.Root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", .. args]).EnsureSuccess("git " + args[0]);
        Git("init", "-q");
        Git("add", "hosts", "templates");
        Git("commit", "-q", "-m", "fleet");
        ws.Edit("host-c.yaml", "groups:", "groups: [flatnet]");
        var diff = Diff(ws, "HEAD");
        Assert.That(diff.Against, Is.EqualTo("git HEAD"));
        Assert.That(diff.Hosts.Select(h => $"{h.Host}: {string.Join("; ", h.Changes)}"), Is.EqualTo(new[] { "host-c: certificate: groups flatnet,gateway -> flatnet (re-signed)" }));
        Assert.That(Assert.Throws<UsageError>(() => Diff(ws, "no-such-branch"))!.Message, Does.StartWith("--against: git cannot read hosts and templates at 'no-such-branch'"));

        // Battery 30: a ref whose host file is a link out of the tree was refused as "the system refused a file
        // operation on /etc/shadow", with a fix about the disk. It is named as what it is.
        File.CreateSymbolicLink(Path.Combine(ws.Root, "hosts", "evil.yaml"), "/etc/shadow");
        Git("add", "hosts/evil.yaml");
        Git("commit", "-q", "-m", "a link");
        File.Delete(Path.Combine(ws.Root, "hosts", "evil.yaml"));
        var e = Assert.Throws<UsageError>(() => Diff(ws, "HEAD"))!;
        Assert.That(e.Message, Does.StartWith("--against: the inventory or templates at 'HEAD' hold what cannot be read safely").And.Contain("nothing was read from it")
            .And.Contain("fix: compare with a ref whose hosts/ and templates/ hold plain files"));
    }

    [Test]
    public void WithoutAReleaseOrARefItSaysWhatToCompareWith()
    {
        using var ws = new TestWorkspace();
        var e = Assert.Throws<UsageError>(() => Diff(ws))!;
        Assert.That(e.Message, Does.StartWith("--against: there is no release to compare with"));
    }

    /// <summary>A crafted release (1.5 MB whose config inflated to 1.5 GiB) took 5.4 GB: an entry is read only so far.</summary>
    [Test]
    public void AReleaseWhoseEntriesInflateWithoutBoundIsRefused()
    {
        using var ws = new TestWorkspace();
        var bomb = Release(ws, "bomb.zip", inner =>
        {
            using var config = inner.CreateEntry("config.yaml").Open();
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 40; i++) config.Write(zeros);
        });
        Assert.That(new FileInfo(bomb).Length, Is.LessThan(1024 * 1024));
        var e = Assert.Throws<UsageError>(() => Diff(ws, bomb))!;
        Assert.That(e.Message, Does.Contain("inflates past 16 MiB: not a release of flatnet's"));
    }

    /// <summary>A release with its bundle zip's entries laid out by <paramref name="write"/>.</summary>
    /// <summary>A release of one bundle (host-a's) laid out by <paramref name="write"/>; the files every bundle holds that it does not write are added (host.crt of a CA of the test's own).</summary>
    private static string Release(TestWorkspace ws, string name, Action<System.IO.Compression.ZipArchive> write) =>
        CraftedRelease.Write(Path.Combine(ws.Root, name), new Dictionary<string, byte[]>
        {
            ["host-a"] = CraftedRelease.WithOwnFiles(CraftedRelease.Bundle(write), new Dictionary<string, string>
            {
                ["config.yaml"] = "pki: {}\n", ["host.crt"] = CraftedRelease.HostCertificate(ws.Root), ["manifest.json"] = "{}", ["SHA256SUMS"] = "",
            }),
        });

    private static void Entry(System.IO.Compression.ZipArchive zip, string name, string text) => CraftedRelease.Text(zip, name, text);

    /// <summary>300 entries of 15 MiB each (each under the entry's limit) took 26 s and 8.9 GB (battery 5): a release is read only so far, all together.</summary>
    [Test]
    public void AReleaseWhoseEntriesTogetherInflateWithoutBoundIsRefused()
    {
        using var ws = new TestWorkspace();
        var zeros = new byte[1024 * 1024];
        var many = Release(ws, "many.zip", inner =>
        {
            for (var e = 0; e < 40; e++)
            {
                using var entry = inner.CreateEntry($"scripts/f{e}.ps1").Open();
                for (var i = 0; i < 15; i++) entry.Write(zeros);
            }
        });
        var error = Assert.Throws<UsageError>(() => Diff(ws, many))!;
        Assert.That(error.Message, Does.Contain("the release's bundles inflate past 512 MiB together: not a release of flatnet's"));
    }

    /// <summary>.NET's words reached the user ("An item with the same key has already been added", "'n' is an invalid start of a property name").</summary>
    [TestCase("twice", "bundles/host-a.zip holds config.yaml twice")]
    [TestCase("manifest", "host-a's manifest.json is not JSON")]
    [TestCase("certificate", "host-a's host.crt is not a certificate nebula-cert can read")]
    public void AReleaseThatIsNotFlatnetsIsNamedAsSuch(string flaw, string said)
    {
        using var ws = new TestWorkspace();
        var release = Release(ws, "odd.zip", inner =>
        {
            Entry(inner, "config.yaml", "pki: {}\n");
            if (flaw == "twice") Entry(inner, "config.yaml", "pki: {}\n");
            if (flaw == "manifest") Entry(inner, "manifest.json", "not json");
            if (flaw == "certificate") Entry(inner, "host.crt", "-----BEGIN NEBULA CERTIFICATE-----\ngarbage\n-----END NEBULA CERTIFICATE-----\n");
        });
        var e = Assert.Throws<UsageError>(() => Diff(ws, release))!;
        Assert.That(e.Message, Does.Contain($"odd.zip: {said}: not a release of flatnet's"));
        Assert.That(e.Message, Does.Not.Contain("System.").And.Not.Contain("same key").And.Not.Contain("invalid start"));
    }

    /// <summary>
    /// A baseline is a release only when it is checked against itself: release.json lists exactly its bundles, with
    /// their SHA-256, and nothing else is in it (battery 16: bundles/a/pc-1.zip and bundles/b/pc-1.zip made .NET's
    /// "same key" error; 150,000 entries a bundle took 1.4 GB).
    /// </summary>
    [TestCase("a host twice", "it holds bundles/a/host-a.zip, which no release of flatnet's has")]
    [TestCase("no release.json", "it has no release.json")]
    [TestCase("another hash", "bundles/host-a.zip is not the bundle release.json lists (its SHA-256 differs)")]
    [TestCase("unlisted", "it holds bundles/host-b.zip, which release.json does not list")]
    [TestCase("many entries", "bundles/host-a.zip has 1001 entries (a bundle has a few dozen)")]
    [TestCase("too many in all", "it declares more entries than a release has (10000 at most)")]
    public void ABaselineIsAReleaseOnlyWhenItIsCheckedAgainstItself(string flaw, string said)
    {
        using var ws = new TestWorkspace();
        var bundle = CraftedRelease.Bundle(inner =>
        {
            Entry(inner, "config.yaml", "pki: {}\n");
            if (flaw == "many entries") for (var i = 0; i < 1000; i++) inner.CreateEntry($"scripts/{i}.sh");
        });
        var path = Path.Combine(ws.Root, "odd.zip");
        CraftedRelease.Write(path, new Dictionary<string, byte[]> { ["host-a"] = bundle },
            withReleaseJson: flaw != "no release.json", listedSha256: flaw == "another hash" ? new Dictionary<string, string> { ["host-a"] = new string('0', 64) } : null,
            tweak: zip =>
            {
                if (flaw == "a host twice") using (var s = zip.CreateEntry("bundles/a/host-a.zip").Open()) s.Write(bundle);
                if (flaw == "unlisted") using (var s = zip.CreateEntry("bundles/host-b.zip").Open()) s.Write(bundle);
                if (flaw == "too many in all") for (var i = 0; i < 10_000; i++) zip.CreateEntry($"x{i}");
            });
        var e = Assert.Throws<UsageError>(() => Diff(ws, path))!;
        Assert.That(e.Message, Does.Contain($"odd.zip: {said}: not a release of flatnet's"));
    }

    /// <summary>A "billion laughs" config.yaml of 500 bytes held 2.1 GB after 20 s (battery 16): no YAML flatnet reads takes an alias.</summary>
    [Test]
    public void AConfigWithYamlAliasesInABaselineIsReadAsAWholeNeverExpanded()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" +
                     string.Concat(Enumerable.Range(0, 8).Select(i => $"{(char)('b' + i)}: &{(char)('b' + i)} [{string.Join(",", Enumerable.Repeat($"*{(char)('a' + i)}", 10))}]\n"));
        var path = CraftedRelease.Write(Path.Combine(ws.Root, "laughs.zip"),
            new Dictionary<string, byte[]>
            {
                ["host-a"] = CraftedRelease.WithOwnFiles(CraftedRelease.Bundle(inner => Entry(inner, "config.yaml", laughs)), new Dictionary<string, string>
                {
                    ["host.crt"] = File.ReadAllText(Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.crt")), ["manifest.json"] = "{}", ["SHA256SUMS"] = "",
                }),
            });
        var diff = Diff(ws, path);
        Assert.That(diff.Hosts.Single(h => h.Host == "host-a").Changes, Has.Some.EqualTo("config: the whole file (not YAML flatnet reads) changed"));
    }

    /// <summary>
    /// Battery 17: a pull request that commits a self-consistent release zip under the path origin/main, made with a CA of
    /// its own, had CI's `Plan --diff --against=origin/main` say "no host changes" for a firewall opened to everything.
    /// A release is named as one (FILE.zip), and its certificates must be of a CA this inventory has had.
    /// </summary>
    [Test]
    public void AFileNamedLikeABranchIsNeverTheBaselineAndAReleaseOfAnotherCaIsRefused()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-b"); // this inventory's CA
        var planted = Path.Combine(ws.Root, "origin-main");
        File.Copy(Release(ws, "planted.zip", inner => Entry(inner, "config.yaml", "pki: {}\n")), planted);
        Assert.That(Assert.Throws<UsageError>(() => Diff(ws, planted))!.Message, Does.StartWith("--against: ").And.Contain("git"), "taken as a git ref, never as the file");
        Assert.That(Assert.Throws<UsageError>(() => Diff(ws, Path.Combine(ws.Root, "none.zip")))!.Message, Does.Contain("there is no release at"));

        var cert = TestWorkspace.Nebula("1.11.0", "nebula-cert");
        var other = Directory.CreateDirectory(Path.Combine(ws.Root, "other-ca")).FullName;
        void Run(params string[] args) => global::Flatnet.Processes.ProcessRunner.Run(cert, args, other).EnsureSuccess("nebula-cert " + args[0]);
        Run("ca", "-name", "someone else", "-version", "1", "-out-crt", "ca.crt", "-out-key", "ca.key");
        Run("sign", "-name", "host-a", "-ip", "10.100.1.1/16", "-ca-crt", "ca.crt", "-ca-key", "ca.key", "-out-crt", "host.crt", "-out-key", "host.key");
        var foreign = Release(ws, "foreign.zip", inner => { Entry(inner, "config.yaml", "pki: {}\n"); Entry(inner, "host.crt", File.ReadAllText(Path.Combine(other, "host.crt"))); });
        Assert.That(Assert.Throws<UsageError>(() => Diff(ws, foreign))!.Message, Does.Contain("foreign.zip: host-a's certificate was signed by the CA ")
            .And.Contain(", which this inventory has never had (only ").And.Contain("the CA was replaced since that release").And.Not.Contain("not a release of flatnet's"));
    }

    /// <summary>
    /// Battery 18: a second CA made trusted (a forged rotation record naming a ca.next.crt of someone else's) and a
    /// nebula.exe swapped in the Windows release had Plan --diff say "no host changes". Against a release, the CAs
    /// every config trusts and Nebula's programs are compared too.
    /// </summary>
    [Test]
    public void AgainstAReleaseTheCasTrustedAndNebulasProgramsAreCompared()
    {
        using var ws = new TestWorkspace();
        var release = FakeWindowsRelease.Write(Path.Combine(ws.Root, "nebula-windows-amd64.zip"));
        FakeWindowsRelease.UseIn(ws, release);
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        Assert.That(Diff(ws).Hosts, Is.Empty, "right after a release nothing differs, programs and trust included");

        using (var zip = System.IO.Compression.ZipFile.Open(release, System.IO.Compression.ZipArchiveMode.Update))
        {
            var exe = zip.Entries.Single(e => e.FullName.EndsWith("nebula.exe", StringComparison.Ordinal));
            var name = exe.FullName;
            exe.Delete();
            Entry(zip, name, "MZ something else");
        }
        var cert = TestWorkspace.Nebula("1.11.0", "nebula-cert");
        var other = Directory.CreateDirectory(Path.Combine(ws.Root, "other-ca")).FullName;
        global::Flatnet.Processes.ProcessRunner.Run(cert, ["ca", "-name", "someone else", "-version", "1", "-out-crt", "ca.crt", "-out-key", "ca.key"], other).EnsureSuccess("nebula-cert ca");
        File.Copy(Path.Combine(other, "ca.crt"), Path.Combine(ws.Root, "pki", "ca.next.crt")); File.Copy(Path.Combine(other, "ca.key"), Path.Combine(ws.Root, "pki", "ca.next.key")); // a rotation whose files are all here (battery 36: without its key, none is trusted)
        var old = ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(ws.Root, "pki", "ca.crt")).Fingerprint;
        var evil = ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(other, "ca.crt")).Fingerprint;
        ws.Write("ca-rotation.json", $"{{\"old_fingerprint\": \"{old}\", \"new_fingerprint\": \"{evil}\", \"started\": \"2026-12-01T00:00:00Z\", \"phase\": 2}}");

        var diff = Diff(ws);
        Assert.That(diff.Hosts.Select(h => h.Host), Is.EquivalentTo(new[] { "host-a", "host-b", "host-c" }));
        Assert.That(diff.Hosts, Has.All.Property("Changes").Contains("trust: the CAs every config trusts (ca.crt) changed"));
        Assert.That(diff.Hosts.Single(h => h.Host == "host-b").Changes, Has.Some.Contains("files: nebula/nebula.exe"));
    }

    /// <summary>
    /// Against a git ref (CI's --against=origin/main) the CAs every config trusts are compared too when the ref tracks
    /// the CA's certificate: a pull request that makes another CA trusted is named, host by host.
    /// </summary>
    [Test]
    public void AgainstAGitRefThatTracksTheCaAChangeOfTrustIsNamed()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-a"); // the CA
        void Git(params string[] args) => ProcessRunner.Run("git", ["-C", ws.Root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", .. args]).EnsureSuccess("git " + args[0]);
        Git("init", "-q");
        Git("add", "hosts", "templates", "pki/ca.crt");
        Git("commit", "-q", "-m", "fleet");
        Assert.That(Diff(ws, "HEAD").Hosts, Is.Empty, "the same trust, the same files");

        var other = Directory.CreateDirectory(Path.Combine(ws.Root, "other-ca")).FullName;
        ProcessRunner.Run("nebula-cert", ["ca", "-name", "someone else", "-out-crt", "ca.crt", "-out-key", "ca.key"], other).EnsureSuccess("nebula-cert ca");
        File.Copy(Path.Combine(other, "ca.crt"), Path.Combine(ws.Root, "pki", "ca.next.crt")); File.Copy(Path.Combine(other, "ca.key"), Path.Combine(ws.Root, "pki", "ca.next.key")); // a rotation whose files are all here (battery 36: without its key, none is trusted)
        var old = ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(ws.Root, "pki", "ca.crt")).Fingerprint;
        var evil = ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(other, "ca.crt")).Fingerprint;
        ws.Write("ca-rotation.json", $"{{\"old_fingerprint\": \"{old}\", \"new_fingerprint\": \"{evil}\", \"started\": \"2026-12-01T00:00:00Z\", \"phase\": 2}}");
        var diff = Diff(ws, "HEAD");
        Assert.That(diff.Hosts, Has.Count.EqualTo(3).And.All.Property("Changes").Contains("trust: the CAs every config trusts (ca.crt) changed"));
    }

    /// <summary>
    /// Battery 19: a host re-keyed (GenerateCert --force, or --pub= someone's key) had Plan --diff say "no host
    /// changes": it compared the certificate's groups, IP and block, never its key. The key signed here now (what the
    /// next bundle carries) is compared with the one the release shipped.
    /// </summary>
    [Test]
    public void AHostReKeyedIsNamedWithItsOldAndNewKey()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var crt = Path.Combine(ws.Root, "artifacts", "hosts", "host-b", "pki", "host.crt");
        var before = ws.ControlPlane().Context.NebulaCert.Print(crt).PublicKey;
        ws.ControlPlane().GenerateCert("host-b", force: true);
        var after = ws.ControlPlane().Context.NebulaCert.Print(crt).PublicKey;
        Assert.That(after, Is.Not.EqualTo(before), "--force makes a new key pair here");

        var diff = Diff(ws);
        Assert.That(diff.Hosts.Select(h => $"{h.Host}: {string.Join("; ", h.Changes)}"),
            Is.EqualTo(new[] { $"host-b: certificate: new key pair: public key {before[..16]}… -> {after[..16]}… (re-signed)" }));
        Assert.That(diff.Rollout, Is.EqualTo(new[] { "host-b" }));
    }

    /// <summary>
    /// Battery 20: a baseline whose bundle had no config.yaml hid every change of that host's config; files only the
    /// baseline had, and entry names no bundle has (../../etc/x, C:\evil.ps1), went unsaid; a flatnet-1.0.5.zip that
    /// said it was 9.9.9 was believed. Each is now said or refused.
    /// </summary>
    [TestCase("no config", "bundles/host-a.zip has no config.yaml")]
    [TestCase("../../etc/x", "bundles/host-a.zip holds ../../etc/x, a name no bundle of flatnet's has")]
    [TestCase(@"C:\evil.ps1", @"bundles/host-a.zip holds C:\evil.ps1, a name no bundle of flatnet's has")]
    [TestCase("another version", "its release.json says 9.9.9, its name flatnet-1.0.5.zip")]
    public void ABaselineMissingWhatEveryBundleHoldsOrNamedOddlyIsRefused(string flaw, string said)
    {
        using var ws = new TestWorkspace();
        var certificate = CraftedRelease.HostCertificate(ws.Root);
        var bundle = CraftedRelease.Bundle(inner =>
        {
            if (flaw != "no config") Entry(inner, "config.yaml", "pki: {}\n");
            if (flaw.Contains('/') || flaw.Contains('\\')) Entry(inner, flaw, "x");
            Entry(inner, "host.crt", certificate);
            Entry(inner, "manifest.json", "{}");
            Entry(inner, "SHA256SUMS", "");
        });
        var path = CraftedRelease.Write(Path.Combine(ws.Root, "flatnet-1.0.5.zip"), new Dictionary<string, byte[]> { ["host-a"] = bundle }, version: flaw == "another version" ? "9.9.9" : "1.0.5");
        Assert.That(Assert.Throws<UsageError>(() => Diff(ws, path))!.Message, Does.Contain(said));
    }

    [Test]
    public void AFileOnlyTheBaselineShippedIsSaid()
    {
        using var ws = new TestWorkspace();
        var release = ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var crafted = Path.Combine(ws.Root, "with-more.zip");
        using (var from = System.IO.Compression.ZipFile.OpenRead(release.Path))
        {
            var bundles = from.Entries.Where(e => e.FullName.StartsWith("bundles/", StringComparison.Ordinal)).ToDictionary(e => e.FullName["bundles/".Length..^".zip".Length], e =>
            {
                using var s = e.Open();
                using var m = new MemoryStream();
                s.CopyTo(m);
                return m.ToArray();
            });
            bundles["host-b"] = CraftedRelease.WithOwnFiles(bundles["host-b"], new Dictionary<string, string> { ["scripts/old-helper.ps1"] = "Write-Host old" });
            CraftedRelease.Write(crafted, bundles);
        }
        Assert.That(Diff(ws, crafted).Hosts.Select(h => $"{h.Host}: {string.Join("; ", h.Changes)}"), Is.EqualTo(new[] { "host-b: files no longer shipped: scripts/old-helper.ps1" }));
    }

    /// <summary>
    /// Battery 25: Plan --diff (and Init's pair check) keep their scratch in the system's temporary folder, and a TMPDIR
    /// another account may write (not sticky) let it swap that scratch: the baseline read there could be theirs. Such a
    /// TMPDIR is named and nothing is compared.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AScratchFolderInATmpdirOthersMayWriteIsRefused()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var shared = Directory.CreateDirectory(Path.Combine(ws.Root, "shared-tmp")).FullName;
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);

        var run = TestHostProcess.After($"export TMPDIR='{shared}'", ws, "Plan", "--diff").Wait();

        Assert.That(run.ExitCode, Is.EqualTo(1), run.StdOut + run.StdErr);
        Assert.That(run.StdErr, Does.Contain("TMPDIR: ").And.Contain($"{shared} (owner 0, mode 777)"));
        Assert.That(Directory.GetFileSystemEntries(shared), Is.Empty, "its scratch was taken back");
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        run = TestHostProcess.After($"export TMPDIR='{shared}'", ws, "Plan", "--diff").Wait();
        Assert.That(run.ExitCode, Is.EqualTo(0), "sticky, as /tmp is: " + run.StdErr);
    }

    /// <summary>
    /// Battery 26: a release of artifacts/releases changed since Release wrote it was refused with the fix "pass a
    /// flatnet-VERSION.zip from artifacts/releases", which is what had been passed. The fix says it was changed.
    /// </summary>
    [Test]
    public void AReleaseChangedSinceReleaseWroteItIsSaidToBeSo()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        var path = Path.Combine(ws.Workspace.ReleasesDirectory, "flatnet-1.0.0.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = zip.Entries.First(e => e.FullName.StartsWith("bundles/", StringComparison.Ordinal) && e.FullName.EndsWith(".zip", StringComparison.Ordinal));
            var name = entry.FullName;
            entry.Delete();
            using var w = zip.CreateEntry(name).Open();
            w.Write("not the bundle"u8);
        }
        var e = Assert.Throws<UsageError>(() => Diff(ws, "1.0.0"))!;
        Assert.That(e.Message, Does.Contain("not a release of flatnet's"));
        Assert.That(e.Fix, Does.StartWith("it was changed since Release wrote it: put it back from a backup, or move it out of artifacts/releases"));
    }
}
