using Flatnet.Platforms;
using Flatnet.Rendering;
using Flatnet.Transport;
using Flatnet.Files;

namespace Flatnet.Verification;

/// <summary>
/// Convergence, judged by the host: a host counts as current only when it reports, as installed and routed
/// (ROOT/installed-manifest.json), the manifest of the bundle built for it here, never because a local zip did not change.
/// </summary>
public static class InstalledBundle
{
    /// <summary>
    /// A host installed by hand (deploy.transport none) cannot report what it runs: a person says so instead
    /// (--manual-steps-done), and the bundle they confirmed is recorded here, by its manifest's SHA-256.
    /// </summary>
    public static string ByHandPath(Workspace workspace, string host) => Path.Combine(workspace.HostDirectory(host), "installed-by-hand");

    public static bool IsConfirmedByHand(Workspace workspace, string host) =>
        InputFiles.Sha256OfOwnFile(Path.Combine(workspace.BundleDirectory(host), "manifest.json")) is { } manifest // a link or a FIFO there vouches for nothing
        && InputFiles.SmallRecord(ByHandPath(workspace, host), 1024)?.Trim() is { } recorded // a link, a FIFO or a huge file is no confirmation
        && recorded == manifest;

    /// <summary>
    /// --manual-steps-done for <paramref name="host"/>: its bundle is recorded as installed by hand, unless this run
    /// wrote it (<paramref name="writtenThisRun"/>): nobody can have installed a bundle made a moment ago. Returns whether it is confirmed now.
    /// </summary>
    public static bool Confirm(Workspace workspace, string host, bool writtenThisRun)
    {
        if (IsConfirmedByHand(workspace, host)) return true;
        if (writtenThisRun) return false;
        ConfirmByHand(workspace, host);
        return true;
    }

    public static void ConfirmByHand(Workspace workspace, string host)
    {
        StateShapes.RequireOursOrNothing(ByHandPath(workspace, host), StateShapes.Of("installed-by-hand")!);
        SafeFiles.WriteAllText(ByHandPath(workspace, host), (InputFiles.Sha256OfOwnFile(Path.Combine(workspace.BundleDirectory(host), "manifest.json"))
            ?? throw new StateConflict($"{Workspace.Relative(workspace.BundleDirectory(host))} holds no manifest.json of flatnet's to confirm", $"./build.sh --target=PackageAll builds {host}'s bundle again")) + "\n");
    }

    public static bool IsCurrent(string bundleDirectory, HostModel model, HostPlatform platform, IHostConnection connection)
    {
        var manifest = Path.Combine(bundleDirectory, "manifest.json");
        return InputFiles.SmallRecord(manifest, InputFiles.StateLimit) is { } built && platform.InstalledManifest(model, connection) == built;
    }
}
