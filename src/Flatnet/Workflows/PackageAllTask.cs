namespace Flatnet.Workflows;

/// <summary>A host's row in PackageAll's summary.</summary>
public sealed record PackedHost(string Host, bool Signed, bool Written);

/// <summary>
/// PackageAll: every host's certificate (signed only where needed) and bundle, in parallel, with a summary table. What
/// CI runs to produce host bundles; unchanged hosts keep their byte-identical bundles. Every host that fails is named.
/// </summary>
public sealed class PackageAllTask : FlatnetTask
{
    public override string Name => "PackageAll";
    public override string Description => "Sign (where needed) and pack every host's bundle, in parallel, with a summary table: what CI runs.";

    public override void Run(FlatnetContext context) => PackageAll(context);

    public static IReadOnlyList<PackedHost> PackageAll(FlatnetContext context)
    {
        var plan = context.Plan;
        InitCaTask.EnsureCa(context);
        var workers = context.ForWorkers(new SynchronizedReporter(new RecordingReporter()));
        var hosts = plan.Active.ToList();
        var results = new (PackedHost? Row, FlatnetException? Error)[hosts.Count];
        Parallel.For(0, hosts.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, i =>
        {
            try
            {
                var name = hosts[i].Name;
                results[i] = (new PackedHost(name, GenerateCertTask.Generate(workers, name).Signed, PackageBundleTask.Package(workers, name).Written), null);
            }
            catch (FlatnetException e)
            {
                results[i] = (null, e);
            }
        });
        var failures = results.Where(r => r.Error is not null).Select(r => r.Error!.Message).Distinct().ToList();
        if (failures.Count > 0)
            throw new FlatnetException($"{failures.Count} host(s) could not be packed (the others were):\n  " + string.Join("\n  ", failures.Select(r => r.Replace("\n", "\n  "))));
        var rows = results.Select(r => r.Row!).ToList();
        LighthouseConfigs.Render(context);
        context.Log.Info($"  {"host",-16} {"nebula ip",-16} {"block",-18} {"certificate",-12} bundle");
        foreach (var r in rows)
        {
            var h = plan.Host(r.Host);
            context.Log.Info($"  {r.Host,-16} {h.OverlayAddress,-16} {(h.RoutedBlock?.ToString() ?? "-"),-18} {(r.Signed ? "signed" : "current"),-12} {(r.Written ? "written" : "unchanged")}");
        }
        context.Log.Info($"{rows.Count} bundle(s) in {Workspace.Relative(Path.Combine(context.Workspace.ArtifactsDirectory, "bundles"))}: " +
                         $"{rows.Count(r => !r.Written)} unchanged, {rows.Count(r => r.Written)} rebuilt; {rows.Count(r => r.Signed)} certificate(s) signed");
        return rows;
    }

}
