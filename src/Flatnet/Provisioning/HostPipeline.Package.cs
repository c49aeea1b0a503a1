using Flatnet.Output;
using Flatnet.Bundles;
using Flatnet.Rendering;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>What PackageBundle did; Bundle is null when nothing the bundle is made from changed (and the zip on disk is exactly it).</summary>
/// <param name="ZipSha256">the SHA-256 of the zip this run checked (or wrote) byte for byte: what may ship.</param>
public sealed record BundleOutcome(HostBundle? Bundle, bool Written, string ZipSha256);

/// <summary>
/// Package (PackageBundle): renders the host's files, checks its config with `nebula -test`, and writes
/// artifacts/hosts/NAME/bundle/ and artifacts/bundles/NAME.zip. Needs a current certificate (GenerateCert). An
/// unchanged bundle is not rewritten.
/// </summary>
public static partial class HostPipeline
{
    public static BundleOutcome Package(FlatnetContext context, string host)
    {
        var plan = context.Plan;
        var h = plan.Host(host);
        if (WhyNotCurrent(context, h) is { } why)
            throw new FlatnetException($"{host}: cannot package: {why}.", fix: $"./build.sh --target=GenerateCert --host={host} (AddHost and PackageBundle run it first)");

        var model = context.Model(h);
        var pki = context.Workspace.PkiDirectory(host);
        // Its folders are read (the certificates, the bundle on disk) only where no link leads (battery 40: through a link at
        // artifacts/hosts/HOST, another tree's pki/ was trusted and chmod-ed), as RenderAll and signing refuse one.
        SafeFiles.RequireNoLinkOnTheWay(pki);
        SafeFiles.RequireNoLinkOnTheWay(context.Workspace.BundleDirectory(host));
        var check = context.ConfigCheck;
        var checker = context.NebulaFor(h.Name, h.Host.NebulaVersion);
        var trustedCas = context.Ca.TrustedPem();
        var certificates = BundleCertificates(pki, trustedCas).ToList();
        var versions = new BundleVersions(FlatnetBuild.Version, context.NebulaCert.Version.ToString(), checker.Version.ToString());
        var platform = context.Platform(h);
        var inputs = BundleInputs.Of(model, context.PeerRoutes.Fingerprint, context.TemplatesFingerprint, context.BuildIdentity, certificates,
            context.ShippedNebulaFingerprint(platform), versions);
        var zipPath = context.Workspace.BundlePath(host);
        // Built means: made from these inputs, and the zip still holds those very bytes. The folder DeployHost uploads
        // is checked file by file against the bundle (IsOnDisk), so what else it holds (the user's) never makes it stale.
        var folder = context.Workspace.BundleDirectory(host);
        var outputs = new Dictionary<string, string> { ["zip"] = zipPath };
        var record = BuildRecord.Read(context.Workspace, host, "bundle");
        // Packed already in this run from these very inputs, and its zip and folder are still what was packed (a
        // rollout checks a host's bundle, then provisions it): nothing to assemble or say again.
        if (context.PackedThisRun(host, inputs) is { } earlier && record is not null && record.Holds(inputs, outputs) && BundleFolder.Problem(folder) is null)
            return earlier with { Written = false };
        // The bundle is assembled again (same inputs, same bytes) and the zip and folder on disk must be exactly it: a
        // record anyone could write never vouches for a zip, nor spares nebula -test.
        var bundle = HostBundle.Assemble(model, context.Render(model), certificates.Concat(context.ShippedNebula(platform)), versions);
        var zip = bundle.ToZip();
        // A key others were let read since it was made (a chmod, a copy tool) is theirs to copy: closed, and said; the
        // zip and folder only while they hold this very bundle (battery 31: a user's file there was chmod-ed too).
        RequireFlatnetsZip(zipPath); // before it is read (battery 42: a FIFO there), and long before anything is written
        var onDisk = IsOnDisk(bundle, zip, zipPath, folder);
        // pki/host.key is flatnet's only while it holds a Nebula key: anything else there is named, never chmod-ed or
        // packed (battery 35: a note there was made owner-only, "its private key", then nebula -test failed on it).
        StateShapes.RequireOursOrNothing(Path.Combine(pki, "host.key"), StateShapes.Of("pki/host.key")!);
        if (SafeFiles.CloseToOthers([pki, Path.Combine(pki, "host.key"), .. bundle.ContainsPrivateKey && onDisk ? new[] { zipPath, folder, Path.Combine(folder, "host.key") } : []]) is { Count: > 0 } opened)
            context.Log.Warn($"{host}: others could read {string.Join(", ", opened)}, which hold its private key; made owner-only again. If someone did read it, give {host} a new key: ./build.sh --target=GenerateCert --host={host} --force");
        // nebula -test is spared only when this account's own cache says it passed on this very bundle with this very
        // release: the record in the working tree is a SHA-256 anyone can compute (battery 28).
        var tested = $"{Digest.Sha256(zip)}.nebula-test.{checker.Version}";
        if (record is not null && record.Holds(inputs, outputs) && onDisk && AccountMemos.Has(tested))
        {
            context.Log.Info($"{host}: bundle is up to date ({Workspace.Relative(zipPath)}: nothing it is made from changed); nothing written.");
            WarnAboutWhatIsNotTheBundle(context, bundle, folder);
            return context.Packed(host, inputs, new BundleOutcome(null, false, Digest.Sha256(zip)));
        }

        check.Run(model, pki, trustedCas, checker);
        AccountMemos.Write(tested, "");
        context.ClaimArtifacts();
        if (record is not null && onDisk)
        {
            // Another flatnet or a change that leaves every byte as it was: only the record is new.
            BuildRecord.Of(inputs, outputs).Write(context.Workspace, host, "bundle");
            context.Log.Info($"{host}: bundle is up to date ({Workspace.Relative(zipPath)}; its config passes nebula -test); nothing written.");
            WarnAboutWhatIsNotTheBundle(context, bundle, folder);
            return context.Packed(host, inputs, new BundleOutcome(bundle, false, Digest.Sha256(zip)));
        }
        BuildRecord.RequireOursOrNothing(context.Workspace, host, "bundle");
        context.BundleWritten(host);
        SafeFiles.ReplaceDirectory(folder, bundle.WriteTo, context.Log, whyItMatters: NotTheBundle);
        SafeFiles.WriteFile(zipPath, temp => File.WriteAllBytes(temp, zip), secret: bundle.ContainsPrivateKey);
        BuildRecord.Of(inputs, outputs).Write(context.Workspace, host, "bundle");
        context.Log.Info($"{host}: bundle {Workspace.Relative(zipPath)} ({bundle.Files.Count} files, config passes nebula -test)" +
                         (!bundle.ContainsPrivateKey ? "; no private key inside"
                             : "; it carries host.key (made here), so it is owner-only" + (SaidOnce.First("bundle carries a key") ? ": move such a bundle to its host over a secure channel only" : "")));
        return context.Packed(host, inputs, new BundleOutcome(bundle, true, Digest.Sha256(zip)));
    }

    /// <summary>
    /// Whether the zip on disk is <paramref name="zip"/> byte for byte, and the folder DeployHost uploads holds every
    /// file of the bundle as it is, and no file flatnet wrote there that the bundle no longer has. Anything else in it
    /// is the user's: kept, and named at every run (<see cref="WarnAboutWhatIsNotTheBundle"/>); DeployHost uploads the
    /// folder only while it holds the bundle alone (battery 20: a script planted there was "up to date", and travelled).
    /// </summary>
    private static bool IsOnDisk(HostBundle bundle, byte[] zip, string zipPath, string folder) =>
        File.Exists(zipPath) && !TempFolders.IsLink(zipPath) && InputFiles.ReadAllBytes(zipPath, InputFiles.ZipLimit, "the host's bundle").AsSpan().SequenceEqual(zip) &&
        Directory.Exists(folder) && !TempFolders.IsLink(folder) && SafeFiles.Beside(folder, bundle.Files.Select(f => f.Path).ToHashSet()).Stale.Count == 0 &&
        bundle.Files.All(f => Path.Combine(folder, f.Path) is var path && File.Exists(path) && InputFiles.NotRegular(path) is null
                              && new FileInfo(path).Length == f.Content.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(f.Content));

    /// <summary>
    /// What is at the zip's path is a bundle of flatnet's (a zip with SHA256SUMS and a manifest.json that records which
    /// flatnet made it), or nothing: a file of the user's there, even an empty one or another zip, is never replaced
    /// (batteries 31, 32).
    /// </summary>
    internal static void RequireFlatnetsZip(string zipPath)
    {
        if (!File.Exists(zipPath) || TempFolders.IsLink(zipPath) || BundleFolder.IsBundleZip(zipPath)) return; // a link is replaced by the rename, never followed
        throw new StateConflict($"{Workspace.Relative(zipPath)} is {(InputFiles.NotRegular(zipPath) is { } why ? why + "," : "a file of yours")} where flatnet writes the host's bundle (no bundle of flatnet's); nothing was changed",
            "move it aside (flatnet did not write it), then run this again", Workspace.Relative(zipPath));
    }

    private const string NotTheBundle = ". DeployHost uploads that folder only when it holds the bundle alone: move it out before deploying";

    /// <summary>What the bundle folder holds beside the bundle, each named with why it matters; battery 29: it was rebuilt at every run instead, without a word why.</summary>
    private static void WarnAboutWhatIsNotTheBundle(FlatnetContext context, HostBundle bundle, string folder)
    {
        foreach (var entry in SafeFiles.Beside(folder, bundle.Files.Select(f => f.Path).ToHashSet()).Foreign)
            context.Log.Warn($"{Terminal.OneLine(Workspace.Relative(Path.Combine(folder, entry)))} is not flatnet's; left as it is{NotTheBundle}");
    }

    /// <summary>The host's certificate (and key, when made here), and ca.crt: the CAs every config trusts (both, during a CA rotation).</summary>
    private static IEnumerable<RenderedFile> BundleCertificates(string pki, byte[] trustedCas) =>
        new[] { new RenderedFile("ca.crt", trustedCas, RenderedFile.Regular) }.Concat(
            new[] { "host.crt", "host.key" }.Where(n => File.Exists(Path.Combine(pki, n)))
                .Select(n => new RenderedFile(n, InputFiles.ReadAllBytes(Path.Combine(pki, n), InputFiles.KeyLimit, $"the host's {n}"), n.EndsWith(".key") ? RenderedFile.Secret : RenderedFile.Regular)));

}
