using Flatnet.Addressing;

namespace Flatnet.Tests;

/// <summary>The mesh's names: what each host's hosts file (and its WSL2's) carries, in flatnet's block.</summary>
public class MeshNamesTests
{
    [Test]
    public void EachHostListsEveryOtherHostLighthouseAndWsl2ButNotItself()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Context.Plan;
        Assert.That(MeshNames.SeenFrom(plan, "host-b").Select(n => $"{n.Address} {n.Name}"), Is.EqualTo(new[]
        {
            "10.100.0.1 lighthouse", "10.100.1.1 host-a", "10.100.3.1 host-c", "10.101.1.1 host-a-wsl", "10.101.3.1 host-c-wsl",
        }));
    }

    [Test]
    public void ASuffixNamesEveryoneUnderItAndOffLeavesTheBlockEmpty()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "# suffix: office.lan", "  suffix: office.lan");
        Assert.That(MeshNames.SeenFrom(ws.ControlPlane().Context.Plan, "host-a").Select(n => n.Name),
            Is.EqualTo(new[] { "lighthouse.office.lan", "host-b.office.lan", "host-c.office.lan", "host-b-wsl.office.lan", "host-c-wsl.office.lan" }));

        ws.Edit("network.yaml", "enabled:", "  enabled: false");
        var control = ws.ControlPlane();
        Assert.That(MeshNames.SeenFrom(control.Context.Plan, "host-a"), Is.Empty);
        // names.hosts is then empty: the install takes out a block an earlier bundle wrote, and writes none.
        var rendered = control.Context.Render(TestWorkspace.Platforms.Model(control.Context.Plan, control.Context.Plan.Host("host-a")));
        Assert.That(rendered.Single(f => f.Path == "scripts/names.hosts").Content, Is.Empty);
    }

    [Test]
    public void AHostAwaitingItsJoinReplyIsNotNamedUntilItJoins()
    {
        using var ws = new TestWorkspace();
        ws.Write("host-d.yaml", "name: host-d\nindex: 4\nos: windows\ndeploy:\n  transport: ssh\n"); // no address yet: awaiting its join reply
        Assert.That(MeshNames.SeenFrom(ws.ControlPlane().Context.Plan, "host-a").Select(n => n.Name), Has.None.StartsWith("host-d"));
    }
}
