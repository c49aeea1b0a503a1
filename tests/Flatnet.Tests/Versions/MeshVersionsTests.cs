using Flatnet.Versions;

namespace Flatnet.Tests.Versions;

/// <summary>Which CA a mesh can use, from the releases its daemons run.</summary>
public class MeshVersionsTests
{
    private static readonly NebulaVersion V161 = new(1, 6, 1), V193 = new(1, 9, 3), V1110 = new(1, 11, 0);

    private static MeshVersions Mesh(NebulaVersion? lighthouse, params NebulaVersion?[] hosts) => new(
        new[] { new Daemon("lighthouse", "lighthouse", lighthouse, "hosts/network.yaml: lighthouses: nebula_version") }
            .Concat(hosts.Select((v, i) => new Daemon($"host-{(char)('a' + i)}", "host", v, $"hosts/host-{(char)('a' + i)}.yaml: nebula_version")))
            .ToList());

    [Test]
    public void AV2CaIsRefusedNamingEveryDaemonTooOldToReadIt()
    {
        var refusal = Mesh(V161, V1110, V193, null).Refusal(2, "pki/ca.crt")!.Message;
        Assert.That(refusal, Does.Contain("the CA pki/ca.crt is a v2 certificate, which Nebula before 1.10.0 cannot read"));
        Assert.That(refusal, Does.Contain("lighthouse runs 1.6.1 (hosts/network.yaml: lighthouses: nebula_version)"));
        Assert.That(refusal, Does.Contain("host host-b runs 1.9.3 (hosts/host-b.yaml: nebula_version)"));
        Assert.That(refusal, Does.Not.Contain("host-a").And.Not.Contain("host-c"), "1.11.0 reads v2; an undeclared version is asked at deploy");
        Assert.That(refusal, Does.Contain("fix: upgrade those daemons to Nebula 1.10 or later, or use a v1 CA").And.Contain("nebula-cert ca -version 1"));
    }

    [Test]
    public void AV1CaSuitsEveryRelease() => Assert.That(Mesh(V161, V1110, V193).Refusal(1, "pki/ca.crt"), Is.Null);

    [Test]
    public void ANewCaIsV2OnlyWhenEveryDaemonIsKnownToReadIt()
    {
        Assert.That(Mesh(V1110, V1110, V1110).ChooseCaVersion(V1110).Version, Is.EqualTo(2));
        var (version, reason) = Mesh(V161, V1110).ChooseCaVersion(V1110);
        Assert.That((version, reason), Is.EqualTo((1, "every Nebula reads v1, and lighthouse 1.6.1 cannot read v2")));
        (version, reason) = Mesh(V1110, V1110, null).ChooseCaVersion(V1110);
        Assert.That(version, Is.EqualTo(1));
        Assert.That(reason, Does.Contain("host-b declare no nebula_version"));
        Assert.That(Mesh(V1110, V1110).ChooseCaVersion(V193), Is.EqualTo((1, "nebula-cert 1.9.3 makes v1 certificates only")));
    }
}
