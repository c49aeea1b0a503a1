using Flatnet.Pki;

namespace Flatnet.Tests;

/// <summary>
/// RenewCerts re-signs every host certificate due and rolls it out; nothing due is said, not done. (The rollout over
/// SSH is the lab's test: here the hosts are installed by hand, so nothing connects to the example's addresses.)
/// </summary>
public class CertificateRenewalTests
{
    private static string Fingerprint(TestWorkspace ws, string host) =>
        Digest.Sha256OfFile(Path.Combine(HostCertificates.OwnPkiDirectory(ws.Workspace, host), "host.crt"));

    [Test]
    public void NothingDueIsSaidWithTheSoonestAndNothingIsSigned()
    {
        using var ws = new TestWorkspace();
        File.AppendAllText(ws.HostsFile("network.yaml"), "cert_duration: 4320h   # 180 days\n");
        ws.ControlPlane().PackageAll();
        var before = Fingerprint(ws, "host-a");

        Assert.That(ws.ControlPlane().RenewCerts(withinDays: 30), Is.Empty);

        Assert.That(ws.Log.Lines, Has.Some.Match(@"^RenewCerts: nothing to renew: no host certificate has fewer than 30 days left \(the soonest: host-\w, 1\d\d days\)$"));
        Assert.That(Fingerprint(ws, "host-a"), Is.EqualTo(before));
    }

    [Test]
    public void EveryCertificateDueIsReSignedAndAHostInstalledByHandIsToldWhatToInstall()
    {
        using var ws = new TestWorkspace();
        foreach (var host in new[] { "host-a.yaml", "host-b.yaml", "host-c.yaml" }) ws.Edit(host, "transport:", "  transport: none");
        File.AppendAllText(ws.HostsFile("network.yaml"), "cert_duration: 720h   # 30 days: host certificates end before the CA\n");
        ws.ControlPlane().PackageAll();
        var before = new[] { "host-a", "host-b", "host-c" }.ToDictionary(h => h, h => Fingerprint(ws, h));

        var pending = Assert.Throws<PendingHosts>(() => ws.ControlPlane().RenewCerts(withinDays: 400))!;

        Assert.That(before.Where(b => Fingerprint(ws, b.Key) == b.Value), Is.Empty, "every one re-signed");
        Assert.That(ws.Log.Lines, Has.None.Contains("host-b: bundle is up to date"), "packed once in the run, and said once");
        Assert.That(pending.Pending.Select(p => p.Host), Is.EqualTo(new[] { "host-a", "host-b", "host-c" }));
        Assert.That(pending.Message, Does.Match(@"host-b \(install by hand: \S*bundles/host-b\.zip, by \d{4}-\d\d-\d\d, when the certificate it runs ends\)"));
        Assert.That(ws.ControlPlane().PackageAll().Where(p => p.Written), Is.Empty, "the bundles carry the new certificates already");

        // Battery 9: the record is shown only as a date read from a plain file: a link to the CA key shows nothing of it.
        var record = Path.Combine(ws.Workspace.HostDirectory("host-b"), "renewal-awaiting-install");
        File.Delete(record);
        File.CreateSymbolicLink(record, Path.Combine(ws.Root, "pki", "ca.key"));
        var linked = Assert.Throws<PendingHosts>(() => ws.ControlPlane().RenewCerts(withinDays: 10))!;
        Assert.That(linked.Message, Does.Not.Contain("PRIVATE KEY").And.Contain("host-b (install by hand: "));
        File.Delete(record);
        File.WriteAllText(record, "2026-12-24\n");

        // Battery 8: the next run said "nothing to renew" while the hosts still ran the old certificates.
        var again = Assert.Throws<PendingHosts>(() => ws.ControlPlane().RenewCerts(withinDays: 10))!; // 30-day certificates, just renewed
        Assert.That(again.Pending.Select(p => p.Host), Is.EqualTo(new[] { "host-a", "host-b", "host-c" }));
        Assert.That(string.Join("\n", again.Fixes), Does.Contain("--manual-steps-done"));
        PrintedCommandsTests.AssertAccepted(string.Join("\n", again.Fixes));
        var confirmed = new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true")));
        Assert.That(confirmed.RenewCerts(withinDays: 10), Is.Empty);
        Assert.That(ws.Log.Lines, Has.Some.EqualTo("RenewCerts: host-b: its renewed certificate is installed (confirmed)"));
        Assert.DoesNotThrow(() => ws.ControlPlane().RenewCerts(withinDays: 10), "confirmed: nothing pending any more");

        // Battery 9: a host renewed in the very run that says the earlier ones are installed is not confirmed with them.
        var renewedNow = Assert.Throws<PendingHosts>(() => confirmed.RenewCerts(withinDays: 400))!;
        Assert.That(renewedNow.Pending.Select(p => p.Host), Is.EqualTo(new[] { "host-a", "host-b", "host-c" }), "renewed a moment ago: nobody installed them yet");
        // Battery 11: cert_duration shorter than --within renews everything on every run, and says so.
        Assert.That(ws.Log.Lines, Has.Some.Contains("cert_duration: 720h (30 days) is not longer than --within=400").And.Some.Contains("fix: raise cert_duration"));

        // Battery 11: a later run that built another bundle (a new MTU) is not confirmed by --manual-steps-done: the
        // renewal announced the bundle before it; the new one is announced now, and confirmed on the next run.
        File.AppendAllText(ws.HostsFile("network.yaml"), "tuning:\n  mtu: 1280\n");
        Assert.That(ws.ControlPlane().PackageAll().Where(p => p.Written), Is.Not.Empty);
        ControlPlane Confirmed() => new(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true"))); // a run of its own
        var changed = Assert.Throws<PendingHosts>(() => Confirmed().RenewCerts(withinDays: 10))!;
        Assert.That(changed.Pending.Select(p => p.Host), Is.EqualTo(new[] { "host-a", "host-b", "host-c" }));
        Assert.That(changed.Message, Does.Contain("its bundle changed after the renewal was announced"));
        Assert.That(Confirmed().RenewCerts(withinDays: 10), Is.Empty);
        Assert.DoesNotThrow(() => ws.ControlPlane().RenewCerts(withinDays: 10), "the bundle announced last is the one confirmed");

        // Battery 12: a record that names no bundle (an older flatnet's, or one cut short) confirmed whatever bundle was
        // there: the current one is announced instead, and confirmed only by a later run.
        File.WriteAllText(record, "2026-12-24\n");
        var unknown = Assert.Throws<PendingHosts>(() => new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true"))).RenewCerts(withinDays: 10))!;
        Assert.That(unknown.Message, Does.Contain("host-b (install by hand: ").And.Contain("named no bundle"));
        Assert.That(File.ReadAllLines(record), Has.Length.EqualTo(2), "announced: the date and the bundle's manifest");
        File.WriteAllText(record, "2026-12-24\n");

        // With its bundle folder gone, nothing is announced or confirmed (it had hashed a missing manifest).
        var bundle = ws.Workspace.BundleDirectory("host-b");
        Directory.Move(bundle, bundle + ".away");
        var gone = Assert.Throws<PendingHosts>(() => new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("manual-steps-done", "true"))).RenewCerts(withinDays: 10))!;
        Assert.That(gone.Message, Does.Contain("its bundle is gone from"));
        Assert.That(File.ReadAllText(record), Is.EqualTo("2026-12-24\n"));
        Directory.Move(bundle + ".away", bundle);
    }

    /// <summary>
    /// Without cert_duration a host certificate ends with the CA (nebula-cert's default): signing it again cannot make
    /// it last longer, and a weekly job would change every host for nothing (battery 6). RotateCa is what renews them.
    /// </summary>
    [Test]
    public void ACertificateThatEndsWithTheCaIsNotReSignedAndTheReasonIsSaid()
    {
        using var ws = new TestWorkspace();
        foreach (var host in new[] { "host-a.yaml", "host-b.yaml", "host-c.yaml" }) ws.Edit(host, "transport:", "  transport: none");
        ws.ControlPlane().PackageAll();
        var before = Fingerprint(ws, "host-a");

        Assert.That(ws.ControlPlane().RenewCerts(withinDays: 400), Is.Empty);

        Assert.That(Fingerprint(ws, "host-a"), Is.EqualTo(before));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-a, host-b, host-c already last as long as the CA"));
    }

    /// <summary>A host that cannot be renewed (its key still to be made on it) stopped the run and left those re-signed before it with their old bundles (battery 6).</summary>
    [Test]
    public void AHostThatCannotBeRenewedIsNamedAndTheOthersAreRenewedWhole()
    {
        using var ws = new TestWorkspace();
        foreach (var host in new[] { "host-a.yaml", "host-b.yaml", "host-c.yaml" }) ws.Edit(host, "transport:", "  transport: none");
        File.AppendAllText(ws.HostsFile("network.yaml"), "cert_duration: 720h\n");
        ws.ControlPlane().PackageAll();
        ws.Edit("host-b.yaml", "keygen_on_host:", "  keygen_on_host: true"); // and no host.pub here: it cannot be signed

        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RenewCerts(withinDays: 400))!;

        Assert.That(e.Message, Does.StartWith("1 host(s) due could not be renewed (the others were):").And.Contain("host-b: "));
        foreach (var host in new[] { "host-a", "host-c" })
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(ws.Workspace.BundlePath(host));
            using var shipped = new StreamReader(zip.GetEntry("host.crt")!.Open());
            Assert.That(shipped.ReadToEnd(), Is.EqualTo(File.ReadAllText(Path.Combine(HostCertificates.OwnPkiDirectory(ws.Workspace, host), "host.crt"))),
                $"{host} was packed with its new certificate");
        }
    }
}
