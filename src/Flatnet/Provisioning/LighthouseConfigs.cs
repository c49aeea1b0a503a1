using Flatnet.Rendering;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// What the inventory's lighthouses need, for the operator of a lighthouse flatnet does not manage (Stage 1's):
/// artifacts/lighthouses/NAME/config.yaml, rendered from the same model as every host's (am_lighthouse, am_relay when
/// the hosts use relays, the blocklist, the firewall, its peers) with the paths of Debian's nebula package, checked
/// with `nebula -test` of the release the lighthouse runs, and a README naming the lines that must match.
/// </summary>
public static class LighthouseConfigs
{
    public const string Directory = "/etc/nebula";

    public static string Folder(FlatnetContext context, string lighthouse) => Path.Combine(context.Workspace.ArtifactsDirectory, "lighthouses", lighthouse);

    /// <summary>The files of a lighthouse's folder (Render writes these), for a run that asks before its first write whether it could (RevokeHost).</summary>
    public static readonly string[] FileNames = ["config.yaml", "ca.crt", "README.md", ".checked-with"];

    /// <summary>Refuses, before anything is written, what would stop the rendering of an unmanaged lighthouse's folder half-way (a link, a FIFO, a folder where a file goes).</summary>
    public static void RequireReplaceable(FlatnetContext context)
    {
        foreach (var lighthouse in context.Plan.Lighthouses.Where(l => l.Lighthouse.Managed is null))
            SafeFiles.RequireReplaceable(Folder(context, lighthouse.Name), FileNames);
    }

    public static IReadOnlyList<string> Render(FlatnetContext context)
    {
        var plan = context.Plan;
        var check = context.ConfigCheck;
        var written = new List<string>();
        // A managed lighthouse gets its config in its bundle, deployed by flatnet like any host's.
        foreach (var lighthouse in plan.Lighthouses.Where(l => l.Lighthouse.Managed is null))
        {
            var model = HostModel.ForLighthouse(plan, lighthouse, context.Platforms.Linux.LighthouseFacts(Directory, "/usr/bin/nebula"));
            model = model with { Paths = model.Paths.WithPki(Directory) };
            var nebula = context.NebulaFor(lighthouse.Name, lighthouse.Lighthouse.NebulaVersion);
            var files = new Dictionary<string, byte[]> // FileNames, in this order
            {
                [FileNames[0]] = System.Text.Encoding.UTF8.GetBytes(context.Renderer.RenderConfig(model)),
                [FileNames[1]] = context.Ca.TrustedPem(),
                [FileNames[2]] = System.Text.Encoding.UTF8.GetBytes(context.Renderer.Templates.Render("lighthouse-README.md.scriban", model)),
                // Which nebula checked it: the same config checked by another release is checked again.
                [FileNames[3]] = System.Text.Encoding.UTF8.GetBytes(nebula.Version + "\n"),
            };
            var folder = Folder(context, lighthouse.Name);
            written.Add(Path.Combine(folder, "config.yaml"));
            // The same files as last time, checked by this account before: nothing is written or checked again (a run
            // changes only what changed). Files anyone could write there never spare nebula -test: only this account's
            // own cache does (battery 28). (Judged by size before bytes, and only a plain file: a FIFO would hang the run.)
            var tested = $"{Digest.Sha256(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{Digest.Sha256(f.Value)}  {f.Key}"))))}.nebula-test-lighthouse.{nebula.Version}";
            if (files.All(f => Path.Combine(folder, f.Key) is var path && File.Exists(path) && !TempFolders.IsLink(path) && InputFiles.NotRegular(path) is null
                               && new FileInfo(path).Length == f.Value.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(f.Value))
                && AccountMemos.Has(tested)) continue;
            check.RunWithTwin(model, model.OverlayCidr, ["lighthouse"], nebula);
            AccountMemos.Write(tested, "");
            context.ClaimArtifacts();
            SafeFiles.ReplaceDirectory(folder, dir =>
            {
                foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(dir, name), bytes);
            }, context.Log);
        }
        if (written.Count > 0)
            context.Log.Info($"lighthouse config(s) for their operators: {string.Join(", ", written.Select(Workspace.Relative))}");
        // A lighthouse renamed or gone leaves its folder (its operator may still read it): named, never deleted unasked.
        var root = Path.Combine(context.Workspace.ArtifactsDirectory, "lighthouses");
        var now = plan.Lighthouses.Where(l => l.Lighthouse.Managed is null).Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var old in System.IO.Directory.Exists(root) ? System.IO.Directory.GetDirectories(root).Where(e => !now.Contains(Path.GetFileName(e)) && !Path.GetFileName(e).StartsWith('.')) : [])
            context.Log.Warn($"{Output.Terminal.OneLine(Workspace.Relative(old))} is no lighthouse of the inventory's now (renamed, removed or managed); left as it is: delete it once its operator no longer needs it");
        return written;
    }
}
