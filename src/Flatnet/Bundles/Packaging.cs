using Flatnet.Workflows;
using Flatnet.Pki;
using Flatnet.Rendering;

namespace Flatnet.Bundles;

/// <summary>What PackageBundle did; Bundle is null when nothing the bundle is made from changed (it was not even assembled).</summary>
public sealed record BundleOutcome(HostBundle? Bundle, bool Written);

/// <summary>A host's row in PackageAll's summary.</summary>
public sealed record PackedHost(string Host, bool Signed, bool Written);

/// <summary>The bundle workflow: PackageBundle, PackageAll, RenderAll.</summary>
public sealed class Packaging(FlatnetContext context)
{
    /// <summary>
    /// Renders the host's files, checks its config with `nebula -test`, and writes artifacts/hosts/NAME/bundle/ and
    /// artifacts/bundles/NAME.zip. Needs a current certificate (GenerateCert). An unchanged bundle is not rewritten.
    /// </summary>
    public BundleOutcome Package(string host)
    {
        var plan = context.Plan;
        var h = plan.Host(host);
        if (new Certificates(context).WhyNotCurrent(h) is { } why)
            throw new FlatnetException($"{host}: cannot package: {why}.", fix: $"./build.sh --target=GenerateCert --host={host} (AddHost and PackageBundle run it first)");

        var model = context.Model(h);
        var pki = context.Workspace.PkiDirectory(host);
        var check = new ConfigCheck(context);
        var checker = check.CheckerFor(h);
        var trustedCas = context.Ca.TrustedPem();
        var certificates = Certificates(pki, trustedCas).ToList();
        var versions = new BundleVersions(FlatnetVersion, context.NebulaCert.Version.ToString(), checker.Version.ToString());
        var network = context.Plan.Inventory.Network;
        var inputs = BundleInputs.Of(model, PeerRoutes.Of(context.Plan).Fingerprint, context.TemplatesFingerprint, certificates,
            model.IsWindows ? context.WindowsReleaseFingerprint(network.Nebula.Windows, network.File) : "", versions);
        var zipPath = context.Workspace.BundlePath(host);
        if (IsBuilt(host) && BundleInputs.Recorded(context.Workspace, host) == inputs)
        {
            context.Log.Info($"{host}: bundle is up to date ({Workspace.Relative(zipPath)}: nothing it is made from changed); nothing written.");
            return new BundleOutcome(null, false);
        }

        check.Run(model, pki, trustedCas, checker);
        var bundle = HostBundle.Assemble(model, context.Renderer.Render(model), certificates.Concat(WindowsBinaries(model)), versions);
        context.ClaimArtifacts();
        var zip = bundle.ToZip();
        if (IsBuilt(host) && File.ReadAllBytes(zipPath).AsSpan().SequenceEqual(zip))
        {
            BundleInputs.Record(context.Workspace, host, inputs);
            context.Log.Info($"{host}: bundle is up to date ({Workspace.Relative(zipPath)}); nothing written.");
            return new BundleOutcome(bundle, false);
        }
        SafeFiles.ReplaceDirectory(context.Workspace.BundleDirectory(host), dir =>
        {
            SafeFiles.RestrictToOwner(dir);
            bundle.WriteTo(dir);
        });
        SafeFiles.WriteFile(zipPath, temp => File.WriteAllBytes(temp, zip), secret: bundle.ContainsPrivateKey);
        BundleInputs.Record(context.Workspace, host, inputs);
        context.Log.Info($"{host}: bundle {Workspace.Relative(zipPath)} ({bundle.Files.Count} files, config passes nebula -test)" +
                         (bundle.ContainsPrivateKey ? "; it carries host.key (made here), so it is owner-only: move it to the host over a secure channel" : "; no private key inside"));
        return new BundleOutcome(bundle, true);
    }

    /// <summary>Both forms of the host's bundle are there: the zip and the folder DeployHost uploads.</summary>
    private bool IsBuilt(string host) => File.Exists(context.Workspace.BundlePath(host)) && Directory.Exists(context.Workspace.BundleDirectory(host));

    /// <summary>flatnet's own version, as bundles and releases record it.</summary>
    public static string FlatnetVersion { get; } =
        typeof(Packaging).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    /// <summary>The host's certificate (and key, when made here), and ca.crt: the CAs every config trusts (both, during a CA rotation).</summary>
    private static IEnumerable<RenderedFile> Certificates(string pki, byte[] trustedCas) =>
        new[] { new RenderedFile("ca.crt", trustedCas, RenderedFile.Regular) }.Concat(
            new[] { "host.crt", "host.key" }.Where(n => File.Exists(Path.Combine(pki, n)))
                .Select(n => new RenderedFile(n, File.ReadAllBytes(Path.Combine(pki, n)), n.EndsWith(".key") ? RenderedFile.Secret : RenderedFile.Regular)));

    /// <summary>nebula.windows.release: Nebula's Windows release (with wintun.dll) travels in the bundle.</summary>
    private IEnumerable<RenderedFile> WindowsBinaries(HostModel model)
    {
        var network = context.Plan.Inventory.Network;
        return model.IsWindows && network.Nebula.Windows.Release is not null ? context.WindowsReleaseFiles(network.Nebula.Windows, network.File) : [];
    }

    /// <summary>
    /// Every host's certificate (signed only where needed) and bundle, in parallel, with a summary table. What CI runs
    /// to produce host bundles; unchanged hosts keep their byte-identical bundles. Every host that fails is named.
    /// </summary>
    public IReadOnlyList<PackedHost> PackageAll()
    {
        var plan = context.Plan;
        var certificates = new Certificates(context);
        certificates.EnsureCa();
        var workers = context.ForWorkers(new SynchronizedReporter(new RecordingReporter()));
        var hosts = plan.Active.ToList();
        var results = new (PackedHost? Row, FlatnetException? Error)[hosts.Count];
        Parallel.For(0, hosts.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, i =>
        {
            try
            {
                var name = hosts[i].Name;
                results[i] = (new PackedHost(name, new Certificates(workers).Generate(name).Signed, new Packaging(workers).Package(name).Written), null);
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
        new LighthouseConfigs(context).Render();
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

    /// <summary>
    /// Every host's rendered files (no certificates, no keys) in artifacts/render/NAME/, for review and for diffs
    /// between CI runs. Deterministic: the same inventory gives the same files. Incremental: a host whose model, peers'
    /// routes, templates and flatnet are unchanged keeps its folder (artifacts/hosts/NAME/render.inputs); the changed
    /// ones are rendered into a staging folder first, so a problem in any host writes nothing.
    /// </summary>
    public IReadOnlyList<string> RenderAll()
    {
        var plan = context.Plan;
        var root = Path.Combine(context.Workspace.ArtifactsDirectory, "render");
        var peers = PeerRoutes.Of(plan).Fingerprint;
        var hosts = plan.Active.Select(h =>
        {
            var model = context.Model(h);
            return (Model: model, Inputs: BundleInputs.OfRendering(model, peers, context.TemplatesFingerprint));
        }).ToList();
        var changed = hosts.Where(h => !Directory.Exists(Path.Combine(root, h.Model.Name))
                                       || BundleInputs.Recorded(context.Workspace, h.Model.Name, "render") != h.Inputs).ToList();
        var gone = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Where(n => hosts.All(h => h.Model.Name != n)).ToList() : [];
        if (changed.Count > 0)
        {
            context.ClaimArtifacts();
            var staging = Path.Combine(context.Workspace.ArtifactsDirectory, $".render.staging-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            using (TempFolders.DeleteOnExit(staging))
            {
                Render(changed.Select(c => c.Model), staging);
                Directory.CreateDirectory(root);
                foreach (var (model, inputs) in changed)
                {
                    var target = Path.Combine(root, model.Name);
                    if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                    Directory.Move(Path.Combine(staging, model.Name), target);
                    BundleInputs.Record(context.Workspace, model.Name, inputs, "render");
                }
            }
        }
        foreach (var name in gone) Directory.Delete(Path.Combine(root, name), recursive: true);
        context.Log.Info($"rendered {hosts.Count} host(s) into {Workspace.Relative(root)}: {hosts.Count - changed.Count} unchanged, {changed.Count} rebuilt" +
                         (gone.Count == 0 ? "" : $"; removed {string.Join(", ", gone)} (no longer in the plan)"));
        return hosts.Select(h => h.Model.Name).ToList();
    }

    private void Render(IEnumerable<HostModel> models, string folder)
    {
        try
        {
            Parallel.ForEach(models, m =>
            {
                foreach (var f in context.Renderer.Render(m))
                {
                    var path = Path.Combine(folder, m.Name, f.Path);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, f.Content);
                }
            });
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.All(x => x is FlatnetException))
        {
            // Every host's own reason, once each: never .NET's "One or more errors occurred".
            var reasons = e.Flatten().InnerExceptions.Select(x => x.Message).Distinct().ToList();
            throw new FlatnetException($"{reasons.Count} problem(s) rendering; nothing was written:\n  " + string.Join("\n  ", reasons.Select(r => r.Replace("\n", "\n  "))));
        }
    }
}
