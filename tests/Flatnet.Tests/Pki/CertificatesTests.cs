using Flatnet.Pki;
using System.Runtime.Versioning;
using Flatnet.Tools;

namespace Flatnet.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class CertificatesTests
{
    [Test]
    public void WithoutACaTheExampleInventoryStopsInsteadOfMakingOne()
    {
        // A new CA the Stage 1 lighthouse does not trust would be a silent wrong artifact: only InitCa (or the lab) makes one.
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "create_if_missing:", File.ReadAllLines(Path.Combine(TestWorkspace.RepoRoot, "hosts", "network.yaml")).Single(l => l.TrimStart().StartsWith("create_if_missing:")));
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.StartWith("no CA at ").And.Contain("pki/ca.crt and ").And.Contain("or run ./build.sh --target=InitCa"));
        Assert.That(ws.WrittenFiles(), Has.None.Contains("ca."));
        Assert.That(ws.ControlPlane().InitCa(), Is.True, "InitCa makes one on purpose");
        // Stage 1's ca.crt without its key (left on the lighthouse): the key is asked for, never a new CA.
        var key = Path.Combine(ws.Root, "pki", "ca.key");
        File.Move(key, key + ".away");
        Assert.That(Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageAll())!.Message,
            Does.Contain("pki/ca.crt is here but not its key, ").And.Contain("fix: copy Stage 1's ca.key").And.Not.Contain("InitCa"));
        File.Move(key + ".away", key);
        Assert.That(ws.ControlPlane().PackageAll(), Has.Count.EqualTo(3));
    }

    [Test]
    public void CheckCertsListsDaysLeftAndFailsBelowTheThreshold()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        control.GenerateCert("host-a");
        var rows = control.CheckCerts(30);
        Assert.That(rows.Select(r => r.Name), Is.EqualTo(new[] { "CA flatnet-ca", "host-a" }));
        Assert.That(rows.Select(r => r.DaysLeft), Has.All.InRange(363, 365));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-b").And.Some.Contains("not signed yet"));

        var e = Assert.Throws<FlatnetException>(() => control.CheckCerts(400))!;
        Assert.That(e.Message, Does.Contain("2 certificate(s) expired or expire within 400 days: CA flatnet-ca, host-a").And.Contain("--target=RenewCert").And.Contain("fix: for the CA: ./build.sh --target=RotateCa"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("RENEW"));
    }

    /// <summary>One damaged host.crt aborted CheckCerts with nebula-cert's raw text: it is named, and every other certificate reported.</summary>
    [Test]
    public void ACertificateNebulaCertCannotReadIsNamedAndTheOthersStillReported()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        control.GenerateCert("host-a");
        control.GenerateCert("host-b");
        File.WriteAllText(Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.crt"), "-----BEGIN NEBULA CERTIFICATE-----\ngarbage\n-----END NEBULA CERTIFICATE-----\n");
        var e = Assert.Throws<FlatnetException>(() => control.CheckCerts(30))!;
        Assert.That(e.Message, Does.StartWith("1 certificate(s) nebula-cert cannot read: host-a").And.Contain("fix: for a host whose certificate is damaged: ./build.sh --target=GenerateCert --host=NAME --force (host-a)"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-b").And.Some.Contains("days left"));

        // Battery 30: a link where host.crt goes had "--force" printed as the fix, which GenerateCert refuses while the
        // link is there. The link is named, and removing it comes first; the printed fix then works.
        var crt = Path.Combine(ws.Workspace.PkiDirectory("host-a"), "host.crt");
        File.Delete(crt);
        File.CreateSymbolicLink(crt, Path.Combine(ws.Workspace.PkiDirectory("host-b"), "host.crt"));
        e = Assert.Throws<FlatnetException>(() => control.CheckCerts(30))!;
        Assert.That(ws.Log.Lines, Has.Some.Contains("host.crt is a link (to "));
        Assert.That(e.Message, Does.Contain("fix: remove each link or special file named above from the host's pki folder (rm PATH), then ./build.sh --target=GenerateCert --host=NAME --force (host-a)")
            .And.Not.Contain("for a host whose certificate is damaged"));
        File.Delete(crt);
        control.GenerateCert("host-a", force: true);
        Assert.DoesNotThrow(() => control.CheckCerts(30));
    }

    [Test]
    public void RenewCertResigns()
    {
        using var ws = new TestWorkspace();
        var first = ws.ControlPlane().GenerateCert("host-a");
        var renewed = ws.ControlPlane().RenewCert("host-a");
        Assert.That((renewed.Signed, renewed.Cert.Fingerprint != first.Cert.Fingerprint), Is.EqualTo((true, true)));
    }

    [Test]
    public void ABlocklistReachesEveryConfigAndARevokedHostIsNotSignedAgain()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-b");
        var fp = new string('a', 64);
        File.WriteAllText(ws.HostsFile("blocklist.txt"), $"# revoked\n{fp}  host-b  2026-11-25\n");
        var control = ws.ControlPlane();
        var plan = control.Context.Plan;
        var config = control.Context.Renderer.RenderConfig(TestWorkspace.Platforms.Model(plan, plan.Host("host-a")));
        Assert.That(config, Does.Contain($"  blocklist:\n    - \"{fp}\"\n"));
        var e = Assert.Throws<FlatnetException>(() => control.GenerateCert("host-b", force: true))!;
        Assert.That(e.Message, Does.Contain("host-b was revoked, so flatnet will not sign a new certificate for it").And.Contain("remove its line"));

        File.WriteAllText(ws.HostsFile("blocklist.txt"), "not-a-fingerprint host-b\n");
        var bad = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(bad.Message, Does.Contain("blocklist.txt: line 1: expected 'FINGERPRINT NAME [DATE]'"));
    }

    [Test]
    public void ACaKeyOthersCanReadIsRefusedWithTheChmod()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().InitCa();
        File.SetUnixFileMode(Path.Combine(ws.Root, "pki/ca.key"), (UnixFileMode)0b110_100_100);
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().GenerateCert("host-a"))!;
        Assert.That(e.Message, Does.Contain("the CA key can be read or changed by others (mode 644)").And.Contain("fix: chmod 600"));
    }

    [Test]
    public void ACaCertAndKeyOfTwoDifferentCasAreRefused()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().InitCa();
        var other = Path.Combine(ws.Root, "other");
        Directory.CreateDirectory(other);
        NebulaCert.Locate(new ToolLocator(null), null).Ca(new NebulaCertCaSettings("other-ca", Path.Combine(other, "ca.crt"), Path.Combine(other, "ca.key")));
        File.Copy(Path.Combine(other, "ca.key"), Path.Combine(ws.Root, "pki/ca.key"), overwrite: true);
        foreach (var run in new Action[] { () => ws.ControlPlane().InitCa(), () => ws.ControlPlane().GenerateCert("host-a"), () => ws.ControlPlane().CheckCerts(30) })
        {
            var e = Assert.Throws<FlatnetException>(() => run())!;
            Assert.That(e.Message, Does.Contain("pki/ca.key does not belong to the CA").And.Contain("fix: copy ca.crt and ca.key of the same CA"));
        }
    }

    [Test]
    public void TheKeyPairMadeOnAWindowsHostIsAScriptFileWithQuotedPaths()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        var c = new RecordingConnection();
        TestWorkspace.Platforms.Windows.MakeKeyPair(control.Context.Model(control.Context.Plan.Host("host-b")), c);
        Assert.That(c.CommandLines.Single(), Does.Match(@"^powershell\.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File ""[^""%]+""$"),
            "nothing cmd.exe or CommandLineToArgvW could re-split");
        var script = c.Scripts.Single();
        Assert.That(script, Does.StartWith("$dir = 'F:\\flatnet\\config\\nebula'; $certTool = 'F:\\flatnet\\nebula\\nebula-cert.exe'; $key = Join-Path $dir 'host.key'\n"));
        Assert.That(script, Does.Contain("is missing: install the bundle's Nebula first"));
    }

    /// <summary>A CA appended to pki/ca.crt (it is not secret) shipped in every bundle's ca.crt, unnoticed (battery 18).</summary>
    [Test]
    public void ACaFileHoldingMoreThanOneCertificateIsRefusedAndNothingShips()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-a");
        var other = Directory.CreateDirectory(Path.Combine(ws.Root, "other-ca")).FullName;
        global::Flatnet.Processes.ProcessRunner.Run("nebula-cert", ["ca", "-name", "someone else", "-out-crt", "ca.crt", "-out-key", "ca.key"], other).EnsureSuccess("nebula-cert ca");
        File.AppendAllText(Path.Combine(ws.Root, "pki", "ca.crt"), File.ReadAllText(Path.Combine(other, "ca.crt")));
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-a"))!;
        Assert.That(e.Message, Does.Contain("pki/ca.crt holds 2 certificates, and every config would trust each of them").And.Not.Contain("Json"));
        Assert.That(File.Exists(ws.Workspace.BundlePath("host-a")), Is.False);
    }

    /// <summary>Battery 24: a ca.crt saved with a byte-order mark (as Notepad writes it) was "0 certificates"; nebula-cert cannot read it, so it is named as such.</summary>
    [Test]
    public void ACaFileWithAByteOrderMarkIsNamedAsSuch()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-a");
        var ca = Path.Combine(ws.Root, "pki", "ca.crt");
        File.WriteAllText(ca, "\uFEFF" + File.ReadAllText(ca));
        Assert.That(Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-a"))!.Message,
            Does.Contain("pki/ca.crt begins with a byte-order mark").And.Contain("not \"UTF-8 with BOM\""));
    }
    /// <summary>
    /// Battery 31: a file of the user's in a new host's pki/ ("my notes" as host.key, "my crt" as host.crt) was replaced
    /// by flatnet's key and certificate without a word. A file that is not of the kind flatnet writes there stops the
    /// signing before anything moves; a pki/ folder open to others is made owner-only around the key, and said.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AFileOfTheUsersInANewHostsPkiFolderIsNeverReplaced()
    {
        using var ws = new TestWorkspace();
        var pki = Directory.CreateDirectory(ws.Workspace.PkiDirectory("host-b")).FullName;
        File.WriteAllText(Path.Combine(pki, "host.key"), "my notes, not a key\n");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-b"))!;
        Assert.That(e.Message, Does.Contain("pki/host.key is a file of yours where flatnet writes its own (it holds no Nebula key); nothing was changed").And.Contain("fix: move it aside"));
        Assert.That(File.ReadAllText(Path.Combine(pki, "host.key")), Is.EqualTo("my notes, not a key\n"));
        Assert.That(File.Exists(Path.Combine(pki, "host.crt")), Is.False);

        File.Delete(Path.Combine(pki, "host.key"));
        File.SetUnixFileMode(pki, (UnixFileMode)0b111_101_101);
        ws.ControlPlane().GenerateCert("host-b");
        Assert.That(File.GetUnixFileMode(pki), Is.EqualTo((UnixFileMode)0b111_000_000));
        Assert.That(ws.Log.Lines, Has.Some.Contains("was open to others (mode 755); made owner-only, as a folder that holds a key is"));
    }
}
