using Flatnet.Workflows;
using Flatnet.Deploy;

namespace Flatnet.Verification;

/// <summary>The verification workflow: VerifyPing, the ping matrix over the mesh, printed and kept as JSON.</summary>
public sealed class PingVerification(FlatnetContext context)
{
    public string MatrixPath => Path.Combine(context.Workspace.ArtifactsDirectory, "verify", "ping-matrix.json");

    /// <summary>
    /// Every deployable host (or only <paramref name="hosts"/>) and its WSL2 to every other's Nebula IP and WSL2;
    /// written to artifacts/verify/ping-matrix.json. Throws naming the failing pairs and what the live state says of them.
    /// </summary>
    public PingMatrix Verify(IEnumerable<string>? hosts = null)
    {
        var plan = context.Plan;
        var selected = (hosts?.Select(plan.Host) ?? plan.Deployable).ToList();
        var connections = new Dictionary<string, IHostConnection>();
        try
        {
            foreach (var h in selected) connections[h.Name] = HostConnections.Open(h.Host);
            var matrix = new MeshVerifier(plan, context.Model, context.Admin, Path.Combine(context.Workspace.ArtifactsDirectory, "lighthouses")).Run(selected, connections);
            matrix = matrix with { Lighthouses = new LighthouseCheck(context).Check(matrix, connections) };
            context.ClaimArtifacts();
            SafeFiles.WriteAllText(MatrixPath, matrix.ToJson());
            context.Log.Info("ping matrix (" + Workspace.Relative(MatrixPath) + "):\n" + matrix.ToTable());
            context.Log.Info($"the mesh at a glance: {Workspace.Relative(MeshReport.Write(context, MeshPicture.FromMatrix(plan, matrix)))}");
            if (matrix.Diagnoses.Any(d => d.Contains("relay.am_relay: true on", StringComparison.Ordinal)))
                RenderLighthouseConfigs();
            if (matrix.Failures.Count > 0)
                throw new FlatnetException($"{matrix.Failures.Count} of {matrix.Results.Count} pings failed: " +
                                           string.Join("; ", matrix.Failures.Select(f => $"{f.From} -> {f.To} ({f.Target}){(f.Detail.Length > 0 ? ": " + f.Detail : "")}")) +
                                           string.Concat(matrix.Findings.Select(d => "\n  " + d)),
                    fix: matrix.Diagnoses.Count > 0 ? null
                        : "check both hosts' nebula logs, `setup-routing.ps1 -Check` / `wsl-routing.sh --check`, and the firewall");
            return matrix;
        }
        finally
        {
            foreach (var c in connections.Values) c.Dispose();
        }
    }

    /// <summary>The diagnosis points at the lighthouse's config: make sure it is there. Its absence must not hide the diagnosis.</summary>
    private void RenderLighthouseConfigs()
    {
        try
        {
            new Bundles.LighthouseConfigs(context).Render();
        }
        catch (FlatnetException e)
        {
            context.Log.Warn($"the lighthouse's config could not be rendered for its operator: {e.Problem}");
        }
    }
}
