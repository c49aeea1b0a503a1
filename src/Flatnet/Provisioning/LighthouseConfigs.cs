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
            check.RunWithTwin(model, model.OverlayCidr, ["lighthouse"], context.NebulaFor(lighthouse.Name, lighthouse.Lighthouse.NebulaVersion));
            context.ClaimArtifacts();
            SafeFiles.ReplaceDirectory(Folder(context, lighthouse.Name), dir =>
            {
                File.WriteAllText(Path.Combine(dir, "config.yaml"), context.Renderer.RenderConfig(model));
                File.WriteAllBytes(Path.Combine(dir, "ca.crt"), context.Ca.TrustedPem());
                File.WriteAllText(Path.Combine(dir, "README.md"), context.Renderer.Templates.Render("lighthouse-README.md.scriban", model));
            }, context.Log);
            written.Add(Path.Combine(Folder(context, lighthouse.Name), "config.yaml"));
        }
        if (written.Count > 0)
            context.Log.Info($"lighthouse config(s) for their operators: {string.Join(", ", written.Select(Workspace.Relative))}");
        return written;
    }
}
