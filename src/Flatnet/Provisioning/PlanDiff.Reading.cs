using System.IO.Compression;
using Flatnet.Bundles;
using Flatnet.Files;
using Flatnet.Output;

namespace Flatnet.Provisioning;

/// <summary>Plan --diff's bounds on what it reads of a release: entries, bytes, all together.</summary>
public static partial class PlanDiff
{
    /// <summary>A baseline named by hand is held to the rules of what the run reads: another account's could hide a change from review (battery 22).</summary>
    private static string RequireOwn(FlatnetContext context, string release)
    {
        OwnTrees.Require(context.Workspace.Root, (release, "--against"));
        return release;
    }

    /// <summary>What every bundle of flatnet's holds, whatever its host.</summary>
    private static readonly string[] BundleOwnFiles = ["config.yaml", "host.crt", "manifest.json", "SHA256SUMS"];

    /// <summary>A bundle's entry name: a relative path of plain segments (scripts/flatnet-doctor.ps1), no "..", no drive, no backslash.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?!.*(^|/)\.\.?(/|$))[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\z")]
    private static partial System.Text.RegularExpressions.Regex PlainEntryName();

    /// <summary>A bundle holds a few dozen files (Nebula's Windows release included).</summary>
    private const int MaxBundleEntries = 1_000;

    /// <summary>A bundle's file is a few KiB (a config of a thousand peers, a few hundred): what inflates past this is no release of flatnet's.</summary>
    private const int MaxEntryBytes = 16 * 1024 * 1024;

    /// <summary>
    /// All of a release's bundles together: a thousand hosts' bundles are well under it (Nebula's binaries are not
    /// read). 300 entries of 15 MiB each, each under the entry's limit, took 8.9 GB before there was one (battery 5).
    /// </summary>
    private const long MaxReleaseBytes = 512L * 1024 * 1024;

    /// <summary>What is left to inflate of a release: every entry read takes from it.</summary>
    private sealed class InflateBudget(long bytes)
    {
        public long Left { get; set; } = bytes;
    }

    /// <summary>An entry's SHA-256 (<see cref="ReleaseZip.Sha256Of"/>) within what is left of <paramref name="budget"/>.</summary>
    private static string HashOf(ZipArchiveEntry entry, InflateBudget budget) => ReleaseZip.Sha256Of(entry, n =>
    {
        if ((budget.Left -= n) < 0)
            throw new UsageError($"the release's programs inflate past {InputFiles.ZipLimit / (1024 * 1024)} MiB together: not a release of flatnet's", "pass a flatnet-VERSION.zip from artifacts/releases", "--against");
    });

    /// <summary>An entry's bytes, at most <see cref="MaxEntryBytes"/> whatever its header claims (a crafted zip inflated 1.5 MB into 1.5 GiB), and within what is left of the release's <paramref name="budget"/>.</summary>
    private static byte[] Read(ZipArchiveEntry entry, InflateBudget budget)
    {
        using var stream = entry.Open();
        return InputFiles.ReadAtMost(stream, MaxEntryBytes,
            () => new UsageError($"{Terminal.OneLine(entry.FullName)} in the release inflates past {MaxEntryBytes / (1024 * 1024)} MiB: not a release of flatnet's", "pass a flatnet-VERSION.zip from artifacts/releases", "--against"),
            n =>
            {
                if ((budget.Left -= n) < 0)
                    throw new UsageError($"the release's bundles inflate past {MaxReleaseBytes / (1024 * 1024)} MiB together: not a release of flatnet's", "pass a flatnet-VERSION.zip from artifacts/releases", "--against");
            });
    }

    /// <summary>What a bundle ships besides its rendered files: the CAs every config trusts and Nebula's programs.</summary>
    private static bool IsShipped(string path) => path == "ca.crt" || path.StartsWith("nebula/", StringComparison.Ordinal);
}
