namespace Flatnet;

/// <summary>
/// Which flatnet this is, for the caches (bundle.inputs, render.inputs): a new build of the library is a new identity,
/// so a fix to an encoder in C# reaches every bundle and render, which are then made again (and written only where
/// their bytes changed). The module version id of a deterministic build follows the source, and the templates are
/// hashed on their own.
/// </summary>
public static class FlatnetBuild
{
    /// <summary>flatnet's release number, as bundles and releases record it (their bytes do not change with every build).</summary>
    public static string Version { get; } =
        typeof(FlatnetBuild).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    public static string Identity { get; } =
        Digest.Sha256(System.Text.Encoding.UTF8.GetBytes(typeof(FlatnetBuild).Assembly.ManifestModule.ModuleVersionId.ToString("N") + " " + Version));
}
