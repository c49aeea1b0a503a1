using Flatnet.Transport;
using Flatnet.Verification;

namespace Flatnet.Workflows;

/// <summary>VerifyPing: the ping matrix over the mesh and what the live state says of it, printed, kept as JSON and drawn.</summary>
public sealed class VerifyPingTask : FlatnetTask
{
    public override string Name => "VerifyPing";
    public override string Description => "Ping matrix: hosts and WSL2s to every other host's Nebula IP and WSL2; table + artifacts/verify/ping-matrix.json.";
    public override bool Writes => false;

    public override void Run(FlatnetContext context) => Verify(context);

    public static string MatrixPath(FlatnetContext context) => Path.Combine(context.Workspace.ArtifactsDirectory, "verify", "ping-matrix.json");

    /// <summary>
    /// Every deployable host (or only <paramref name="hosts"/>) and its WSL2 to every other's Nebula IP and WSL2;
    /// written to artifacts/verify/ping-matrix.json. Throws naming the failing pairs and what the live state says of them.
    /// </summary>
    public static PingMatrix Verify(FlatnetContext context, IEnumerable<string>? hosts = null)
    {
        var plan = context.Plan;
        var selected = (hosts?.Select(plan.Host) ?? plan.Deployable).ToList();
        var connections = new Dictionary<string, IHostConnection>();
        try
        {
            foreach (var h in selected) connections[h.Name] = context.Connect(h);
            var matrix = new MeshVerifier(plan, context.Model, context.Platform, context.Admin, Path.Combine(context.Workspace.ArtifactsDirectory, "lighthouses")).Run(selected, connections);
            matrix = matrix with { Lighthouses = new LighthouseCheck(plan, context.Workspace.ArtifactsDirectory, (h, c) => UpdatePeersTask.RunsBuiltBundle(context, h, c)).Check(matrix, connections) };
            context.ClaimArtifacts();
            SafeFiles.WriteAllText(MatrixPath(context), matrix.ToJson());
            context.Log.Info("ping matrix (" + Workspace.Relative(MatrixPath(context)) + "):\n" + matrix.ToTable());
            context.Log.Info($"the mesh at a glance: {Workspace.Relative(MeshReport.Write(context.Workspace.ArtifactsDirectory, MeshPicture.FromMatrix(plan, matrix)))}");
            if (matrix.Diagnoses.Any(d => d.Contains("relay.am_relay: true on", StringComparison.Ordinal)))
                RenderLighthouseConfigs(context);
            if (matrix.Failures.Count > 0)
                throw new VerificationFailed($"{matrix.Failures.Count} of {matrix.Results.Count} pings failed: " +
                                           string.Join("; ", matrix.Failures.Select(f => $"{f.From} -> {f.To} ({f.Target}){(f.Detail.Length > 0 ? ": " + f.Detail : "")}")) +
                                           string.Concat(matrix.Findings.Select(d => "\n  " + d)),
                    matrix.Diagnoses.Count > 0 ? null
                        : "check both hosts' nebula logs, `setup-routing.ps1 -Check` / `wsl-routing.sh --check`, and the firewall");
            return matrix;
        }
        finally
        {
            foreach (var c in connections.Values) c.Dispose();
        }
    }

    /// <summary>The diagnosis points at the lighthouse's config: make sure it is there. Its absence must not hide the diagnosis.</summary>
    private static void RenderLighthouseConfigs(FlatnetContext context)
    {
        try
        {
            LighthouseConfigs.Render(context);
        }
        catch (FlatnetException e)
        {
            context.Log.Warn($"the lighthouse's config could not be rendered for its operator: {e.Problem}");
        }
    }
}
