using Flatnet.Bundles;
using Flatnet.Rendering;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// RenderAll: every host's rendered files (no certificates, no keys) in artifacts/render/NAME/, for review and for diffs
/// between CI runs. Deterministic: the same inventory gives the same files. Incremental: a host whose model, peers'
/// routes, templates and flatnet are unchanged keeps its folder (artifacts/hosts/NAME/render.inputs); the changed
/// ones are rendered into a staging folder first, so a problem in any host writes nothing.
/// </summary>
public static class FleetRendering
{
    public static IReadOnlyList<string> RenderAll(FlatnetContext context)
    {
        var plan = context.Plan;
        var root = Path.Combine(context.Workspace.ArtifactsDirectory, "render");
        var peers = context.PeerRoutes.Fingerprint;
        string Listing(string name) => Path.Combine(context.Workspace.HostDirectory(name), "render.files");
        var hosts = plan.Active.Select(h =>
        {
            var model = context.Model(h);
            return (Model: model, Inputs: BundleInputs.OfRendering(model, peers, context.TemplatesFingerprint, context.BuildIdentity));
        }).ToList();
        // A record only says what the folder was made from; a record anyone could write never vouches for what is in
        // it: each host is rendered again (in memory), and its folder must hold those very bytes (what else it holds
        // is the user's, and never makes it stale). (In parallel: a warm run over 1,000 hosts renders each again to compare.)
        var foreignIn = new System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<string>>();
        var changed = hosts.AsParallel().AsOrdered()
            .Where(h => BuildRecord.Read(context.Workspace, h.Model.Name, "render") is not { } record || !record.Holds(h.Inputs, NoOutputs)
                        || !IsOnDisk(context, h.Model, Path.Combine(root, h.Model.Name), Listing(h.Model.Name), foreignIn)).ToList();
        // What else an unchanged host's folder holds is named at every run, as a rebuilt one's is (battery 29's leftover).
        foreach (var (model, _) in hosts.Except(changed))
            foreach (var entry in foreignIn.GetValueOrDefault(model.Name, []))
                context.Log.Warn($"{Terminal.OneLine(Workspace.Relative(Path.Combine(root, model.Name, entry)))} is not flatnet's; left as it is");
        // The host folders flatnet rendered there: those with a listing of what it wrote (artifacts/hosts/NAME/render.files),
        // or named in an older flatnet's list of its folders (.render.flatnet). Any other folder is someone else's.
        var olderList = Path.Combine(context.Workspace.ArtifactsDirectory, ".render.flatnet");
        var older = File.Exists(olderList) ? InputFiles.ReadAllText(olderList, InputFiles.StateLimit, "an older flatnet's list of its render folders").Split('\n').ToHashSet() : [];
        var folders = Directory.Exists(root) ? Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().ToList() : [];
        // (Its listing a listing, reached with no link: battery 41, a user's file there made a folder of theirs flatnet's.)
        bool Ours(string name) => SafeFiles.IsListingFile(Listing(name)) || older.Contains(name);
        var gone = folders.Where(n => Ours(n) && hosts.All(h => h.Model.Name != n)).ToList();
        foreach (var foreign in folders.Where(n => !Ours(n) && hosts.All(h => h.Model.Name != n)))
            context.Log.Info($"{Terminal.OneLine(Workspace.Relative(Path.Combine(root, foreign)))} is not flatnet's; left as it is");
        if (changed.Count > 0)
        {
            foreach (var (model, _) in changed) BuildRecord.RequireOursOrNothing(context.Workspace, model.Name, "render");
            context.ClaimArtifacts();
            var staging = Path.Combine(context.Workspace.ArtifactsDirectory, $".render.staging-{Guid.NewGuid():N}");
            using (TempFolders.DeleteOnExit(staging))
            {
                Directory.CreateDirectory(staging);
                Render(context, changed.Select(c => c.Model).ToList(), staging);
                Directory.CreateDirectory(root);
                // Each host's folder replaced whole, keeping at every depth what flatnet did not write there.
                foreach (var (model, inputs) in changed)
                {
                    SafeFiles.ReplaceDirectory(Path.Combine(root, model.Name), dir =>
                    {
                        foreach (var entry in Directory.GetFileSystemEntries(Path.Combine(staging, model.Name)))
                            if (Directory.Exists(entry)) Directory.Move(entry, Path.Combine(dir, Path.GetFileName(entry)));
                            else File.Move(entry, Path.Combine(dir, Path.GetFileName(entry)));
                    }, context.Log, Listing(model.Name));
                    BuildRecord.Of(inputs, NoOutputs).Write(context.Workspace, model.Name, "render");
                }
            }
        }
        var removed = gone.Where(name => SafeFiles.DeleteWritten(Path.Combine(root, name), Listing(name), context.Log)).ToList();
        context.Log.Info($"rendered {hosts.Count} host(s) into {Workspace.Relative(root)}: {hosts.Count - changed.Count} unchanged, {changed.Count} rebuilt" +
                         (removed.Count == 0 ? "" : $"; removed {string.Join(", ", removed)} (no longer in the plan)"));
        return hosts.Select(h => h.Model.Name).ToList();
    }

    /// <summary>A render record vouches for no output: each folder is compared with what is rendered now (<see cref="IsOnDisk"/>).</summary>
    private static readonly IReadOnlyDictionary<string, string> NoOutputs = new Dictionary<string, string>();

    /// <summary>
    /// Whether <paramref name="folder"/> holds every file rendered for <paramref name="model"/> now, byte for byte (none
    /// of them a link), and no file flatnet rendered there before that it would not render now.
    /// </summary>
    /// <param name="foreignIn">gets, by host, what else the folder holds (the user's), when the rendered files are all there.</param>
    private static bool IsOnDisk(FlatnetContext context, HostModel model, string folder, string listing, IDictionary<string, IReadOnlyList<string>> foreignIn)
    {
        var files = context.Render(model);
        if (!files.All(f => Path.Combine(folder, f.Path) is var path && File.Exists(path) && InputFiles.NotRegular(path) is null
                            && new FileInfo(path).Length == f.Content.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(f.Content))) return false;
        var (stale, foreign) = SafeFiles.Beside(folder, files.Select(f => f.Path).ToHashSet(), listing);
        foreignIn[model.Name] = foreign;
        return stale.Count == 0;
    }

    private static void Render(FlatnetContext context, IReadOnlyCollection<HostModel> models, string folder)
    {
        try
        {
            using var progress = Progress.Start("RenderAll", models.Count, context.Log);
            Parallel.ForEach(models, m =>
            {
                foreach (var f in context.Render(m))
                {
                    var path = Path.Combine(folder, m.Name, f.Path);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, f.Content);
                }
                progress.Step(m.Name);
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
