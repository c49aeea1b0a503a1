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
    /// Twenty PCs, as Status sees them: most direct, some relayed, one whose Nebula is down, one the build machine
    /// cannot SSH in to. The screenshot is kept; the spokes (each host to the lighthouse and to its WSL2, drawn over
    /// the chords) have their state's colour, the unreachable host's are pale, not red, and every label is inside the page.
    /// </summary>
    [Test]
    public void TwentyHostsStayLegibleAndAHostNobodyCanReachIsNotDrawnAsABrokenTunnel()
    {
        using var ws = new TestWorkspace();
        foreach (var f in Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "host-*.yaml")) File.Delete(f);
        for (var i = 1; i <= 20; i++) ws.Write($"office-pc-{i:00}.yaml", $"name: office-pc-{i:00}\nindex: {i}\nos: windows\n");
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
        var picture = MeshPicture.FromStatus(plan, rows);
        var html = Path.Combine(ws.Root, "report-20.html");
        File.WriteAllText(html, MeshReport.Html(picture, DateTimeOffset.UnixEpoch));
        var (width, height, _, _) = MeshReport.Size(picture);
        var png = Path.Combine(TestContext.CurrentContext.WorkDirectory, "report-screenshot-20.png");
        HeadlessChromium.Screenshot(html, png, width, height);
        TestContext.AddTestAttachment(png, "the report at 20 hosts, as chromium drew it");
        var shot = Png.Read(png);

        var at = MeshReport.Layout(picture);
        Assert.Multiple(() =>
        {
            foreach (var link in picture.Links.Where(l => l.To == lighthouse || l.To.EndsWith("/wsl", StringComparison.Ordinal)))
                Assert.That(ColourAlong(shot, at[link.From], at[link.To], 0.7, 0.9), Is.EqualTo(link.State), $"{link.From} - {link.To}");
        });
        Assert.That(picture.Links.Where(l => (l.From == "office-pc-07" || l.To == "office-pc-07") && l.From != "office-pc-13" && l.To != "office-pc-13").Select(l => l.State),
            Has.All.EqualTo(LinkState.Unknown), "not read, unless the other end is known to be down");
        var dom = HeadlessChromium.DumpDom(html);
        Assert.That(dom, Does.Contain(">18 of 20 hosts healthy, "), "the headline comes first");
        Assert.That(dom, Does.Contain("office-pc-07: cannot connect to flatnet@192.168.1.17:22").And.Contain("fix: turn office-pc-07 on"), "the reason is on the page, not only in a tooltip");
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(dom, "<text x=\"([0-9.]+)\" y=\"([0-9.]+)\" text-anchor=\"(\\w+)\">([^<]*)</text>"))
        {
            var (x, y, anchor, text) = (double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[3].Value, m.Groups[4].Value);
            var span = text.Length * 7.0; // 12px text: about 7px a character
            var (left, right) = anchor switch { "start" => (x, x + span), "end" => (x - span, x), _ => (x - span / 2, x + span / 2) };
            Assert.That((left >= 0, right <= width, y - 12 >= MeshReport.Band - 10, y <= height), Is.EqualTo((true, true, true, true)), $"'{text}' at {x},{y} lies within the drawing");
        }
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
