using Flatnet.Verification;

namespace Flatnet.Tests;

/// <summary>What the report draws, from what VerifyPing and Status found.</summary>
public class MeshPictureTests
{
    private static (string, string, LinkState) Link(MeshLink l) => (l.From, l.To, l.State);

    [Test]
    public void VerifyPingsFindingsBecomeDirectRelayedAndDownLinks()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Context.Plan;
        var lighthouse = plan.Lighthouses[0].Name;
        var picture = MeshPicture.FromMatrix(plan, MeshFixture.Matrix(plan));

        Assert.That(picture.Links.Select(Link), Is.EquivalentTo(new[]
        {
            ("host-a", lighthouse, LinkState.Direct), ("host-b", lighthouse, LinkState.Direct), ("host-c", lighthouse, LinkState.Down),
            ("host-a", "host-b", LinkState.Direct), ("host-a", "host-c", LinkState.Relayed), ("host-b", "host-c", LinkState.Down),
            ("host-a", "host-a/wsl", LinkState.Direct), ("host-b", "host-b/wsl", LinkState.Direct), ("host-c", "host-c/wsl", LinkState.Down),
        }));
        Assert.That(picture.Links.Single(l => l.To == "host-c" && l.From == "host-b").Detail, Does.Contain("host-b -> host-c: 100% packet loss"));
        Assert.That(picture.Nodes.Select(n => n.Id), Is.EquivalentTo(new[] { lighthouse, "host-a", "host-b", "host-c", "host-a/wsl", "host-b/wsl", "host-c/wsl" }));
    }

    [Test]
    public void StatusTakesAnUnreachableHostsLinksDownCallsAMissingTunnelIdleAndDrawsTheRoutingCheck()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Context.Plan;
        var lighthouse = plan.Lighthouses[0].Name;
        HostStatus Up(string host, params (string Peer, string Tunnel)[] tunnels) => new()
        {
            Host = host, Reachable = true, Running = true, Service = "running", Tunnels = tunnels.ToDictionary(t => t.Peer, t => t.Tunnel),
        };
        var rows = new[]
        {
            Up("host-a", ("host-b", "-"), ("host-c", "direct 198.18.0.13:4242"), (lighthouse, "direct 198.18.0.1:4242")) with { Routing = "ok" },
            new HostStatus { Host = "host-b", Reachable = false, Problem = "cannot connect" },
            Up("host-c", ("host-a", "-"), ("host-b", "-"), (lighthouse, "relayed via 10.100.0.1")) with { Routing = "missing: route 10.101.3.0/24 via 172.29.1.2" },
        };
        var picture = MeshPicture.FromStatus(plan, rows);

        Assert.That(picture.Links.Where(l => !l.To.EndsWith("/wsl", StringComparison.Ordinal)).Select(Link), Is.EquivalentTo(new[]
        {
            ("host-a", lighthouse, LinkState.Direct), ("host-b", lighthouse, LinkState.Unknown), ("host-c", lighthouse, LinkState.Relayed),
            ("host-a", "host-b", LinkState.Unknown), ("host-a", "host-c", LinkState.Direct), ("host-b", "host-c", LinkState.Unknown),
        }), "the build machine not reaching host-b says nothing of its tunnels: unknown, never drawn as down");
        Assert.That(picture.Links.Single(l => l.From == "host-a" && l.To == "host-b").Detail, Is.EqualTo("not read: the build machine cannot SSH in to host-b"));
        Assert.That(picture.Links.Where(l => l.To.EndsWith("/wsl", StringComparison.Ordinal)).Select(Link), Is.EquivalentTo(new[]
        {
            ("host-a", "host-a/wsl", LinkState.Direct), ("host-b", "host-b/wsl", LinkState.Unknown), ("host-c", "host-c/wsl", LinkState.Down),
        }), "a WSL2 link is what the routing check found; an unreached host's is not claimed");
        Assert.That(picture.Links.Single(l => l.To == "host-c/wsl").Detail, Does.Contain("missing: route 10.101.3.0/24 via 172.29.1.2"));
        Assert.That(picture.Nodes.Single(n => n.Id == "host-b"), Has.Property("Up").False.And.Property("Reached").False);
        Assert.That(picture.Problems.Select(p => p.What), Has.Some.StartWith("host-b: cannot connect").And.Some.StartWith("host-c: routing for its WSL2"));

        // The first-hour audit: the headline's problem and fix on one line were cut at the drawing's 960 px edge, with
        // "(and N more below)": two lines now, each within 125 characters.
        var html = MeshReport.Html(picture, DateTimeOffset.UnixEpoch);
        var headlines = System.Text.RegularExpressions.Regex.Matches(html, "<text class=\"problem\"[^>]*>([^<]*)</text>").Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.That(headlines, Has.Count.EqualTo(2).And.All.Length.LessThanOrEqualTo(125));
        Assert.That(headlines[0], Does.EndWith($"(and {picture.Problems.Count - 1} more below)"));
        Assert.That(headlines[1], Does.StartWith("fix: "));
    }

    [Test]
    public void TheReportIsSelfContainedAndEncodesWhatHostsSaid()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Context.Plan;
        var html = MeshReport.Html(MeshPicture.FromMatrix(plan, MeshFixture.Matrix(plan)), DateTimeOffset.UnixEpoch);

        Assert.That(html, Does.Not.Contain("<script").And.Contain("&lt;script&gt;alert(&#39;no route&#39;)&lt;/script&gt;"));
        Assert.That(html, Does.Not.Contain("src=").And.Not.Contain("href=").And.Not.Contain("url("), "nothing is fetched: the page works offline, from a zip or a CI artifact");
        Assert.That(html, Does.Contain("<table id=\"matrix\">").And.Contain("measured by VerifyPing at 1970-01-01 00:00:00 UTC"));
        Assert.That(html.IndexOf("id=\"headline\"", StringComparison.Ordinal), Is.LessThan(html.IndexOf("<line", StringComparison.Ordinal)), "the headline comes before the drawing");
        Assert.That(html, Does.Contain(">1 of 3 hosts healthy, 3 link(s) down<"), "host-b does not reach host-c, whose Nebula runs: both are counted out");

        var named = MeshFixture.Matrix(plan) with { Names = [new("host-a", "host-b", "10.100.2.1", "10.100.2.1"), new("host-a/wsl", "host-c-wsl", "10.101.3.1", "")] };
        Assert.That(MeshReport.Html(MeshPicture.FromMatrix(plan, named), DateTimeOffset.UnixEpoch), Does.Contain("Names: 1 of 2 resolve; not: host-c-wsl from host-a/wsl."));
    }

    [Test]
    public void TheLinksTableColoursEachStateAsTheLegendDoes()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Context.Plan;
        var picture = MeshPicture.FromMatrix(plan, MeshFixture.Matrix(plan));
        var html = MeshReport.Html(picture, DateTimeOffset.UnixEpoch);
        var table = html[html.IndexOf("<table id=\"links\">", StringComparison.Ordinal)..];
        foreach (var l in picture.Links)
        {
            var state = l.State.ToString().ToLowerInvariant();
            Assert.That(table, Does.Contain($"<td class=\"s-{state}\">{state}</td>"));
        }
        Assert.That(html, Does.Contain("td.s-relayed{background:#ffe0b2}").And.Contain("td.s-idle{background:#eeeeee}"), "amber and grey, as the legend");
    }

    /// <summary>
    /// 1,000 hosts: Status ran for over ten minutes drawing the grid (a search of every link for every cell) and would
    /// have written a page of a million cells. Past MeshReport.GridLimit the grid is the hosts with a problem, and the
    /// links table the links that are not direct.
    /// </summary>
    [Test]
    public void AThousandHostsMakeAPageOfTheirProblemsNotOfEveryCell()
    {
        var names = Enumerable.Range(1, 1000).Select(i => $"pc-{i}").ToList();
        var nodes = names.Select((n, i) => new MeshNode(n, "host", n, $"10.100.{i / 250}.{i % 250 + 1}", Up: n != "pc-7", "running")).ToList();
        var links = new List<MeshLink>();
        for (var a = 0; a < names.Count; a++)
            for (var b = a + 1; b < names.Count; b++)
                links.Add(new MeshLink(names[a], names[b], names[a] == "pc-7" || names[b] == "pc-7" ? LinkState.Down : LinkState.Direct, ""));
        var picture = new MeshPicture { Source = "Status", Nodes = nodes, Links = links };

        var html = MeshReport.Html(picture, DateTimeOffset.UnixEpoch);

        Assert.That(html.Length, Is.LessThan(2_000_000), "a page of its problems");
        Assert.That(html, Does.Contain(">999 of 1000 hosts healthy, 999 link(s) down<"));
        Assert.That(html, Does.Contain("1 of the 1000 hosts, those with a problem first"));
        Assert.That(html, Does.Contain("999 links that are not direct, counted per host and state"), "999 rows would be too many");
        Assert.That(MeshReport.GridAxes(picture).Rows.Select(r => r.Id), Is.EqualTo(new[] { "pc-7" }));
    }
}
