using Flatnet.Verification;

namespace Flatnet.Tests;

/// <summary>
/// The report as a person sees it: Debian's chromium renders the page headless; the DOM it built has every link and
/// the matrix, and the screenshot's pixels along each link have that link's colour. The screenshot is kept as a test
/// attachment (and in the test's work directory).
/// </summary>
[Category("Browser")]
public class MeshReportBrowserTests
{
    private static readonly Dictionary<LinkState, (int R, int G, int B)> Colours = new()
    {
        [LinkState.Direct] = (0x2e, 0x9d, 0x3a), [LinkState.Relayed] = (0xf0, 0xa0, 0x00), [LinkState.Down] = (0xd3, 0x2f, 0x2f), [LinkState.Idle] = (0x9e, 0x9e, 0x9e),
        [LinkState.Unknown] = (0xb0, 0xbe, 0xc5),
    };

    /// <summary>The fixture's report, written where chromium can open it.</summary>
    private static (MeshPicture Picture, string Html) Written(TestWorkspace ws)
    {
        var plan = ws.ControlPlane().Context.Plan;
        var picture = MeshPicture.FromMatrix(plan, MeshFixture.Matrix(plan));
        var html = Path.Combine(ws.Root, "report.html");
        File.WriteAllText(html, MeshReport.Html(picture, DateTimeOffset.UnixEpoch));
        return (picture, html);
    }

    [Test]
    public void ChromiumDrawsEveryLinkInItsStatesColour()
    {
        using var ws = new TestWorkspace();
        var (picture, html) = Written(ws);
        var png = Path.Combine(TestContext.CurrentContext.WorkDirectory, "report-screenshot.png");
        var (width, height, _, _) = MeshReport.Size(picture);

        HeadlessChromium.Screenshot(html, png, width, height + 600);
        TestContext.AddTestAttachment(png, "the report at 3 hosts, as chromium drew it");
        var shot = Png.Read(png);
        Assert.That((shot.Width, shot.Height), Is.EqualTo((width, height + 600)));

        var at = MeshReport.Layout(picture);
        Assert.Multiple(() =>
        {
            foreach (var link in picture.Links)
                Assert.That(ColourAlong(shot, at[link.From], at[link.To]), Is.EqualTo(link.State), $"{link.From} - {link.To}");
        });
    }

    [Test]
    public void ChromiumBuildsTheLinksAndTheMatrixFromThePage()
    {
        using var ws = new TestWorkspace();
        var (picture, html) = Written(ws);

        var dom = HeadlessChromium.DumpDom(html);

        Assert.That(Count(dom, "<line class=\"link direct\""), Is.EqualTo(picture.Links.Count(l => l.State == LinkState.Direct)));
        Assert.That(Count(dom, "<line class=\"link relayed\" data-from=\"host-a\" data-to=\"host-c\""), Is.EqualTo(1));
        Assert.That(Count(dom, "<line class=\"link down\""), Is.EqualTo(3));
        var grid = dom[dom.IndexOf("<table id=\"matrix\">", StringComparison.Ordinal)..];
        grid = grid[..grid.IndexOf("</table>", StringComparison.Ordinal)];
        Assert.That(Count(grid, "<td class=\"fail\""), Is.EqualTo(picture.Matrix!.Failures.Count), "one red cell per failed ping");
        Assert.That(Count(grid, "<td class=\"ok\""), Is.EqualTo(picture.Matrix.Results.Count(r => r.Ok)), "one green cell per answered ping");
        Assert.That(dom, Does.Not.Contain("<script"), "the hostile detail stayed text");
    }

    /// <summary>
    /// PCs as Status sees them: most direct, two relayed, one whose Nebula is down, one the build machine cannot SSH in
    /// to, and one broken tunnel between two healthy PCs, the link a ring of 190 chords hid. Past RingLimit hosts the
    /// report is a grid, a cell per link: the screenshot (kept) has each cell in its link's colour, the hosts with a
    /// problem come first, the page fits a laptop's screen, and every label is inside it.
    /// </summary>
    [TestCase(20)]
    [TestCase(50)]
    public void ManyHostsAreAGridWhereOneBrokenLinkStandsOut(int count)
    {
        using var ws = new TestWorkspace();
        foreach (var f in Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "host-*.yaml")) File.Delete(f);
        for (var i = 1; i <= count; i++) ws.Write($"office-pc-{i:00}.yaml", $"name: office-pc-{i:00}\nindex: {i}\nos: windows\n");
        var plan = ws.ControlPlane().Context.Plan;
        var names = plan.Hosts.Select(h => h.Name).ToList();
        var lighthouse = plan.Lighthouses[0].Name;
        var rows = names.Select(n => n switch
        {
            "office-pc-07" => new HostStatus { Host = n, Reachable = false, Problem = "cannot connect to flatnet@192.168.1.17:22 (office-pc-07): Connection timed out", Fix = "turn office-pc-07 on" },
            _ => new HostStatus
            {
                Host = n, Reachable = true, Running = n != "office-pc-13", Service = n != "office-pc-13" ? "running" : "stopped", Routing = "ok",
                Tunnels = names.Where(p => p != n).Append(lighthouse).ToDictionary(p => p, p => n is "office-pc-02" or "office-pc-03" ? $"relayed via {lighthouse}" : "direct 192.168.1.9:4242"),
            },
        }).ToList();
        var status = MeshPicture.FromStatus(plan, rows);
        // One broken tunnel between two healthy PCs, deep in the fleet.
        var broken = (From: "office-pc-16", To: "office-pc-18");
        var picture = status with { Links = status.Links.Select(l => (l.From, l.To) == broken || (l.To, l.From) == broken ? l with { State = LinkState.Down, Detail = "no handshake" } : l).ToList() };
        Assert.That(MeshReport.IsGrid(picture), Is.True);
        var html = Path.Combine(ws.Root, $"report-{count}.html");
        File.WriteAllText(html, MeshReport.Html(picture, DateTimeOffset.UnixEpoch));
        var (width, height) = MeshReport.DrawingSize(picture);
        Assert.That(width, Is.LessThanOrEqualTo(1280), "no sideways scrolling on a laptop's screen");
        var png = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"report-screenshot-{count}.png");
        HeadlessChromium.Screenshot(html, png, width, height);
        TestContext.AddTestAttachment(png, $"the report at {count} hosts, as chromium drew it");
        var shot = Png.Read(png);

        var cells = MeshReport.GridCells(picture);
        Assert.Multiple(() =>
        {
            foreach (var ((from, to), at) in cells)
                if (MeshReport.LinkOf(picture, from, to) is { } link)
                    Assert.That(ColourAt(shot, at), Is.EqualTo(link.State), $"{from} - {to}");
        });
        Assert.That(ColourAt(shot, cells[(broken.From, broken.To)]), Is.EqualTo(LinkState.Down), "the one broken tunnel is a red cell of its own");
        var (order, _) = MeshReport.GridAxes(picture);
        Assert.That(order.Take(4).Select(r => r.Id), Is.EquivalentTo(new[] { "office-pc-07", "office-pc-13", "office-pc-16", "office-pc-18" }), "the hosts with a problem come first");

        var dom = HeadlessChromium.DumpDom(html);
        Assert.That(dom, Does.Contain($">{count - 4} of {count} hosts healthy, "), "the headline comes first: 07 off, 13 down, 16 and 18 with a broken tunnel");
        Assert.That(dom, Does.Contain($"L1 = {lighthouse} 10.100.0.1"), "the lighthouse is named, never covered");
        Assert.That(dom, Does.Contain("office-pc-07: cannot connect to flatnet@192.168.1.17:22").And.Contain("fix: turn office-pc-07 on"), "the reason is on the page, not only in a tooltip");
        Assert.That(dom, Does.Not.Contain(" ms</td>"), "no matrix of hundreds of columns");
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(dom, "<text class=\"rowhead[^\"]*\" x=\"([0-9.]+)\" y=\"([0-9.]+)\" text-anchor=\"end\">([^<]*)<"))
        {
            var (x, text) = (double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[3].Value);
            Assert.That(x - text.Length * 7.0, Is.GreaterThanOrEqualTo(0), $"'{text}' lies within the page");
        }
    }

    /// <summary>The colour of the pixel at a cell's centre, as one of the states'.</summary>
    private static LinkState? ColourAt(Png shot, (double X, double Y) at)
    {
        var (r, g, b) = shot[(int)Math.Round(at.X), (int)Math.Round(at.Y)];
        return Colours.Where(c => Math.Abs(c.Value.R - r) + Math.Abs(c.Value.G - g) + Math.Abs(c.Value.B - b) < 40).Select(c => (LinkState?)c.Key).FirstOrDefault();
    }

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    /// <summary>The link's colour as drawn: the most common of the known colours over the middle of the line (clear of both nodes and their labels).</summary>
    private static LinkState? ColourAlong(Png shot, (double X, double Y) a, (double X, double Y) b, double from = 0.4, double to = 0.6)
    {
        var votes = new Dictionary<LinkState, int>();
        for (var t = from; t <= to; t += 0.01)
        {
            var (x, y) = ((int)Math.Round(a.X + (b.X - a.X) * t), (int)Math.Round(a.Y + (b.Y - a.Y) * t));
            var (r, g, bl) = shot[x, y];
            var near = Colours.Where(c => Math.Abs(c.Value.R - r) + Math.Abs(c.Value.G - g) + Math.Abs(c.Value.B - bl) < 40).Select(c => (LinkState?)c.Key).FirstOrDefault();
            if (near is { } s) votes[s] = votes.GetValueOrDefault(s) + 1;
        }
        return votes.Count == 0 ? null : votes.MaxBy(v => v.Value).Key;
    }
}
