using Flatnet.Addressing;
using Flatnet.Transport;
using Flatnet.Verification;
using Flatnet.Processes;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>Mesh verification (VerifyPing): the ping matrix over the mesh and what the live state says of it, printed, kept as JSON and drawn.</summary>
public static class MeshVerification
{
    public static string MatrixPath(FlatnetContext context) => Path.Combine(context.Workspace.ArtifactsDirectory, "verify", "ping-matrix.json");

    /// <summary>
    /// Every deployable host (or only <paramref name="hosts"/>) and its WSL2 to every other's Nebula IP and WSL2;
    /// written to artifacts/verify/ping-matrix.json. Throws naming the failing pairs and what the live state says of them.
    /// </summary>
    /// <param name="focus">only the pairs with an end among these hosts (a wave of a rollout), and those among two
    /// others picked at random, a sample of what the wave did not touch; every pair when null.</param>
    /// <param name="table">the whole table in the log (the proof a person reads at the end); false: one line, for a
    /// step on the way (a rollout's wave, a lab's host before the last), and the table still in ping-matrix.json.</param>
    public static PingMatrix Verify(FlatnetContext context, IEnumerable<string>? hosts = null, IReadOnlyCollection<string>? focus = null, bool table = true)
    {
        var plan = context.Plan;
        var metrics = Metrics.Target(context); // checked before any host is reached
        var selected = (hosts?.Select(plan.Host) ?? plan.Deployable).ToList();
        var sample = focus is null ? [] : selected.Select(h => h.Name).Except(focus).OrderBy(_ => Random.Shared.Next()).Take(2).ToHashSet();
        Func<string, string, bool>? pairs = focus is null ? null : (a, b) => focus.Contains(a) || focus.Contains(b) || sample.Contains(a) && sample.Contains(b);
        var connections = new Dictionary<string, IHostConnection>();
        // Connections open all at once too (each is a handshake with a host that may be slow to answer), or are the run's
        // already (AddHost's steps opened them); a host that cannot be reached stops the run as before.
        var opened = AtOnce.Each(selected, h => Open(context, h));
        foreach (var (h, c) in selected.Zip(opened)) if (c.Connection is not null) connections[h.Name] = c.Connection;
        if (opened.FirstOrDefault(o => o.Failure is not null).Failure is { } failure) throw failure;
        var matrix = new MeshVerifier(plan, context.Model, context.Platform, context.Admin, Path.Combine(context.Workspace.ArtifactsDirectory, "lighthouses")).Run(selected, connections, pairs, focus);
        matrix = matrix with { Lighthouses = new LighthouseCheck(plan, context.Workspace.ArtifactsDirectory, (h, c) => HostPipeline.IsCurrent(context, h, c)).Check(matrix, connections) };
        MeshOutputs.RequireOurs(context, MatrixPath(context), "ping.prom", metrics);
        context.ClaimArtifacts();
        var json = matrix.ToJson();
        SafeFiles.WriteAllText(MatrixPath(context), json, shape: Output.JsonOutput.Shape);
        Metrics.Write(context, "ping.prom", MeshMetrics.OfPings(matrix, DateTimeOffset.UtcNow), metrics);
        if (context.WantsJson) context.PrintDocument(json);
        else if (table) context.Log.Info("ping matrix (" + Workspace.Relative(MatrixPath(context)) + "):\n" + matrix.ToTable());
        else context.Log.Info(matrix.Results.Count == 0 ? "verified: nothing to ping yet (no pair among the hosts checked)"
            : $"verified: {matrix.Results.Count - matrix.Failures.Count} of {matrix.Results.Count} pings answered ({Workspace.Relative(MatrixPath(context))})");
        context.Log.Info($"the mesh at a glance: {Workspace.Relative(MeshReport.Write(context.Workspace.ArtifactsDirectory, MeshPicture.FromMatrix(plan, matrix)))}");
        if (matrix.Diagnoses.Any(d => d.Contains("relay.am_relay: true on", StringComparison.Ordinal)))
            RenderLighthouseConfigs(context);
        if (matrix.Failures.Count == 0 && matrix.NameFailures.Count > 0)
            throw new VerificationFailed($"every ping answered, but {matrix.NameFailures.Count} of {matrix.Names.Count} names do not resolve as planned" +
                                         string.Concat(matrix.Findings.Select(d => "\n  " + d)), null);
        if (matrix.Failures.Count > 0)
            throw new VerificationFailed($"{matrix.Failures.Count} of {matrix.Results.Count} pings failed: " +
                                       string.Join("; ", matrix.Failures.Select(f => $"{f.From} -> {f.To} ({f.Target}){(f.Detail.Length > 0 ? ": " + f.Detail : "")}")) +
                                       string.Concat(matrix.Findings.Select(d => "\n  " + d)),
                matrix.Diagnoses.Count > 0 ? null
                    : "check both hosts' nebula logs, `setup-routing.ps1 -Check` / `wsl-routing.sh --check`, and the firewall");
        return matrix;
    }

    private static (IHostConnection? Connection, FlatnetException? Failure) Open(FlatnetContext context, HostAddresses host)
    {
        try
        {
            return (context.Connection(host), null);
        }
        catch (FlatnetException e)
        {
            return (null, e);
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
