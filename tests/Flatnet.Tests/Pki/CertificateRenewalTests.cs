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
        ws.ControlPlane().PackageAll();
        var before = Fingerprint(ws, "host-a");

        Assert.That(ws.ControlPlane().RenewCerts(withinDays: 30), Is.Empty);

        Assert.That(ws.Log.Lines, Has.Some.Match(@"^RenewCerts: nothing to renew: no host certificate has fewer than 30 days left \(the soonest: host-\w, 36\d days\)$"));
        Assert.That(Fingerprint(ws, "host-a"), Is.EqualTo(before));
    }

    [Test]
    public void EveryCertificateDueIsReSignedAndAHostInstalledByHandIsToldWhatToInstall()
    {
        using var ws = new TestWorkspace();
        foreach (var host in new[] { "host-a.yaml", "host-b.yaml", "host-c.yaml" }) ws.Edit(host, "transport:", "  transport: none");
        ws.ControlPlane().PackageAll();
        var before = new[] { "host-a", "host-b", "host-c" }.ToDictionary(h => h, h => Fingerprint(ws, h));

        var renewed = ws.ControlPlane().RenewCerts(withinDays: 400);

        Assert.That(renewed, Is.EqualTo(new[] { "host-a", "host-b", "host-c" }));
        Assert.That(before.Where(b => Fingerprint(ws, b.Key) == b.Value), Is.Empty, "every one re-signed");
        Assert.That(ws.Log.Lines, Has.Some.Match(@"^RenewCerts: host-b is installed by hand: install \S*bundles/host-b\.zip there before \d{4}-\d\d-\d\d$"));
        Assert.That(ws.ControlPlane().PackageAll().Where(p => p.Written), Is.Empty, "the bundles carry the new certificates already");
    }
}
