using Flatnet.Pki;

namespace Flatnet.Tests.Pki;

/// <summary>nebula-cert as each release really behaves: fixtures are its own output, and the signing runs the real binaries.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class NebulaCertTests
{
    private static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "fixtures", "nebula-cert-print", name));

    [Test]
    public void PrintDocumentUpTo19IsOneObjectWithIpsAndSubnets()
    {
        var info = NebulaCertInfo.FromJson(Fixture("1.6.1-v1-host.json"));
        Assert.That((info.Name, info.Version, info.IsCa), Is.EqualTo(("host-a", 1, false)));
        Assert.That(info.Ips, Is.EqualTo(new[] { "10.100.1.1/16" }));
        Assert.That(info.Subnets, Is.EqualTo(new[] { "10.101.1.0/24" }));
        Assert.That(info.Groups, Is.EqualTo(new[] { "flatnet", "gateway" }));
        Assert.That(info.PublicKey, Is.EqualTo("fb9d5423bd723546b5675df533da4c904e7f109fcc93e12bc45dd4691a71ed34"));
        Assert.That(info.Fingerprint, Is.EqualTo("9b98b587083a4f82bbb69c9840c9986ef527ce2755081ccc1d10915456baa225"));
    }

    [Test]
    public void PrintDocumentFrom110IsAnArrayWithNetworksAndForV2ATopLevelPublicKey()
    {
        var v1 = NebulaCertInfo.FromJson(Fixture("1.11.0-v1-host.json"));
        var old = NebulaCertInfo.FromJson(Fixture("1.6.1-v1-host.json"));
        static object Fields(NebulaCertInfo i) => (i.Name, string.Join(",", i.Ips), string.Join(",", i.Subnets), string.Join(",", i.Groups),
            i.IsCa, i.Issuer, i.NotBefore, i.NotAfter, i.PublicKey, i.Fingerprint, i.Version);
        Assert.That(Fields(v1), Is.EqualTo(Fields(old)), "the same v1 certificate reads the same through 1.6.1 and 1.11.0");

        var v2 = NebulaCertInfo.FromJson(Fixture("1.11.0-v2-host.json"));
        Assert.That((v2.Name, v2.Version), Is.EqualTo(("host-a", 2)));
        Assert.That(v2.Ips, Is.EqualTo(new[] { "10.100.1.1/16" }));
        Assert.That(v2.Subnets, Is.EqualTo(new[] { "10.101.1.0/24" }));
        Assert.That(v2.PublicKey, Is.EqualTo("13d8764ec0f37ccafc124abe26c1fc806a8c86e9a8a98587e5dab04a2716564c"));

        var ca = NebulaCertInfo.FromJson(Fixture("1.11.0-v2-ca.json"));
        Assert.That((ca.IsCa, ca.Version, ca.Ips.Count, ca.Groups.Count), Is.EqualTo((true, 2, 0, 0)), "a v2 CA prints null lists");
        Assert.That(NebulaCertInfo.FromJson(Fixture("1.6.1-v1-ca.json")).IsCa, Is.True);
    }

    [Test]
    public void SigningSpeaksEachReleasesFlags()
    {
        var sign = new NebulaCertSignSettings("host-a", "10.100.1.1/16", "ca.crt", "ca.key", "host.crt") { Subnets = ["10.101.1.0/24"] };
        Assert.That(sign.Arguments(), Is.SupersetOf(new[] { "-ip", "-subnets" }).And.None.EqualTo("-networks"));
        Assert.That((sign with { NetworksFlags = true }).Arguments(), Is.SupersetOf(new[] { "-networks", "-unsafe-networks" }).And.None.EqualTo("-ip"));
        Assert.That(new NebulaCertCaSettings("ca", "ca.crt", "ca.key") { CertificateVersion = 1 }.Arguments(), Is.SupersetOf(new[] { "-version", "1" }));
    }

    // The real releases: each signs a host of a CA of the version it makes, and reads the result back.
    [TestCase("1.6.1", null, 1)]
    [TestCase("1.9.3", null, 1)]
    [TestCase("1.11.0", 1, 1)]
    [TestCase("1.11.0", 2, 2)]
    [TestCase("1.11.0", null, 2)]
    public void EveryReleaseSignsWhatTheInventorySays(string release, int? caVersion, int expected)
    {
        using var ws = new TestWorkspace();
        var cli = new NebulaCert(TestWorkspace.Nebula(release, "nebula-cert"));
        string P(string f) => Path.Combine(ws.Root, f);
        cli.Ca(new NebulaCertCaSettings("ca", P("ca.crt"), P("ca.key")) { CertificateVersion = caVersion });
        cli.Sign(new NebulaCertSignSettings("host-b", "10.100.2.1/16", P("ca.crt"), P("ca.key"), P("host.crt"))
            { OutKey = P("host.key"), Groups = ["flatnet"], Subnets = ["10.101.2.0/24"] });
        var info = cli.Print(P("host.crt"));
        Assert.That((info.Version, cli.Print(P("ca.crt")).Version), Is.EqualTo((expected, expected)));
        Assert.That((info.Ips[0], info.Subnets[0], info.Groups[0]), Is.EqualTo(("10.100.2.1/16", "10.101.2.0/24", "flatnet")));
        Assert.That(cli.Verify(P("ca.crt"), P("host.crt")).Ok, Is.True);
    }

    [Test]
    public void AnOldNebulaCertFacedWithAV2CertificateSaysSoAndHowToFixIt()
    {
        using var ws = new TestWorkspace();
        var crt = Path.Combine(ws.Root, "ca.crt");
        new NebulaCert(TestWorkspace.Nebula("1.11.0", "nebula-cert")).Ca(new NebulaCertCaSettings("ca", crt, Path.Combine(ws.Root, "ca.key")) { CertificateVersion = 2 });
        var e = Assert.Throws<FlatnetException>(() => new NebulaCert(TestWorkspace.Nebula("1.6.1", "nebula-cert")).Print(crt))!;
        Assert.That(e.Message, Does.Contain("nebula-cert 1.6.1").And.Contain("v2 certificate").And.Contain("fix: use nebula-cert 1.10 or later"));
    }
}
