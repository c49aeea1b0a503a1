using Flatnet.Rendering;

namespace Flatnet.Tests;

/// <summary>
/// A lighthouse with managed: true is a host flatnet deploys to, listed first so every rollout reaches it before any
/// peer; without managed: true, host fields on a lighthouse are refused rather than silently ignored.
/// </summary>
public class ManagedLighthouseInventoryTests
{
    internal const string Managed = "    overlay_ip: 10.100.0.1\n    managed: true\n    deploy: { transport: ssh, address: 198.18.0.1, user: root }";

    [Test]
    public void AManagedLighthouseIsTheFirstHostOfThePlanAndRendersAsALighthouse()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "overlay_ip: 10.100.0.1", Managed);
        var plan = ws.ControlPlane().Context.Plan;

        Assert.That(plan.Hosts.Select(h => h.Name), Is.EqualTo(new[] { "lighthouse", "host-a", "host-b", "host-c" }));
        Assert.That(plan.Pcs.Select(h => h.Name), Is.EqualTo(new[] { "host-a", "host-b", "host-c" }));
        var lighthouse = plan.Host("lighthouse");
        Assert.That((lighthouse.Host.IsLighthouse, lighthouse.OverlayAddress, lighthouse.RoutedBlock, lighthouse.WslAddress), Is.EqualTo((true, "10.100.0.1", (object?)null, (string?)null)));
        Assert.That(lighthouse.Host.Groups, Is.EqualTo(new[] { "lighthouse" }));

        var model = TestWorkspace.Platforms.Model(plan, lighthouse);
        Assert.That((model.IsLighthouse, model.Lighthouses.Count, model.Routes), Is.EqualTo((true, 0, (RoutePlan?)null)));
        Assert.That(model.UnsafeRoutes, Is.Empty, "a new host's block leaves its config as it is, so AddHost never restarts it");
        var config = ws.ControlPlane().Context.Renderer.RenderConfig(model);
        Assert.That(config, Does.Contain("  am_lighthouse: true").And.Contain("  am_relay: true"));
        Assert.That(TestWorkspace.Platforms.Model(plan, plan.Host("host-a")).Lighthouses.Select(l => l.Name), Is.EqualTo(new[] { "lighthouse" }), "hosts still find it");
    }

    [Test]
    public void HostFieldsOnAnUnmanagedLighthouseAreRefusedAndAManagedOneNeedsAWayIn()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "overlay_ip: 10.100.0.1", "    overlay_ip: 10.100.0.1\n    deploy: { transport: ssh, address: 198.18.0.1 }");
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Match(@"network\.yaml: line \d+: lighthouses\[0\]\.deploy: applies only to a lighthouse flatnet manages"));
        Assert.That(e.Message, Does.Contain("fix: add managed: true to deploy it with flatnet"));

        ws.Edit("network.yaml", "deploy:", "    managed: true");
        e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Contain("lighthouses[0].deploy.transport: a managed lighthouse needs a way in"));
        Assert.That(ws.WrittenFiles(), Is.Empty);
    }
}
