using Flatnet.Verification;

namespace Flatnet.Tests.Verification;

/// <summary>Nebula's `list-hostmap -json`, as each release prints it (fixtures taken from the lab's running daemons).</summary>
public class TunnelStatesTests
{
    private static TunnelStates Read(string name) => TunnelStates.FromHostmapJson(
        File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "fixtures", "list-hostmap", name)));

    [Test]
    public void Up_to_1_9_thePeerIsVpnIpAndTheRemoteAnObject()
    {
        var states = Read("1.6.1-direct.json");
        Assert.That(states.Of("10.100.1.1"), Is.EqualTo("direct 198.18.0.11:4242"));
        Assert.That(states.Of("10.100.3.1"), Is.EqualTo("direct 198.18.0.13:4242"));
        Assert.That(states.Of("10.100.0.1"), Is.EqualTo("direct 198.18.0.1:4242"));
        Assert.That(Read("1.9.3-direct.json").Of("10.100.2.1"), Is.EqualTo("direct 198.18.0.12:4242"));
    }

    [Test]
    public void From_1_10_thePeerIsVpnAddrsAndTheRemoteAString()
    {
        var states = Read("1.11.0-direct.json");
        Assert.That(states.Of("10.100.2.1"), Is.EqualTo("direct 198.18.0.12:4242"));
        Assert.That(states.ByPeer.Keys, Does.Contain("10.100.0.1"));
    }

    [Test]
    public void ARelayedTunnelNamesItsRelayAndNoAddress()
    {
        var states = Read("1.6.1-relayed.json");
        Assert.That(states.ByPeer.Values, Has.Some.EqualTo("relayed via 10.100.0.1"));
        Assert.That(states.ByPeer.Where(kv => kv.Key != "10.100.0.1").Select(kv => kv.Value), Has.All.StartWith("relayed via 10.100.0.1"));
    }

    [Test]
    public void APeerWithoutATunnelHasNone() => Assert.That(Read("1.6.1-direct.json").Of("10.100.9.1"), Is.EqualTo("-"));
}
