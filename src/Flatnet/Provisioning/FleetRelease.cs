using Flatnet.Output;
using Flatnet.Inventory;
using Flatnet.Bundles;
using Flatnet.Files;
using Flatnet.Pki;

namespace Flatnet.Provisioning;

public sealed record ReleaseOutcome(string Path, bool Written, IReadOnlyList<string> Changes);

/// <summary>
/// Release: PackageAll, then artifacts/releases/flatnet-VERSION.zip with every bundle, the inventory it
/// was made from and a changelog against the previous release. Reproducible: the same inventory and version give
/// the same bytes. A release is made to be handed around, so bundles carrying a private key need --include-keys.
/// </summary>
public static class FleetRelease
{
    public static ReleaseOutcome Release(FlatnetContext context, string? version, bool includeKeys = false)
    {
        if (version is null || !ReleaseArchive.VersionPattern().IsMatch(version))
            throw new UsageError($"'{Grammar.Shown(version ?? "")}' is not a version like 1.2.0", "pass --release=MAJOR.MINOR.PATCH (Semantic Versioning: numbers without leading zeros, up to six digits each), with an optional pre-release (1.2.0-rc.1), no +build", "--release");
        var packed = FleetPackaging.PackageAll(context);
        var plan = context.Plan;
        // A host still to make its key has no bundle yet: the release ships the others and names it.
        var hosts = packed.Where(r => r.Pending is null).Select(r => r.Host).ToList();
        var pending = packed.Where(r => r.Pending is not null).ToList();
        // The very zips that ship are inspected, not the unpacked folders beside them: each is read once, and shipped
        // only when those bytes are the ones PackageAll just checked against a fresh assembly (a zip swapped on disk
        // in between is refused, never shipped).
        var bundles = packed.Where(r => r.Pending is null).Select(r => (Host: r.Host, Zip: Checked(context, r))).ToList();
        var withKeys = bundles.Where(b => ReleaseArchive.PrivateKeysIn(b.Zip).Count > 0).Select(b => b.Host).ToList();
        if (withKeys.Count > 0 && !includeKeys)
            throw new FlatnetException($"the bundles of {string.Join(", ", withKeys)} carry their private key (made here), and a release is for handing around",
                fix: "set keygen_on_host: true for those hosts (the key stays on the host), or pass --include-keys and keep the release secret");
        if (withKeys.Count > 0)
            context.Log.Warn($"release {version} carries the private keys of {string.Join(", ", withKeys)} (--include-keys): whoever gets it can join the mesh as " +
                             "those hosts; it is written owner-only: hand it only to the people who install them, over a channel you trust, and never publish it");
        var folder = context.Workspace.ReleasesDirectory;
        var path = Path.Combine(folder, $"flatnet-{version}.zip");
        using var previous = Previous(folder, version);
        var certificates = hosts.ToDictionary(h => h, h => HostCertificates.SignedNow(context.Workspace, context.NebulaCert, h)
            ?? throw new StateConflict($"{h} has a bundle but no certificate in {Workspace.Relative(context.Workspace.PkiDirectory(h))}", "run ./build.sh --target=PackageAll, then Release again"));
        var snapshot = ReleaseArchive.Snapshot(plan, hosts.ToHashSet(), context.Ca.TrustedFingerprints(), certificates, bundles.ToDictionary(b => b.Host, b => Digest.Sha256(b.Zip)));
        var changelog = ReleaseArchive.Changelog(previous?.Snapshot, snapshot);
        var zip = ReleaseArchive.Build(version, bundles, snapshot, changelog, FlatnetBuild.Version, withKeys.Count > 0, previous);
        if (File.Exists(path))
        {
            // A FIFO or a device there is someone's, never read (battery 44: its fix asked for a path nobody had given).
            if (InputFiles.NotRegular(path) is { } why)
                throw new StateConflict($"{Workspace.Relative(path)} is {why}, where release {version} goes; nothing was written", "move it aside (flatnet did not make it), then run Release again", Workspace.Relative(path));
            if (InputFiles.ReadAllBytes(path, InputFiles.ZipLimit, "the release").AsSpan().SequenceEqual(zip))
            {
                context.Log.Info($"release {version}: {Workspace.Relative(path)} is up to date");
                return new ReleaseOutcome(path, false, changelog);
            }
            throw new FlatnetException($"release {version} already exists at {Workspace.Relative(path)} with other contents",
                fix: "pick a new --release; a published version never changes");
        }
        context.ClaimArtifacts();
        SafeFiles.WriteFile(path, temp => File.WriteAllBytes(temp, zip), secret: withKeys.Count > 0);
        // PackageAll named each pending host and why; the release says which it leaves out, once.
        if (pending.Count > 0)
            context.Log.Info(TextWidth.Wrap($"release {version}: not in it yet: {string.Join(", ", pending.Select(r => r.Host))} (pending, as PackageAll said above)", "  "));
        context.Log.Info($"release {version}: {Workspace.Relative(path)}, {hosts.Count} bundle(s)" +
                         (previous is null ? "" : $", changes since {System.IO.Path.GetFileNameWithoutExtension(previous.Path)}:") + "\n" + string.Join("\n", changelog));
        return new ReleaseOutcome(path, true, changelog);
    }

    /// <summary>
    /// The release before <paramref name="version"/>, checked against itself (<see cref="ReleaseZip"/>) and against its
    /// name: what is not a release of flatnet's never writes this one's changelog.
    /// </summary>
    private static ReleaseZip? Previous(string folder, string version)
    {
        if (ReleaseArchive.Previous(folder, version) is not { } path) return null;
        var shown = Workspace.Relative(path);
        FlatnetException NotOurs(string why) => new($"{shown} is not a release of flatnet's ({why}), so the changes since it cannot be read",
            $"move it out of {Workspace.Relative(folder)} (flatnet never deletes a release), then run this again");
        return ReleaseZip.Open(path, NotOurs);
    }

    /// <summary>The bundle zip of <paramref name="packed"/>'s host, read once; refused unless it is the zip PackageAll checked.</summary>
    public static byte[] Checked(FlatnetContext context, PackedHost packed)
    {
        var path = context.Workspace.BundlePath(packed.Host);
        var zip = InputFiles.ReadAllBytes(path, InputFiles.ZipLimit, $"{packed.Host}'s bundle");
        if (Digest.Sha256(zip) != packed.ZipSha256)
            throw new StateConflict($"{Workspace.Relative(path)} changed on disk after PackageAll checked it (something else writes there); nothing was released",
                "stop whatever writes into artifacts/bundles, then run Release again", Workspace.Relative(path));
        return zip;
    }
}
