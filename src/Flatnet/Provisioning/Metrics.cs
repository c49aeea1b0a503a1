using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// Where the mesh's metrics go (<see cref="Verification.MeshMetrics"/>): artifacts/verify/NAME always, and the file
/// --metrics names (a textfile collector's folder, say) too. Each is written under a new name and renamed, as the
/// collector asks, so it never reads half a file; a link there is replaced, never written through.
/// </summary>
public static class Metrics
{
    public static string PathOf(FlatnetContext context, string name) => Path.Combine(context.Workspace.ArtifactsDirectory, "verify", name);

    public static void Write(FlatnetContext context, string name, string text)
    {
        SafeFiles.WriteAllText(PathOf(context, name), text);
        if (context.Arguments.Value("metrics") is { Length: > 0 } file)
        {
            SafeFiles.WriteAllText(file, text);
            context.Log.Info($"metrics: {file}");
        }
    }
}
