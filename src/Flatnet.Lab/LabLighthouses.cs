using Flatnet.Provisioning;
using Flatnet.Rendering;
using Flatnet.Tools;

namespace Flatnet.Lab;

/// <summary>One lab lighthouse: its namespace and the nebula config it runs.</summary>
public sealed record LabLighthouse(string Name, NetworkNamespace Namespace, string Underlay, string Config, string Log, string Binary);

/// <summary>
/// The lab's lighthouses, standing in for Stage 1's: signed by the lab CA (a CA of a chosen version when asked, as a
/// Stage 1 lighthouse made it), rendered from the same model as hosts, checked with `nebula -test`, and running.
/// </summary>
public sealed class LabLighthouses
{
    public IReadOnlyList<LabLighthouse> All { get; }

    private LabLighthouses(IReadOnlyList<LabLighthouse> all) => All = all;

    public static LabLighthouses Create(FlatnetContext context, IReadOnlyList<NetworkNamespace> namespaces, string labDirectory, string lan, LabDaemon nebula, int? caVersion,
        bool relay = true, bool managed = false)
    {
        if (caVersion is { } forced)
        {
            var settings = context.Plan.Inventory.Network.Ca;
            Directory.CreateDirectory(Path.GetDirectoryName(settings.KeyPath)!);
            context.NebulaCert.Ca(new NebulaCertCaSettings(settings.Name, settings.CrtPath, settings.KeyPath) { CertificateVersion = forced });
        }
        CaSetup.Init(context);
        context.Ca.RequireUsable(); // a CA some daemon cannot read stops the lab here, before anything runs
        var plan = context.Plan;
        if (managed)
        {
            // flatnet signs, bundles and deploys them (AddHost); the lab only knows where their nebula will be.
            return new LabLighthouses(plan.Lighthouses.Select((l, i) =>
            {
                var m = context.Platforms.Model(plan, plan.Host(l.Name));
                return new LabLighthouse(l.Name, namespaces[i], $"{lan}.{i + 1}", m.Paths.Config, m.Paths.Log, m.Paths.NebulaBinary);
            }).ToList());
        }
        var ca = context.Ca;
        var lighthouses = new List<LabLighthouse>();
        for (var i = 0; i < plan.Lighthouses.Count; i++)
        {
            var lighthouse = plan.Lighthouses[i];
            var model = HostModel.ForLighthouse(plan, lighthouse, context.Platforms.Linux.LighthouseFacts(Path.Combine(labDirectory, lighthouse.Name), nebula.Binary));
            if (!relay) model = model with { UseRelays = false }; // renders relay.am_relay: false
            Directory.CreateDirectory(model.Paths.ConfigDir);
            Directory.CreateDirectory(model.Paths.LogsDir);
            File.Copy(ca.CrtPath, model.Paths.Ca);
            context.NebulaCert.Sign(new NebulaCertSignSettings(lighthouse.Name, $"{lighthouse.OverlayAddress}/{plan.Overlay.PrefixLength}",
                ca.CrtPath, ca.KeyPath, model.Paths.Cert) { OutKey = model.Paths.Key, Groups = ["lighthouse"] });
            File.WriteAllText(model.Paths.Config, context.Renderer.RenderConfig(model));
            new Nebula(nebula.Binary).Test(model.Paths.Config, lighthouse.Name);
            lighthouses.Add(new LabLighthouse(lighthouse.Name, namespaces[i], $"{lan}.{i + 1}", model.Paths.Config, model.Paths.Log, model.Paths.NebulaBinary));
        }
        var result = new LabLighthouses(lighthouses);
        foreach (var l in lighthouses) result.Start(l.Name);
        return result;
    }

    /// <summary>Starts a lab lighthouse's nebula; fails at once, with its log, if it does not come up.</summary>
    public void Start(string name)
    {
        var l = All.Single(x => x.Name == name);
        l.Namespace.Start(l.Log, l.Binary, "-config", l.Config);
        // Up means: the process lives and has made its interface. A bad config or certificate ends it within a moment.
        for (var i = 0; i < 30; i++)
        {
            Thread.Sleep(100);
            if (!l.Namespace.Runs("nebula")) break;
            if (l.Namespace.Try("ip", "link", "show", HostModel.DefaultTunDevice).Succeeded) return;
        }
        var said = File.Exists(l.Log) ? string.Join("\n      ", File.ReadAllLines(l.Log).TakeLast(6)) : "(no log)";
        throw new FlatnetException($"lab: the lighthouse {name}'s nebula ({l.Binary}) did not start; its log ({Workspace.Relative(l.Log)}):\n      {said}",
            fix: "the log says why: a config, certificate or port problem");
    }

    /// <summary>Stops a lab lighthouse's nebula, as if that machine went down (a managed one's sshd is left alone).</summary>
    public void Stop(string name) => All.Single(x => x.Name == name).Namespace.KillAll("nebula");
}
