using Flatnet.Workflows;
using Flatnet.Rendering;

namespace Flatnet.Bundles;

/// <summary>
/// What the inventory's lighthouses need, for the operator of a lighthouse flatnet does not manage (Stage 1's):
/// artifacts/lighthouses/NAME/config.yaml, rendered from the same model as every host's (am_lighthouse, am_relay when
/// the hosts use relays, the blocklist, the firewall, its peers) with the paths of Debian's nebula package, checked
/// with `nebula -test` of the release the lighthouse runs, and a README naming the lines that must match.
/// </summary>
public sealed class LighthouseConfigs(FlatnetContext context)
{
    public const string Directory = "/etc/nebula";

    public string Folder(string lighthouse) => Path.Combine(context.Workspace.ArtifactsDirectory, "lighthouses", lighthouse);

    public IReadOnlyList<string> Render()
    {
        var plan = context.Plan;
        var check = new ConfigCheck(context);
        var written = new List<string>();
        // A managed lighthouse gets its config in its bundle, deployed by flatnet like any host's.
        foreach (var lighthouse in plan.Lighthouses.Where(l => l.Lighthouse.Managed is null))
        {
            var model = HostModel.ForLighthouse(plan, lighthouse, Directory, "/usr/bin/nebula");
            model = model with { Paths = model.Paths.WithPki(Directory) };
            check.RunWithTwin(model, model.OverlayCidr, ["lighthouse"], check.CheckerFor(lighthouse.Name, lighthouse.Lighthouse.NebulaVersion));
            context.ClaimArtifacts();
            SafeFiles.ReplaceDirectory(Folder(lighthouse.Name), dir =>
            {
                File.WriteAllText(Path.Combine(dir, "config.yaml"), context.Renderer.RenderConfig(model));
                File.WriteAllBytes(Path.Combine(dir, "ca.crt"), context.Ca.TrustedPem());
                File.WriteAllText(Path.Combine(dir, "README.md"), Readme(model));
            });
            written.Add(Path.Combine(Folder(lighthouse.Name), "config.yaml"));
        }
        if (written.Count > 0)
            context.Log.Info($"lighthouse config(s) for their operators: {string.Join(", ", written.Select(Workspace.Relative))}");
        return written;
    }

    private static string Readme(HostModel model) => $"""
        # What lighthouse {model.Name} needs

        flatnet does not manage this lighthouse; its operator makes its config match `config.yaml` here, which is
        rendered from the same inventory as every host's and passes `nebula -test`. The lines that matter most:

        - `lighthouse.am_lighthouse: true`
        - `relay.am_relay: {model.UseRelays.ToString().ToLowerInvariant()}`: the hosts' configs use this lighthouse as their relay
          {(model.UseRelays ? "(a host behind symmetric NAT reaches the others only through it)" : "(hosts do not use relays)")}
        - `pki.blocklist`: {(model.Blocklist.Count == 0 ? "empty (nothing revoked)" : string.Join(", ", model.Blocklist.Select(f => $"`{f}`")))}; after RevokeHost,
          copy the new list and reload Nebula (`kill -HUP`, or restart the service)
        - `pki.ca`: `ca.crt` here, the CA the hosts are signed by (during a CA rotation, both CAs: RotateCa says when to copy it)
        - `firewall`: the inventory's policy

        Paths follow Debian's nebula package ({Directory}); change them to where this lighthouse keeps its files.
        """ + "\n";
}
