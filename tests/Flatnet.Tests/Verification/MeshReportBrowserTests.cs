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

        HeadlessChromium.Screenshot(html, png, MeshReport.Width, 1400);
        TestContext.AddTestAttachment(png, "the report as chromium drew it");
        var shot = Png.Read(png);
        Assert.That((shot.Width, shot.Height), Is.EqualTo((MeshReport.Width, 1400)));

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

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    /// <summary>The link's colour as drawn: the most common of the known colours over the middle of the line (clear of both nodes and their labels).</summary>
    private static LinkState? ColourAlong(Png shot, (double X, double Y) a, (double X, double Y) b)
    {
        var votes = new Dictionary<LinkState, int>();
        for (var t = 0.4; t <= 0.6; t += 0.01)
        {
            var (x, y) = ((int)Math.Round(a.X + (b.X - a.X) * t), (int)Math.Round(a.Y + (b.Y - a.Y) * t));
            var (r, g, bl) = shot[x, y];
            var near = Colours.Where(c => Math.Abs(c.Value.R - r) + Math.Abs(c.Value.G - g) + Math.Abs(c.Value.B - bl) < 40).Select(c => (LinkState?)c.Key).FirstOrDefault();
            if (near is { } s) votes[s] = votes.GetValueOrDefault(s) + 1;
        }
        return votes.Count == 0 ? null : votes.MaxBy(v => v.Value).Key;
    }
}
