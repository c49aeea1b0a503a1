using Flatnet.Addressing;
using Flatnet.Inventory;

namespace Flatnet.Tests;

public class AddressPlanTests
{
    [Test]
    public void ExampleInventoryGivesTheSpecsAddresses()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Context.Plan;

        Assert.That(plan.Overlay.ToString(), Is.EqualTo("10.100.0.0/16"));
        Assert.That(plan.Lighthouses.Single().OverlayAddress, Is.EqualTo("10.100.0.1"));
        Assert.That(plan.Hosts.Select(h => (h.Name, h.OverlayCidr, h.RoutedBlock.ToString(), h.WslAddress)), Is.EqualTo(new[]
        {
            ("host-a", "10.100.1.1/16", "10.101.1.0/24", "10.101.1.1"),
            ("host-b", "10.100.2.1/16", "10.101.2.0/24", "10.101.2.1"),
            ("host-c", "10.100.3.1/16", "10.101.3.0/24", "10.101.3.1"),
        }));
        Assert.That(plan.Hosts.All(h => h.Host.Os == HostOs.Windows && h.Host.Groups.SequenceEqual(["flatnet", "gateway"])));
        Assert.That(plan.Warnings, Is.Empty);
    }

    [Test]
    public void ExplicitOverlayIpAndBlockOverrideTheIndex()
    {
        using var ws = new TestWorkspace();
        ws.Write("host-d.yaml", "name: host-d\noverlay_ip: 10.100.40.7\nrouted_block: 10.102.0.0/26\nrouted_block_outside_pool: true\n");
        var d = ws.ControlPlane().Context.Plan.Host("host-d");
        Assert.That((d.OverlayCidr, d.RoutedBlock.ToString(), d.WslAddress), Is.EqualTo(("10.100.40.7/16", "10.102.0.0/26", "10.102.0.1")));
    }

    // Each bad inventory: which file to change, how, and words the error must contain (file, field, problem, fix).
    private static IEnumerable<TestCaseData> BadInventories()
    {
        TestCaseData Case(string name, Action<TestWorkspace> breakIt, params string[] expected) =>
            new TestCaseData(breakIt, expected).SetName(name);

        yield return Case("duplicate index", ws => ws.Edit("host-c.yaml", "index:", "index: 2"),
            "host-c.yaml: index: 2 is already used by", "host-b.yaml", "fix: give every host its own index");
        yield return Case("duplicate name", ws => ws.Write("host-d.yaml", "name: host-b\nindex: 4\n"),
            "host-d.yaml: name: the name 'host-b' is already used by", "does not match the file name");
        yield return Case("a host named like another's WSL2", ws => ws.Write("host-a-wsl.yaml", "name: host-a-wsl\nindex: 4\n"),
            "host-a.yaml: name: its WSL2's name 'host-a-wsl' is the name of", "host-a-wsl.yaml", "fix: rename one of them, or set names: {enabled: false}");
        yield return Case("a name suffix that is no DNS name", ws => ws.Edit("network.yaml", "# suffix: office.lan", "  suffix: Office_LAN"),
            "network.yaml: ", "names.suffix: 'Office_LAN' is not a name suffix", "fix: use lower-case DNS labels joined by dots");
        yield return Case("duplicate overlay ip", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\noverlay_ip: 10.100.2.1\n"),
            "host-d.yaml: overlay_ip: 10.100.2.1 is already used by host-b");
        yield return Case("overlay ip outside the overlay", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\noverlay_ip: 10.200.4.1\n"),
            "host-d.yaml: overlay_ip: 10.200.4.1 is not a usable address of the overlay 10.100.0.0/16", "fix: pick an address inside");
        yield return Case("lighthouse ip clash", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\noverlay_ip: 10.100.0.1\n"),
            "10.100.0.1 is already used by lighthouse");
        yield return Case("index out of range", ws => ws.Edit("host-c.yaml", "index:", "index: 300"),
            "host-c.yaml: index: 300 is outside 1..255");
        yield return Case("blocks overlap", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\nrouted_block: 10.101.2.0/23\n"),
            "host-d.yaml: routed_block: 10.101.2.0/23 overlaps host-b's block 10.101.2.0/24");
        yield return Case("block inside the overlay", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\nrouted_block: 10.100.200.0/24\n"),
            "routed_block: 10.100.200.0/24 overlaps the overlay 10.100.0.0/16");
        yield return Case("block in the WSL2 range", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\nrouted_block: 172.20.4.0/24\n"),
            "routed_block: 172.20.4.0/24 overlaps 172.16.0.0/12, where WSL2 picks its own NAT network");
        yield return Case("block too small", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\nrouted_block: 10.102.0.4/31\n"),
            "routed_block: 10.102.0.4/31 is too small");
        yield return Case("block with host bits", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\nrouted_block: 10.102.0.1/24\n"),
            "routed_block: '10.102.0.1/24' has host bits set; the network is 10.102.0.0/24");
        yield return Case("pool overlaps overlay", ws => ws.Edit("network.yaml", "routed_pool:", "routed_pool: 10.100.128.0/17"),
            "network.yaml: routed_pool: 10.100.128.0/17 overlaps the overlay");
        yield return Case("pool in the WSL2 range", ws => ws.Edit("network.yaml", "routed_pool:", "routed_pool: 172.28.0.0/16"),
            "network.yaml: routed_pool: 172.28.0.0/16 overlaps 172.16.0.0/12");
        yield return Case("prefix that does not fit", ws => ws.Edit("network.yaml", "routed_prefix:", "routed_prefix: 12"),
            "network.yaml: routed_prefix: /12 does not fit inside the pool 10.101.0.0/16");
        yield return Case("overlay too small for the plan", ws => ws.Edit("network.yaml", "overlay:", "overlay: 10.100.0.0/25"),
            "network.yaml: overlay: /25 does not fit the plan");
        yield return Case("bad host name", ws => ws.Write("Host_D.yaml", "name: Host_D\nindex: 4\n"),
            "Host_D.yaml: name: 'Host_D' is not a valid host name", "fix: use lower-case letters");
        yield return Case("name differs from file", ws => ws.Write("host-d.yaml", "name: host-e\nindex: 4\n"),
            "host-d.yaml: name: 'host-e' does not match the file name", "rename the file to host-e.yaml");
        // Battery 40: a name refused on the next line was offered as the file's new name.
        yield return Case("invalid name differs from file", ws => ws.Write("pc1.yaml", "name: Pc_1\nindex: 4\n"),
            "pc1.yaml: name: 'Pc_1' does not match the file name", "fix: set name: pc1\n");
        yield return Case("no index and no ip", ws => ws.Write("host-d.yaml", "name: host-d\n"),
            "host-d.yaml: index: neither index nor overlay_ip is set", "fix: add index: N");
        yield return Case("no lighthouse", ws => ws.Edit("network.yaml", "lighthouses:", "lighthouses: []\nunused_lighthouses:"),
            "unknown key 'unused_lighthouses'");
        yield return Case("empty lighthouse list", ws => File.WriteAllText(ws.HostsFile("network.yaml"),
                File.ReadAllText(ws.HostsFile("network.yaml")).Replace("lighthouses:\n  - name: lighthouse\n    overlay_ip: 10.100.0.1\n    endpoints: [\"198.18.0.1:4242\"]", "lighthouses: []")),
            "network.yaml: lighthouses: no lighthouse is listed");
        yield return Case("endpoint without port", ws => ws.Edit("network.yaml", "endpoints:", "    endpoints: [\"198.18.0.1\"]"),
            "network.yaml: line 41: lighthouses[0].endpoints[0]: '198.18.0.1' is not HOST:PORT");
        yield return Case("unknown key", ws => ws.Edit("host-b.yaml", "index:", "indx: 2"),
            "host-b.yaml: line 3: unknown key 'indx'", "keys allowed here: name, index, os");
        yield return Case("wrong type", ws => ws.Edit("host-b.yaml", "index:", "index: two"),
            "host-b.yaml: line 3: not valid here");
        yield return Case("a quote left open", ws => ws.Edit("host-b.yaml", "os:", "os: \"windows"),
            "host-b.yaml: line 4: a quote is opened here and not closed", "fix: close the quote on the same line");
        yield return Case("a bracket left open", ws => ws.Write("host-d.yaml", "name: host-d\nos: windows\nindex: [4\n"),
            "host-d.yaml: line 3: a [ or { is opened and not closed", "fix: close it on the same line");
        yield return Case("a brace left open", ws => ws.Write("host-d.yaml", "name: host-d\nindex: 4\nos: windows\nwsl: {true\ndeploy:\n  address: 192.168.77.15\n"),
            "host-d.yaml: line 4: a [ or { is opened and not closed", "fix: close it on the same line");
        yield return Case("a key indented too far", ws => ws.Edit("host-b.yaml", "os:", "   os: windows"),
            "host-b.yaml: line 4: the indentation or a ':' here does not fit the lines around it", "fix: indent a key as far as the keys beside it");
        yield return Case("a tab", ws => ws.Edit("host-b.yaml", "os:", "os:\twindows\n\tgroups: []"),
            "host-b.yaml: line 5: a tab in the indentation", "fix: indent with spaces, never tabs");
        yield return Case("unknown os", ws => ws.Edit("host-b.yaml", "os:", "os: macos"),
            "host-b.yaml: line 4: os: 'macos' is not supported", "fix: use windows or linux");
        yield return Case("bad overlay cidr", ws => ws.Edit("network.yaml", "overlay:", "overlay: 10.100.0.0"),
            "network.yaml: line 10: overlay: '10.100.0.0' is not an IPv4 network in CIDR form");
        yield return Case("missing network file", ws => File.Delete(ws.HostsFile("network.yaml")),
            "network.yaml: missing");
        yield return Case("deploy address inside the routed pool", ws => ws.Edit("host-b.yaml", "address:", "  address: 10.101.1.5"),
            "host-b.yaml: line 10: deploy.address: 10.101.1.5 is inside routed_pool 10.101.0.0/16, which is reached through Nebula, not the LAN",
            "fix: give the address the machine has on the LAN");
        yield return Case("deploy address nobody answers at", ws => ws.Edit("host-b.yaml", "address:", "  address: 0.0.0.0"),
            "host-b.yaml: line 10: deploy.address: 0.0.0.0 is \"this network\" (0.0.0.0/8): no other machine is reached there");
        yield return Case("two hosts at one address", ws => ws.Edit("host-c.yaml", "address:", "  address: 198.18.0.12"),
            "host-c.yaml: line 10: deploy.address: 198.18.0.12 (port 22) is also host-b's deploy address");
        yield return Case("lighthouse endpoint inside the overlay", ws => ws.Edit("network.yaml", "endpoints:", "    endpoints: [\"10.100.0.1:4242\"]"),
            "network.yaml: line 41: lighthouses[0].endpoints: 10.100.0.1 is inside the overlay 10.100.0.0/16");
        yield return Case("group with a comma", ws => ws.Edit("host-b.yaml", "groups:", "groups: [\"flatnet,gateway\"]"),
            "host-b.yaml: line 5: groups: 'flatnet,gateway' is not a usable group name");
    }

    [TestCaseSource(nameof(BadInventories))]
    public void BadInventoryIsRefusedWithItsSpecificErrorAndWritesNothing(Action<TestWorkspace> breakIt, string[] expected)
    {
        using var ws = new TestWorkspace();
        breakIt(ws);
        var control = ws.ControlPlane();
        var e = Assert.Throws<InventoryProblem>(() => control.GenerateCert("host-a"))!;
        // Each problem names its line too (checked in EveryProblemIsListedAtOnce); here the words after it.
        var withoutLines = System.Text.RegularExpressions.Regex.Replace(e.Message, @"line \d+: ", "");
        foreach (var words in expected)
            Assert.That(words.Contains("line ") ? e.Message : withoutLines, Does.Contain(words));
        Assert.That(ws.WrittenFiles(), Is.Empty, "a refused inventory must not leave files behind");
    }

    [Test]
    public void EveryProblemIsListedAtOnce()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-c.yaml", "index:", "index: 2");
        ws.Write("host-d.yaml", "name: host-d\nindex: 4\nrouted_block: 172.20.4.0/24\n");
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Contain("has 3 problem(s); nothing was written"));
        Assert.That(e.Message, Does.Contain("host-c.yaml: line LINE: index: 2 is already used by".Replace("LINE", IndexLine())));
        Assert.That(e.Message, Does.Contain("host-d.yaml: line 3: routed_block: 172.20.4.0/24 overlaps 172.16.0.0/12"));
        Assert.That(e.Message, Does.Contain("host-d.yaml: line 3: routed_block: 172.20.4.0/24 lies outside routed_pool 10.101.0.0/16"));

        string IndexLine() => (Array.FindIndex(File.ReadAllLines(ws.HostsFile("host-c.yaml")), l => l.StartsWith("index:")) + 1).ToString();
    }

    [Test]
    public void AnUnknownKeyHidesNothing()
    {
        // One file, three kinds of problem: unknown keys (one nested), a bad os, and an index another host has.
        // Each used to hide the next; one run names them all.
        using var ws = new TestWorkspace();
        ws.Write("host-d.yaml", "name: host-d\nindex: 2\nos: macos\ncolour: blue\ndeploy:\n  prot: 22\n");
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Problems, Has.Count.EqualTo(4), e.Message);
        Assert.That(e.Message, Does.Contain("host-d.yaml: line 4: unknown key 'colour'").And.Contain("host-d.yaml: line 6: unknown key 'prot'")
            .And.Contain("host-d.yaml: line 3: os: 'macos' is not supported").And.Contain("host-d.yaml: line 2: index: 2 is already used by"));
        Assert.That(e.Message, Does.Contain("keys allowed here: transport, address"), "a nested mapping lists its own keys");
    }

    [Test]
    public void OverlayInsideWslRangeIsAWarningNotAnError()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "overlay:", "overlay: 172.30.0.0/16");
        ws.Edit("network.yaml", "overlay_ip:", "    overlay_ip: 172.30.0.1");
        var plan = ws.ControlPlane().Context.Plan;
        Assert.That(plan.Host("host-b").OverlayAddress, Is.EqualTo("172.30.2.1"));
        Assert.That(plan.Warnings.Single(), Does.Contain("overlaps 172.16.0.0/12"));
        Assert.That(ws.Log.Lines, Has.Some.StartsWith("warning: ").And.Contain("172.16.0.0/12"));
    }

    [TestCase("10.100.0.0/16", "10.100.255.255", true)]
    [TestCase("10.100.0.0/16", "10.101.0.0", false)]
    [TestCase("0.0.0.0/0", "203.0.113.9", true)]
    public void NetworkContainsAddress(string net, string address, bool expected)
    {
        Ipv4Network.TryParseAddress(address, out var a);
        Assert.That(Ipv4Network.Parse(net).Contains(a), Is.EqualTo(expected));
    }

    [TestCase("10.101.0.0/16", 24, 3u, "10.101.3.0/24")]
    [TestCase("10.101.0.0/16", 26, 5u, "10.101.1.64/26")]
    public void SubnetsAreCarvedInOrder(string pool, int prefix, uint index, string expected) =>
        Assert.That(Ipv4Network.Parse(pool).Subnet(prefix, index).ToString(), Is.EqualTo(expected));

    [TestCase("10.1")]
    [TestCase("10.100.0.0/33")]
    [TestCase("fe80::/64")]
    public void MalformedNetworksAreRefused(string text) =>
        Assert.That(Ipv4Network.TryParse(text, out _, out var error), Is.False, error);

    /// <summary>Plan, VerifyPing, report.html and the lab listed pc-1, pc-10, pc-2: the plan itself is in the order a person counts.</summary>
    [Test]
    public void HostsAreInTheOrderAPersonCountsThem()
    {
        using var ws = new TestWorkspace();
        foreach (var f in Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "host-*.yaml")) File.Delete(f);
        foreach (var i in new[] { 10, 2, 1, 11 }) ws.Write($"pc-{i}.yaml", $"name: pc-{i}\nindex: {i}\nos: windows\n");
        var plan = global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory);
        Assert.That(plan.Hosts.Select(h => h.Name), Is.EqualTo(new[] { "pc-1", "pc-2", "pc-10", "pc-11" }));
    }
}
