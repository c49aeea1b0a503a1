using Flatnet.Output;

namespace Flatnet.Provisioning;

/// <summary>A host's row in PackageAll's summary; Pending says why it has no bundle yet (and what completes it).</summary>
/// <param name="ZipSha256">the SHA-256 of the bundle zip PackageAll checked against a fresh assembly (null: pending).</param>
public sealed record PackedHost(string Host, bool Signed, bool Written, string? Pending = null, string? ZipSha256 = null);

/// <summary>
/// PackageAll: every host's certificate (signed only where needed) and bundle, in parallel, with a summary table. What
/// CI runs to produce host bundles; unchanged hosts keep their byte-identical bundles. Every host that fails is named.
/// </summary>
public static class FleetPackaging
{
    public static IReadOnlyList<PackedHost> PackageAll(FlatnetContext context)
    {
        var plan = context.Plan;
        CaSetup.Ensure(context);
        OrphanedHosts.Warn(context);
        var workers = context.ForWorkers(new SynchronizedReporter(new WarningsOnly(context.Log)));
        var hosts = plan.Active.ToList();
        var results = new (PackedHost? Row, FlatnetException? Error)[hosts.Count];
        var progress = Progress.Start("PackageAll", hosts.Count, context.Log);
        Parallel.For(0, hosts.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, i =>
        {
            var name = hosts[i].Name;
            try
            {
                // A host that makes its own key and has not yet: no certificate can be signed for it here, and flatnet
                // does not reach out to it (a CI runner cannot): its first AddHost makes the key there, then it packs.
                results[i] = HostPipeline.AwaitsKeyFromHost(workers, hosts[i])
                    ? (new PackedHost(name, false, false, $"its key is made on it at its first AddHost (./build.sh --target=AddHost --host={name})"), null)
                    : (HostPipeline.Certify(workers, name).Signed is var signed && HostPipeline.Package(workers, name) is var packed
                        ? new PackedHost(name, signed, packed.Written, ZipSha256: packed.ZipSha256) : null, null);
            }
            catch (FlatnetException e)
            {
                results[i] = (null, e);
            }
            finally
            {
                progress.Step(name); // done, however it ended
            }
        });
        progress.Dispose(); // the live line is cleared before the summary
        var failed = results.Count(r => r.Error is not null);
        var failures = results.Where(r => r.Error is not null).Select(r => r.Error!.Message).Distinct().ToList();
        if (failures.Count > 0)
            throw new FlatnetException($"{failed} of {hosts.Count} host(s) could not be packed{(failed < hosts.Count ? " (the others were)" : "")}:\n  " +
                                       string.Join("\n  ", failures.Select(r => r.Replace("\n", "\n  "))));
        var all = results.Select(r => r.Row!).ToList();
        var pending = all.Where(r => r.Pending is not null).OrderBy(r => r.Host, NaturalOrder.Instance).ToList();
        var rows = all.Where(r => r.Pending is null).ToList();
        LighthouseConfigs.Render(context);
        var bundles = Workspace.Relative(Path.Combine(context.Workspace.ArtifactsDirectory, "bundles"));
        if (context.WantsJson)
        {
            context.PrintDocument(JsonOutput.Document(new
            {
                bundles, unchanged = rows.Count(r => !r.Written && !r.Signed),
                changed = rows.Where(r => r.Written || r.Signed).Select(r => new { host = r.Host, certificate_signed = r.Signed, bundle_written = r.Written }),
                pending = pending.Select(r => new { host = r.Host, why = r.Pending }),
            }));
            return all;
        }
        // What changed, one row each; what did not, one count (a warm run over 300 hosts is one line).
        var changed = rows.Where(r => r.Written || r.Signed).OrderBy(r => r.Host, NaturalOrder.Instance).ToList();
        if (changed.Count > 0) context.Log.Info($"  {"host",-16} {"nebula ip",-16} {"block",-18} {"certificate",-12} bundle");
        foreach (var r in changed)
        {
            var h = plan.Host(r.Host);
            context.Log.Info($"  {r.Host,-16} {h.OverlayAddress,-16} {(h.RoutedBlock?.ToString() ?? "-"),-18} {(r.Signed ? "signed" : "current"),-12} {(r.Written ? "written" : "unchanged")}");
        }
        foreach (var r in pending) context.Log.Info($"  {r.Host}: pending: {r.Pending}");
        context.Log.Info(TextWidth.Wrap($"{rows.Count} bundle(s) in {bundles}: " +
                         $"{rows.Count(r => !r.Written)} unchanged, {rows.Count(r => r.Written)} rebuilt; {rows.Count(r => r.Signed)} certificate(s) signed" +
                         (pending.Count == 0 ? "" : $"; {pending.Count} pending ({string.Join(", ", pending.Select(r => r.Host))})"), "  "));
        return all;
    }

}
