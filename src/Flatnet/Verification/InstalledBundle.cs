using Flatnet.Platforms;
using Flatnet.Rendering;
using Flatnet.Transport;

namespace Flatnet.Verification;

/// <summary>
/// Convergence, judged by the host: a host counts as current only when it reports, as installed and routed
/// (ROOT/installed-manifest.json), the manifest of the bundle built for it here, never because a local zip did not change.
/// </summary>
public static class InstalledBundle
{
    public static bool IsCurrent(string bundleDirectory, HostModel model, HostPlatform platform, IHostConnection connection)
    {
        var manifest = Path.Combine(bundleDirectory, "manifest.json");
        return File.Exists(manifest) && platform.InstalledManifest(model, connection) == File.ReadAllText(manifest);
    }
}
