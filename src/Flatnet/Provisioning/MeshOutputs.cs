using Flatnet.Files;
using Flatnet.Output;
using Flatnet.Verification;

namespace Flatnet.Provisioning;

/// <summary>
/// What Status and VerifyPing write about the mesh: a JSON document, the HTML report, metrics. Each file there is
/// flatnet's, or none of them is written (battery 32: a user's file at one of their paths was replaced).
/// </summary>
internal static class MeshOutputs
{
    public static void RequireOurs(FlatnetContext context, string document, string metrics, string? metricsTarget)
    {
        SafeFiles.RequireOursOrNothing(document, JsonOutput.Shape);
        SafeFiles.RequireOursOrNothing(MeshReport.PathIn(context.Workspace.ArtifactsDirectory), MeshReport.Shape);
        Metrics.RequireOurs(context, metrics, metricsTarget);
    }
}
