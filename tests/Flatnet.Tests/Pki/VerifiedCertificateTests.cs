namespace Flatnet.Tests;

/// <summary>
/// What nebula-cert said of a certificate is kept in this account's cache to spare it the next time: a saving, never
/// a condition. A cache that cannot be written costs nothing but time; one others may write is never believed.
/// </summary>
[NonParallelizable] // XDG_CACHE_HOME is the process's
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class VerifiedCertificateTests
{
    private static void WithCache(string cache, Action body)
    {
        var before = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", cache);
        try { body(); }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", before); }
    }

    /// <summary>A file where the cache's folder would be failed GenerateCert after it had replaced the key (battery 5).</summary>
    [Test]
    public void ACacheThatCannotBeWrittenNeverFailsARun()
    {
        using var ws = new TestWorkspace();
        var cache = Path.Combine(ws.Root, "cache-is-a-file");
        File.WriteAllText(cache, "x");
        WithCache(cache, () =>
        {
            Assert.DoesNotThrow(() => ws.ControlPlane().GenerateCert("host-b", force: true));
            Assert.DoesNotThrow(() => ws.ControlPlane().PackageBundle("host-b"));
        });
        Assert.That(File.ReadAllText(cache), Is.EqualTo("x"));
    }

    [Test]
    public void ACacheOthersMayWriteIsNeverBelieved()
    {
        using var ws = new TestWorkspace();
        var cache = Path.Combine(ws.Root, "cache");
        WithCache(cache, () =>
        {
            ws.ControlPlane().GenerateCert("host-b", force: true);
            var pki = global::Flatnet.Pki.HostCertificates.OwnPkiDirectory(ws.Workspace, "host-b");
            var caCrt = Path.Combine(ws.Root, "pki", "ca.crt");
            Assert.That(global::Flatnet.Pki.VerifiedCertificate.Recall(pki, caCrt), Is.Not.Null, "kept in an owner-only cache");
            File.SetUnixFileMode(Path.Combine(cache, "flatnet", "verified"), (UnixFileMode)0b111_111_111);
            Assert.That(global::Flatnet.Pki.VerifiedCertificate.Recall(pki, caCrt), Is.Null, "anyone could have written those memos");
        });
    }
}
