using System.Text.RegularExpressions;
using System.Globalization;
using System.Net;
using System.Text;
using Flatnet.Files;

namespace Flatnet.Verification;

/// <summary>
/// artifacts/verify/report.html: the mesh at a glance, for a person. One self-contained page (inline SVG and CSS, no
/// script, nothing fetched). The drawing comes first, headed by what matters: how many hosts are healthy, what to
/// do, and when it was measured. Lighthouses in the middle, hosts around them, each WSL2 outside its host, each
/// label outward of its node; links green direct, amber relayed, red down, grey idle, pale dotted not read (the build
/// machine could not SSH in: nothing is known of those tunnels). Below: every problem with its fix, VerifyPing's
/// matrix, and every link in words, coloured as the legend says. Every value from the inventory or a host goes
/// through the HTML encoder. The ring is drawn up to <see cref="RingLimit"/> hosts; past it, a grid with a cell per link
/// (MeshReport.Grid.cs), legible at 50 hosts, and the failed pings listed instead of a matrix of hundreds of columns.
/// </summary>
public static partial class MeshReport
{
    /// <summary>Past this many links to list, the links table counts them per host and state.</summary>
    public const int MaxListedLinks = 400;

    /// <summary>The headline band above the drawing, in pixels.</summary>
    public const int Band = 96;
    private const int ShownProblems = 3;

    public static string PathIn(string artifactsDirectory) => Path.Combine(artifactsDirectory, "verify", "report.html");

    /// <summary>Text every report holds: a file at its path without it is someone else's (<see cref="SafeFiles.RequireOursOrNothing"/>).</summary>
    private const string Title = "<title>flatnet: the mesh</title>";

    /// <summary>How every report begins: a file at its path that does not is someone else's (<see cref="SafeFiles.RequireOursOrNothing"/>).</summary>
    public static readonly Regex Shape = new(@"\A<!DOCTYPE html>\n<html lang=""en""><head><meta charset=""utf-8""><title>flatnet: the mesh</title>\n", RegexOptions.CultureInvariant);

    public static string Write(string artifactsDirectory, MeshPicture picture)
    {
        var path = PathIn(artifactsDirectory);
        SafeFiles.ClaimArtifacts(artifactsDirectory);
        SafeFiles.WriteAllText(path, Html(picture, DateTimeOffset.UtcNow), shape: Shape);
        return path;
    }

    /// <summary>The drawing's size and rings for this many hosts: the rings grow so that neighbours stay apart.</summary>
    public static (int Width, int Height, double HostRing, double WslRing) Size(MeshPicture picture)
    {
        var hosts = picture.Nodes.Count(n => n.Kind == "host");
        var hostRing = Math.Max(200, hosts * 15.0);
        var wslRing = hostRing + 110;
        var width = (int)Math.Max(960, 2 * (wslRing + 150));
        return (width, (int)(Band + 2 * (wslRing + 70)), hostRing, wslRing);
    }

    /// <summary>The drawing's size, ring or grid: the page's first element, a screenshot's size.</summary>
    public static (int Width, int Height) DrawingSize(MeshPicture picture)
    {
        if (IsGrid(picture)) return GridSize(picture);
        var (width, height, _, _) = Size(picture);
        return (width, height);
    }

    /// <summary>Where each node sits on the drawing (pixels from the page's top-left corner: the drawing is the page's first element).</summary>
    public static IReadOnlyDictionary<string, (double X, double Y)> Layout(MeshPicture picture)
    {
        var (width, height, hostRing, wslRing) = Size(picture);
        var at = new Dictionary<string, (double, double)>();
        var (cx, cy) = (width / 2.0, Band + (height - Band) / 2.0);
        static (double, double) Ring(double cx, double cy, double r, int i, int n) =>
            (Math.Round(cx + r * Math.Cos(Angle(i, n)), 1), Math.Round(cy + r * Math.Sin(Angle(i, n)), 1));
        var lighthouses = picture.Nodes.Where(n => n.Kind == "lighthouse").ToList();
        for (var i = 0; i < lighthouses.Count; i++)
            at[lighthouses[i].Id] = lighthouses.Count == 1 ? (cx, cy) : Ring(cx, cy, 70, i, lighthouses.Count);
        var hosts = picture.Nodes.Where(n => n.Kind == "host").ToList();
        for (var i = 0; i < hosts.Count; i++)
        {
            at[hosts[i].Id] = Ring(cx, cy, hostRing, i, hosts.Count);
            at[$"{hosts[i].Id}/wsl"] = Ring(cx, cy, wslRing, i, hosts.Count);
        }
        return at;
    }

    private static double Angle(int i, int n) => 2 * Math.PI * i / n - Math.PI / 2;

    public static string Html(MeshPicture picture, DateTimeOffset when)
    {
        var grid = IsGrid(picture);
        var at = grid ? new Dictionary<string, (double X, double Y)>() : Layout(picture);
        var (width, height) = DrawingSize(picture);
        var (cx, cy) = (width / 2.0, Band + (height - Band) / 2.0);
        var html = new StringBuilder();
        html.Append($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{Title}\n<style>\n")
            .Append("body{margin:0;font:14px system-ui,sans-serif;color:#222;background:#fff}\n")
            .Append("svg{display:block} .link{stroke-width:6;stroke-linecap:round} .link.idle{stroke-dasharray:10 8} .link.unknown{stroke-dasharray:2 8;stroke-width:4}\n")
            .Append(".direct{stroke:#2e9d3a;background:#2e9d3a} .relayed{stroke:#f0a000;background:#f0a000} .down{stroke:#d32f2f;background:#d32f2f} .idle{stroke:#9e9e9e;background:#9e9e9e} .unknown{stroke:#b0bec5;background:#b0bec5}\n")
            .Append(".node circle{fill:#fff;stroke-width:4;stroke:#455a64} .node.down circle{stroke:#d32f2f;fill:#ffebee} .node.unreached circle{stroke:#90a4ae;fill:#eceff1;stroke-dasharray:4 4} .node.lighthouse circle{fill:#e3f2fd}\n")
            .Append(".node text,.label{font-size:12px;stroke:#fff;stroke-width:4px;paint-order:stroke;fill:#222} .head{font-size:22px;font-weight:bold} .sub{font-size:13px;fill:#444} .problem{font-size:13px;fill:#b71c1c}\n")
            .Append("main{padding:0 24px 24px} table{border-collapse:collapse;margin:8px 0 16px}\n")
            .Append("td,th{border:1px solid #ccc;padding:3px 6px;font-size:12px;text-align:center} th{background:#f5f5f5}\n")
            .Append("td.ok{background:#c8e6c9} td.fail{background:#ffcdd2;font-weight:bold} td.none{background:#eee;color:#999}\n")
            .Append("td.s-direct{background:#c8e6c9} td.s-relayed{background:#ffe0b2} td.s-down{background:#ffcdd2;font-weight:bold} td.s-idle{background:#eeeeee} td.s-unknown{background:#eceff1;color:#607d8b}\n")
            .Append("#problems li{margin:4px 0} #problems .fix{color:#444} .key{display:inline-block;width:22px;height:6px;margin:0 4px 2px 12px}\n")
            .Append("td{white-space:nowrap} .cell{stroke:#fff;stroke-width:1} .cell.direct{fill:#2e9d3a} .cell.relayed{fill:#f0a000} .cell.down{fill:#d32f2f} .cell.idle{fill:#9e9e9e} .cell.unknown{fill:#b0bec5} .cell.self{fill:#f5f5f5}\n")
            .Append(".colhead{font-size:10px;fill:#444} .rowhead{font-size:12px;fill:#222} .rowhead.r-down{fill:#b71c1c;font-weight:bold} .rowhead.r-unreached{fill:#607d8b;font-style:italic}\n</style></head><body>\n");

        html.Append($"<svg id=\"mesh\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n");
        Headline(html, picture, when);
        if (grid) GridDrawing(html, picture);
        // Host-to-host links first, the spokes to lighthouses and WSL2s over them: each host's own links stay visible.
        foreach (var l in picture.Links.Where(l => at.ContainsKey(l.From) && at.ContainsKey(l.To)).OrderBy(l => IsSpoke(picture, l) ? 1 : 0))
        {
            var (a, b) = (at[l.From], at[l.To]);
            html.Append($"<line class=\"link {Css(l.State)}\" data-from=\"{E(l.From)}\" data-to=\"{E(l.To)}\" data-state=\"{Css(l.State)}\" " +
                        $"x1=\"{N(a.X)}\" y1=\"{N(a.Y)}\" x2=\"{N(b.X)}\" y2=\"{N(b.Y)}\"><title>{E(l.From)} - {E(l.To)}: {E(l.Detail)}</title></line>\n");
        }
        foreach (var n in picture.Nodes.Where(n => at.ContainsKey(n.Id)))
        {
            var (x, y) = at[n.Id];
            var r = n.Kind switch { "lighthouse" => 30, "host" => 22, _ => 15 };
            var state = !n.Reached ? "unreached" : n.Up ? "up" : "down";
            html.Append($"<g class=\"node {E(n.Kind)} {state}\" data-id=\"{E(n.Id)}\"><title>{E(n.Label)} {E(n.Address)}: {E(n.Detail)}</title>" +
                        $"<circle cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"{r}\"/>");
            // The label sits outward of its node, anchored on the side it leans to: a WSL2's straight out, a host's
            // half-way between out and along the ring (clear of its spokes to WSL2 and the lighthouse), a lighthouse's below.
            var (ux, uy) = Unit(x - cx, y - cy);
            var (dx, dy) = n.Kind switch { "lighthouse" => (0.0, 1.0), "host" => Unit(ux - uy, uy + ux), _ => (ux, uy) };
            var (lx, ly) = (x + dx * (r + 8), y + dy * (r + 8));
            var anchor = dx > 0.35 ? "start" : dx < -0.35 ? "end" : "middle";
            var top = dy < -0.35 ? ly - 18 : dy > 0.35 ? ly + 12 : ly - 3;
            html.Append($"<text x=\"{N(lx)}\" y=\"{N(top)}\" text-anchor=\"{anchor}\">{E(n.Label)}</text>" +
                        $"<text x=\"{N(lx)}\" y=\"{N(top + 14)}\" text-anchor=\"{anchor}\">{E(n.Address)}</text></g>\n");
        }
        html.Append("</svg>\n<main>\n<p>");
        foreach (var s in Enum.GetValues<LinkState>())
            html.Append($"<span class=\"key {Css(s)}\"></span>{Legend(s)}");
        html.Append("</p>\n");
        if (picture.Problems.Count > 0)
        {
            html.Append("<h2>What to do</h2>\n<ul id=\"problems\">\n");
            foreach (var p in picture.Problems)
                html.Append($"<li>{E(p.What)}{(p.Fix is null ? "" : $"<br><span class=\"fix\">fix: {E(p.Fix)}</span>")}</li>\n");
            html.Append("</ul>\n");
        }
        if (picture.Matrix is { } matrix)
        {
            if (grid) FailedPairs(html, matrix);
            else Grid(html, picture, matrix);
        }
        // Every link in words, the ones to act on first; past GridLimit hosts only those that are not direct (half a
        // million rows is no page).
        var many = picture.Nodes.Count(n => n.Kind == "host") > GridLimit;
        var listed = picture.Links.Where(l => !many || l.State != LinkState.Direct).OrderBy(l => l.State switch { LinkState.Down => 0, LinkState.Unknown => 1, LinkState.Relayed => 2, LinkState.Idle => 3, _ => 4 }).ToList();
        if (listed.Count > MaxListedLinks)
        {
            // Past this many, the links are counted per host and state (a fleet seen from off its network: every pair unknown).
            html.Append($"<h2>Links</h2>\n<p>{listed.Count} links{(many ? " that are not direct" : "")}, counted per host and state.</p>\n<table id=\"links\"><tr><th>host</th><th>state</th><th>links</th></tr>\n");
            foreach (var g in listed.GroupBy(l => (l.From, l.State)).OrderBy(g => g.Key.State).ThenBy(g => g.Key.From, Output.NaturalOrder.Instance))
                html.Append($"<tr><td>{E(g.Key.From)}</td><td class=\"s-{Css(g.Key.State)}\">{Css(g.Key.State)}</td><td>{g.Count()}</td></tr>\n");
            html.Append("</table>\n</main></body></html>\n");
            return html.ToString();
        }
        html.Append($"<h2>Links</h2>\n{(many ? "<p>Only the links that are not direct.</p>\n" : "")}<table id=\"links\"><tr><th>from</th><th>to</th><th>state</th><th>found</th></tr>\n");
        foreach (var l in listed)
            html.Append($"<tr><td>{E(l.From)}</td><td>{E(l.To)}</td><td class=\"s-{Css(l.State)}\">{Css(l.State)}</td><td style=\"text-align:left\">{E(l.Detail)}</td></tr>\n");
        html.Append("</table>\n</main></body></html>\n");
        return html.ToString();
    }

    /// <summary>The band above the drawing: N of M hosts healthy, the first problems with their fixes, and when and by what it was measured.</summary>
    private static void Headline(StringBuilder html, MeshPicture picture, DateTimeOffset when)
    {
        var hosts = picture.Nodes.Where(n => n.Kind == "host").ToList();
        var healthySet = HealthyHosts(picture);
        var healthy = hosts.Count(h => healthySet.Contains(h.Id));
        var down = picture.Links.Count(l => l.State == LinkState.Down);
        var head = $"{healthy} of {hosts.Count} hosts healthy" + (down > 0 ? $", {down} link(s) down" : "") + (picture.Problems.Count == 0 && down == 0 ? ": nothing to do" : "");
        html.Append($"<text id=\"headline\" class=\"head\" x=\"24\" y=\"32\">{E(head)}</text>\n");
        html.Append($"<text class=\"sub\" x=\"24\" y=\"52\">measured by {E(picture.Source)} at {E(when.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))}" +
                    " (hover a line or a node for what was found)</text>\n");
        var first = picture.Problems.FirstOrDefault();
        // Two lines of at most 125 characters each, the problem and then its fix: one line of both was cut at the
        // drawing's 960 px edge, "(and N more below)" with it.
        if (first is null) return;
        html.Append($"<text class=\"problem\" x=\"24\" y=\"74\">{E(Cut(first.What, 100))}{(picture.Problems.Count > 1 ? $" (and {picture.Problems.Count - 1} more below)" : "")}</text>\n");
        if (first.Fix is not null) html.Append($"<text class=\"problem\" x=\"24\" y=\"90\">fix: {E(Cut(first.Fix, 120))}</text>\n");
    }

    /// <summary>
    /// The healthy hosts: reached, their Nebula up, and no link down to their WSL2 or to a peer that is up (a link to a
    /// host that is itself down is that host's problem, not this one's). One pass over the nodes and one over the links.
    /// </summary>
    public static IReadOnlySet<string> HealthyHosts(MeshPicture picture)
    {
        var up = picture.Nodes.Where(n => n.Up && n.Reached).Select(n => n.Id).ToHashSet();
        var healthy = picture.Nodes.Where(n => n.Kind == "host" && up.Contains(n.Id)).Select(n => n.Id).ToHashSet();
        foreach (var l in picture.Links.Where(l => l.State == LinkState.Down))
        {
            if (up.Contains(l.To) || l.To == l.From + "/wsl") healthy.Remove(l.From);
            if (up.Contains(l.From)) healthy.Remove(l.To);
        }
        return healthy;
    }

    private static bool IsSpoke(MeshPicture picture, MeshLink l) =>
        l.To.EndsWith("/wsl", StringComparison.Ordinal) || picture.Nodes.Any(n => n.Kind == "lighthouse" && (n.Id == l.To || n.Id == l.From));

    /// <summary>The ping matrix: a row per source (host, then its WSL2), a column per target; green answered, red failed, grey not measured.</summary>
    private static void Grid(StringBuilder html, MeshPicture picture, PingMatrix matrix)
    {
        var ends = picture.Nodes.Where(n => n.Kind != "lighthouse").Select(n => n.Id).ToList();
        var results = matrix.Results.GroupBy(r => (r.From, r.To)).ToDictionary(g => g.Key, g => g.First());
        html.Append($"<h2>Ping matrix</h2>\n<p>{matrix.Results.Count(r => r.Ok)} of {matrix.Results.Count} pairs reach each other.{NamesLine(matrix)}</p>\n<table id=\"matrix\"><tr><th>from \\ to</th>");
        foreach (var to in ends) html.Append($"<th>{E(to)}</th>");
        html.Append("</tr>\n");
        foreach (var from in ends)
        {
            html.Append($"<tr><th>{E(from)}</th>");
            foreach (var to in ends)
                html.Append(results.TryGetValue((from, to), out var r)
                    ? $"<td class=\"{(r.Ok ? "ok" : "fail")}\" title=\"{E(r.Target)} {E(r.Tunnel)} {E(r.Detail)}\">{(r.Ok ? r.RttMs is { } ms ? N(ms) + " ms" : "ok" : "FAIL")}</td>"
                    : "<td class=\"none\">-</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    private static string Legend(LinkState s) => s switch
    {
        LinkState.Idle => "idle (no tunnel now)",
        LinkState.Unknown => "not read (the build machine cannot SSH in)",
        _ => Css(s),
    };

    private static (double, double) Unit(double x, double y)
    {
        var length = Math.Sqrt(x * x + y * y);
        return length < 1e-9 ? (0, 1) : (x / length, y / length);
    }

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
    private static string Css(LinkState s) => s.ToString().ToLowerInvariant();
    private static string E(string s) => WebUtility.HtmlEncode(s);
    private static string N(double d) => d.ToString("0.###", CultureInfo.InvariantCulture);
}
