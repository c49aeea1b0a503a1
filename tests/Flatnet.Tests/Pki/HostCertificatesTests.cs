using Flatnet.Pki;
using System.Runtime.Versioning;
using Flatnet.Tools;

namespace Flatnet.Tests;

/// <summary>Against the real nebula-cert (Debian's nebula package; .ci/run installs it). Missing it fails, never skips.</summary>
[UnsupportedOSPlatform("windows")]
public class HostCertificatesTests
{
    private static NebulaCert Cli => NebulaCert.Locate(new ToolLocator(null), null);

    private static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Test]
    public void InitCaCreatesAnOwnerOnlyKeyAndNeverOverwrites()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        Assert.That(control.InitCa(), Is.True);
        var crt = Path.Combine(ws.Root, "pki/ca.crt");
        var key = Path.Combine(ws.Root, "pki/ca.key");
        Assert.That(Mode(key), Is.EqualTo(OwnerOnly));
        var first = Cli.Print(crt);
        Assert.That((first.IsCa, first.Name), Is.EqualTo((true, "flatnet-ca")));
        var keyBytes = File.ReadAllBytes(key);

        Assert.That(ws.ControlPlane().InitCa(), Is.False);
        Assert.That(Cli.Print(crt).Fingerprint, Is.EqualTo(first.Fingerprint));
        Assert.That(File.ReadAllBytes(key), Is.EqualTo(keyBytes));
        // (The second run, with the CA's key there, took the lock of its folder: RunLock's files are flatnet's.)
        Assert.That(Directory.GetFiles(Path.Combine(ws.Root, "pki")).Select(Path.GetFileName).Where(f => !f!.StartsWith(RunLock.FileName, StringComparison.Ordinal)),
            Is.EquivalentTo(new[] { "ca.crt", "ca.key", "nebula-admin_ed25519", "nebula-admin_ed25519.pub" }), "the CA, and the admin key beside it (its public half recorded in network.yaml)");
        Assert.That(Mode(Path.Combine(ws.Root, "pki/nebula-admin_ed25519")), Is.EqualTo(OwnerOnly));
        Assert.That(File.ReadAllText(ws.HostsFile("network.yaml")), Does.Contain("admin_key: \"ssh-ed25519 "));
    }

    [Test]
    public void InitCaRefusesHalfACa()
    {
        using var ws = new TestWorkspace();
        Directory.CreateDirectory(Path.Combine(ws.Root, "pki"));
        File.WriteAllText(Path.Combine(ws.Root, "pki/ca.crt"), "not a cert");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().InitCa())!;
        Assert.That(e.Message, Does.Contain("half a CA").And.Contain("ca.key does not"));
        Assert.That(File.ReadAllText(Path.Combine(ws.Root, "pki/ca.crt")), Is.EqualTo("not a cert"));
    }

    [Test]
    public void GenerateCertSignsWhatTheInventorySays()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        control.InitCa();
        var outcome = control.GenerateCert("host-b");

        var crt = Path.Combine(outcome.Directory, "host.crt");
        var info = Cli.Print(crt);
        var ca = Cli.Print(Path.Combine(ws.Root, "pki/ca.crt"));
        Assert.That(info.Name, Is.EqualTo("host-b"));
        Assert.That(info.Ips, Is.EqualTo(new[] { "10.100.2.1/16" }));
        Assert.That(info.Groups, Is.EqualTo(new[] { "flatnet", "gateway" }));
        Assert.That(info.Subnets, Is.EqualTo(new[] { "10.101.2.0/24" }));
        Assert.That(info.Issuer, Is.EqualTo(ca.Fingerprint));
        Assert.That(Cli.Verify(Path.Combine(ws.Root, "pki/ca.crt"), crt).Ok, Is.True);
        Assert.That(Mode(Path.Combine(outcome.Directory, "host.key")), Is.EqualTo(OwnerOnly));
        Assert.That(Directory.GetFiles(outcome.Directory).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "ca.crt", "host.crt", "host.key", "request.json" }), "what nebula-cert said of it is kept in this account's cache, never beside it");
    }

    /// <summary>
    /// A certificate of another CA put in pki/, with a memo beside it that vouches for it (the memo an older flatnet
    /// trusted there): never packed. Only what nebula-cert said on this machine, of these very bytes, is believed.
    /// </summary>
    [Test]
    public void ACertificateOfAnotherCaWithAMemoVouchingForItIsSignedAgainNotShipped()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        control.GenerateCert("host-a");
        var pki = ws.Workspace.PkiDirectory("host-a");
        var other = Path.Combine(ws.Root, "other");
        Directory.CreateDirectory(other);
        var cert = TestWorkspace.Nebula("1.9.3", "nebula-cert");
        ProcessRunner.Run(cert, ["ca", "-name", "flatnet-ca", "-out-crt", Path.Combine(other, "ca.crt"), "-out-key", Path.Combine(other, "ca.key")]).EnsureSuccess("nebula-cert ca");
        ProcessRunner.Run(cert, ["sign", "-name", "host-a", "-ip", "10.100.1.1/16", "-groups", "flatnet,gateway,admin", "-subnets", "10.101.1.0/24,0.0.0.0/1",
            "-ca-crt", Path.Combine(other, "ca.crt"), "-ca-key", Path.Combine(other, "ca.key"), "-out-crt", Path.Combine(other, "host.crt"), "-out-key", Path.Combine(other, "host.key")]).EnsureSuccess("nebula-cert sign");
        foreach (var f in new[] { "host.crt", "host.key" }) File.Copy(Path.Combine(other, f), Path.Combine(pki, f), overwrite: true);
        File.WriteAllText(Path.Combine(pki, "verified.json"), "{\"Ca\":\"x\",\"Crt\":\"" + Digest.Sha256OfFile(Path.Combine(pki, "host.crt")) + "\"}");

        control.PackageAll();
        Assert.That(ws.Log.Lines, Has.Some.Match(@"^  host-a +10\.100\.1\.1 +10\.101\.1\.0/24 +signed +written$"), "signed again by this CA");
        using var zip = System.IO.Compression.ZipFile.OpenRead(ws.Workspace.BundlePath("host-a"));
        var shipped = Path.Combine(ws.Root, "shipped.crt");
        System.IO.Compression.ZipFileExtensions.ExtractToFile(zip.GetEntry("host.crt")!, shipped);
        Assert.That(Cli.Verify(Path.Combine(ws.Root, "pki/ca.crt"), shipped).Ok, Is.True, "the bundle carries a certificate of this CA");
        Assert.That(Cli.Print(shipped).Groups, Is.EqualTo(new[] { "flatnet", "gateway" }));
    }

    [Test]
    public void GenerateCertIsIdempotentAndForceResigns()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().InitCa();
        var first = ws.ControlPlane().GenerateCert("host-c");
        var second = ws.ControlPlane().GenerateCert("host-c");
        Assert.That(second.Signed, Is.False);
        Assert.That(second.Cert.Fingerprint, Is.EqualTo(first.Cert.Fingerprint));
        Assert.That(ws.Log.Lines, Has.Some.Contains("up to date"));

        var forced = ws.ControlPlane().GenerateCert("host-c", force: true);
        Assert.That(forced.Signed, Is.True);
        Assert.That(forced.Cert.Fingerprint, Is.Not.EqualTo(first.Cert.Fingerprint));
    }

    /// <summary>A damaged host.key (a short body, two keys in one file) never counts as pairing: the host is signed again with a new key.</summary>
    [TestCase("-----BEGIN NEBULA X25519 PRIVATE KEY-----\nAAAA\n-----END NEBULA X25519 PRIVATE KEY-----\n")]
    [TestCase(null)]
    public void ADamagedKeyIsMadeAgainNotTakenAsPairing(string? damaged)
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().GenerateCert("host-c");
        var key = Path.Combine(first.Directory, "host.key");
        File.WriteAllText(key, damaged ?? File.ReadAllText(key) + File.ReadAllText(key));
        var again = ws.ControlPlane().GenerateCert("host-c");
        Assert.That(again.Signed, Is.True);
        Assert.That(ws.Log.Lines, Has.Some.Contains("host.key is not a key nebula-cert made"));
        Assert.That(global::Flatnet.Pki.NebulaKeys.IsKey(key), Is.True);
    }

    [Test]
    public void ChangedInventoryResigns()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().InitCa();
        ws.ControlPlane().GenerateCert("host-c");
        ws.Edit("host-c.yaml", "groups:", "groups: [flatnet, gateway, db]");
        var changed = ws.ControlPlane().GenerateCert("host-c");
        Assert.That(changed.Signed, Is.True);
        Assert.That(changed.Cert.Groups, Is.EqualTo(new[] { "flatnet", "gateway", "db" }));
    }

    [Test]
    public void KeyMadeOnTheHostIsSignedWithoutThePrivateKeyTravelling()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().InitCa();
        ws.Edit("host-b.yaml", "keygen_on_host:", "  keygen_on_host: true");

        // With a transport, the host is asked to make the key; when that fails the manual way is offered.
        // (A missing identity file fails before any connection: this test sends no packet anywhere.)
        ws.Edit("host-b.yaml", "user:", "  user: flatnet\n  identity: /nonexistent/flatnet-test-key");
        var unreachable = Assert.Throws<FlatnetException>(() => ws.ControlPlane().GenerateCert("host-b"))!;
        Assert.That(unreachable.Message, Does.Contain("could not have its key made on the host").And.Contain("no SSH key at /nonexistent/flatnet-test-key")
            .And.Contain("or by hand").And.Contain("nebula-cert keygen"));

        ws.Edit("host-b.yaml", "transport:", "  transport: none");
        var missing = Assert.Throws<FlatnetException>(() => ws.ControlPlane().GenerateCert("host-b"))!;
        Assert.That(missing.Message, Does.Contain("keygen_on_host").And.Contain("nebula-cert keygen"));

        // "On the host": a separate folder that the build never reads a private key from.
        var onHost = Directory.CreateTempSubdirectory("flatnet-host-b-").FullName;
        try
        {
            Cli.Keygen(new NebulaCertKeygenSettings(Path.Combine(onHost, "host.key"), Path.Combine(onHost, "host.pub")));
            Directory.CreateDirectory(ws.Workspace.HostDirectory("host-b"));
            File.Copy(Path.Combine(onHost, "host.pub"), ws.Workspace.IncomingPublicKey("host-b"));

            var outcome = ws.ControlPlane().GenerateCert("host-b");
            Assert.That(File.Exists(Path.Combine(outcome.Directory, "host.key")), Is.False);
            Assert.That(Directory.GetFiles(ws.Root, "*.key", SearchOption.AllDirectories).Select(Path.GetFileName), Is.EqualTo(new[] { "ca.key" }));
            Assert.That(Cli.Verify(Path.Combine(ws.Root, "pki/ca.crt"), Path.Combine(outcome.Directory, "host.crt")).Ok, Is.True);
            Assert.That(ws.ControlPlane().GenerateCert("host-b").Signed, Is.False, "same public key, same inventory: not re-signed");
        }
        finally
        {
            Directory.Delete(onHost, recursive: true);
        }
    }

    [Test]
    public void FailedSigningLeavesThePreviousCertificateInPlace()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().InitCa();
        var before = ws.ControlPlane().GenerateCert("host-a");
        File.WriteAllText(Path.Combine(ws.Root, "pki/ca.key"), "-----BEGIN NEBULA ED25519 PRIVATE KEY-----\nbroken\n-----END NEBULA ED25519 PRIVATE KEY-----\n");

        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().GenerateCert("host-a", force: true))!;
        // The broken key is caught before signing: it does not pair with ca.crt.
        Assert.That(e.Message, Does.Contain("pki/ca.key does not belong to the CA").And.Contain("fix: copy ca.crt and ca.key of the same CA"));
        Assert.That(Cli.Print(Path.Combine(before.Directory, "host.crt")).Fingerprint, Is.EqualTo(before.Cert.Fingerprint));
        Assert.That(Directory.GetDirectories(ws.Workspace.HostDirectory("host-a")).Select(Path.GetFileName), Is.EqualTo(new[] { "pki" }),
            "no staging folder may be left behind");
    }

    [Test]
    public void HostTaskMakesTheCaOnFirstUseOnlyWhenTheInventorySaysSo()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-a");
        Assert.That(Cli.Print(Path.Combine(ws.Root, "pki/ca.crt")).IsCa, Is.True);
        Assert.That(ws.Log.Lines, Has.Some.Contains("a new one was made").And.Contains("create_if_missing"));
    }

    [Test]
    public void MissingCaSaysHowToGetOne()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "create_if_missing:", "  create_if_missing: false");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().GenerateCert("host-a"))!;
        Assert.That(e.Message, Does.Contain("no CA at").And.Contain("--target=InitCa"));
        Assert.That(ws.WrittenFiles(), Is.Empty);
    }

    [Test]
    public void MissingToolNamesEveryPlaceItLooked()
    {
        var e = Assert.Throws<FlatnetException>(() => new ToolLocator("/nonexistent/tools").Find(
            "no-such-tool-flatnet", null, "nebula.cert_tool in hosts/network.yaml", "install it"))!;
        Assert.That(e.Message, Does.Contain("/nonexistent/tools/no-such-tool-flatnet").And.Contain("nebula.cert_tool in hosts/network.yaml (not set)").And.Contain("fix: install it"));
    }

    [Test]
    public void SignArgumentsAreSpelledInOnePlace()
    {
        var args = new NebulaCertSignSettings("host-b", "10.100.2.1/16", "ca.crt", "ca.key", "host.crt")
        {
            InPub = "host.pub", Groups = ["flatnet", "gateway"], Subnets = ["10.101.2.0/24"],
        }.Arguments();
        Assert.That(args, Is.EqualTo(new[]
        {
            "sign", "-name", "host-b", "-ip", "10.100.2.1/16", "-ca-crt", "ca.crt", "-ca-key", "ca.key", "-out-crt", "host.crt",
            "-in-pub", "host.pub", "-groups", "flatnet,gateway", "-subnets", "10.101.2.0/24",
        }));
    }

    /// <summary>A certificate counts as current by what it says, not by the note beside it (request.json).</summary>
    [Test]
    public void AnotherHostsCertificateInTheFolderIsReSignedNotShipped()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var a = ws.Workspace.PkiDirectory("host-a");
        var b = ws.Workspace.PkiDirectory("host-b");
        foreach (var f in new[] { "host.crt", "host.key" }) File.Copy(Path.Combine(b, f), Path.Combine(a, f), overwrite: true);
        var cert = ws.ControlPlane().GenerateCert("host-a");
        Assert.That((cert.Signed, cert.Cert.Name), Is.EqualTo((true, "host-a")));
        ws.ControlPlane().PackageBundle("host-a");
        Assert.That(Cli.Print(Path.Combine(ws.Workspace.BundleDirectory("host-a"), "host.crt")).Name, Is.EqualTo("host-a"), "host-a's bundle never carries host-b's identity");
    }

    [Test]
    public void AKeyThatDoesNotPairWithItsCertificateIsReSigned()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        File.Copy(Path.Combine(ws.Workspace.PkiDirectory("host-b"), "host.key"), Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.key"), overwrite: true);
        Assert.That(ws.ControlPlane().GenerateCert("host-a").Signed, Is.True);
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-a: its key does not pair with its certificate"));
    }

    /// <summary>GenerateCert writes its own files into pki/ and leaves anything else there alone.</summary>
    [Test]
    public void ResigningLeavesAFileOfSomeoneElsesInThePkiFolder()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-a");
        var notes = Path.Combine(ws.Workspace.PkiDirectory("host-a"), "notes.txt");
        File.WriteAllText(notes, "mine");
        ws.ControlPlane().GenerateCert("host-a", force: true);
        Assert.That(File.ReadAllText(notes), Is.EqualTo("mine"));
    }
}
