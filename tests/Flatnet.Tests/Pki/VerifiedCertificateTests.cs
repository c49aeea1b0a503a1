namespace Flatnet.Tests;

/// <summary>
/// What nebula-cert said of a certificate, and nebula -test of a bundle's config, is kept in this account's cache to
/// spare it the next time: a saving, never a condition. A cache that cannot be written costs nothing but time; one others may write is never believed.
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

    /// <summary>Battery 9: the cache was never pruned (54,000 memos after a day of test runs): a run keeps it bounded.</summary>
    [Test]
    public void TheCacheIsKeptBoundedAndAYearOldMemoGoes()
    {
        using var ws = new TestWorkspace();
        var cache = Path.Combine(ws.Root, "cache");
        var folder = Path.Combine(cache, "flatnet", "verified");
        Directory.CreateDirectory(folder);
        var old = Path.Combine(folder, "old.print.json");
        File.WriteAllText(old, "{}");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-400));
        for (var i = 0; i < global::Flatnet.Pki.VerifiedCertificate.MaxMemos + 50; i++) File.WriteAllText(Path.Combine(folder, $"{i:x8}.print.json"), "{}");
        WithCache(cache, () => ws.ControlPlane().GenerateCert("host-b", force: true));
        Assert.That(File.Exists(old), Is.False);
        Assert.That(Directory.GetFiles(folder), Has.Length.LessThanOrEqualTo(global::Flatnet.Pki.VerifiedCertificate.MaxMemos), "pruned before the run writes, with room for its own records (battery 11: one over)");
    }

    /// <summary>Battery 8: memos in a folder another account made (a shared XDG_CACHE_HOME) vouched for a certificate of another CA.</summary>
    [Test]
    public void ACacheAnotherAccountOwnsOrOneReachedThroughALinkIsNeverBelieved()
    {
        using var ws = new TestWorkspace();
        var good = Path.Combine(ws.Root, "good");
        var pki = global::Flatnet.Pki.HostCertificates.OwnPkiDirectory(ws.Workspace, "host-b");
        var caCrt = Path.Combine(ws.Root, "pki", "ca.crt");
        WithCache(good, () => ws.ControlPlane().GenerateCert("host-b", force: true));

        // The same memos, in folders owned by nobody (mode 0755: nobody else may write there, but nobody could have).
        var foreign = Path.Combine(ws.Root, "foreign");
        Directory.CreateDirectory(Path.Combine(foreign, "flatnet", "verified"));
        foreach (var memo in Directory.GetFiles(Path.Combine(good, "flatnet", "verified")))
            File.Copy(memo, Path.Combine(foreign, "flatnet", "verified", Path.GetFileName(memo)));
        var chown = global::Flatnet.Processes.ProcessRunner.Run("chown", ["-R", "nobody", foreign]);
        Assert.That(chown.ExitCode, Is.EqualTo(0), "the suite runs as root (CI does): " + chown.StdErr);
        WithCache(foreign, () => Assert.That(global::Flatnet.Pki.VerifiedCertificate.Recall(pki, caCrt), Is.Null, "another account's folder vouches for nothing"));

        // ~/.cache/flatnet as a link to a folder with the right memos: not believed either.
        var linked = Path.Combine(ws.Root, "linked");
        Directory.CreateDirectory(linked);
        Directory.CreateSymbolicLink(Path.Combine(linked, "flatnet"), Path.Combine(good, "flatnet"));
        WithCache(linked, () => Assert.That(global::Flatnet.Pki.VerifiedCertificate.Recall(pki, caCrt), Is.Null, "a link may lead anywhere"));
        WithCache(good, () => Assert.That(global::Flatnet.Pki.VerifiedCertificate.Recall(pki, caCrt), Is.Not.Null, "this account's own folder is believed"));
    }
    /// <summary>
    /// Battery 28: the bundle's record in the working tree (artifacts/hosts/H/bundle.inputs) is a plain SHA-256 of inputs
    /// anyone can compute, so one written by hand could spare nebula -test. Only this account's own cache says that a
    /// bundle's config passed nebula -test; with another cache (or none), the same tree and record check it again.
    /// </summary>
    [Test]
    public void OnlyThisAccountsCacheSparesNebulaTestNeverTheWorkingTreesRecord()
    {
        using var ws = new TestWorkspace();
        var cache = Path.Combine(ws.Root, "cache");
        WithCache(cache, () => { ws.ControlPlane().GenerateCert("host-b"); ws.ControlPlane().PackageBundle("host-b"); });
        ws.Log.Lines.Clear();
        WithCache(Path.Combine(ws.Root, "another-cache"), () => ws.ControlPlane().PackageBundle("host-b"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-b: bundle is up to date").And.Contains("its config passes nebula -test"));
        Assert.That(ws.Log.Lines, Has.None.Contains("nothing it is made from changed"));
        ws.Log.Lines.Clear();
        WithCache(cache, () => ws.ControlPlane().PackageBundle("host-b"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-b: bundle is up to date").And.Contains("nothing it is made from changed"), "this account checked it before");
    }
    /// <summary>The same for the config of a lighthouse flatnet does not manage: its files as rendered never spare nebula -test for an account that never ran it.</summary>
    [Test]
    public void ALighthouseConfigIsCheckedOnceByEachAccount()
    {
        using var ws = new TestWorkspace();
        string[] Memos(string cache) => Directory.GetFiles(Path.Combine(cache, "flatnet", "verified"), "*.nebula-test-lighthouse.*");
        var mine = Path.Combine(ws.Root, "cache");
        WithCache(mine, () => ws.ControlPlane().PackageAll());
        Assert.That(Memos(mine), Has.Length.EqualTo(1));
        var another = Path.Combine(ws.Root, "another-cache");
        WithCache(another, () => ws.ControlPlane().PackageAll());
        Assert.That(Memos(another), Has.Length.EqualTo(1), "checked again: the files in the working tree vouch for nothing");
    }
}
