using System.Globalization;
using System.Net;
using System.Text;

namespace Flatnet.Verification;

/// <summary>
/// artifacts/verify/report.html: the mesh at a glance, for a person. One self-contained page (inline SVG and CSS, no
/// script, nothing fetched): lighthouses in the middle, hosts around them, each WSL2 outside its host; links green
/// direct, amber relayed, red down, grey idle; and VerifyPing's matrix as a coloured grid. Every value from the
/// inventory or a host goes through the HTML encoder.
/// </summary>
public static class MeshReport
{
    public const int Width = 960, Height = 640;
    private const double HostRing = 210, WslRing = 295, LighthouseRing = 70;

    public static string Write(string artifactsDirectory, MeshPicture picture)
    {
        var path = Path.Combine(artifactsDirectory, "verify", "report.html");
        SafeFiles.ClaimArtifacts(artifactsDirectory);
        SafeFiles.WriteAllText(path, Html(picture, DateTimeOffset.UtcNow));
        return path;
    }

    /// <summary>Where each node sits on the drawing (pixels from the page's top-left corner: the drawing is the page's first element).</summary>
    public static IReadOnlyDictionary<string, (double X, double Y)> Layout(MeshPicture picture)
    {
        var at = new Dictionary<string, (double, double)>();
        var (cx, cy) = (Width / 2.0, Height / 2.0);
        static (double, double) Ring(double cx, double cy, double r, int i, int n) =>
            (Math.Round(cx + r * Math.Cos(2 * Math.PI * i / n - Math.PI / 2), 1), Math.Round(cy + r * Math.Sin(2 * Math.PI * i / n - Math.PI / 2), 1));
        var lighthouses = picture.Nodes.Where(n => n.Kind == "lighthouse").ToList();
        for (var i = 0; i < lighthouses.Count; i++)
            at[lighthouses[i].Id] = lighthouses.Count == 1 ? (cx, cy) : Ring(cx, cy, LighthouseRing, i, lighthouses.Count);
        var hosts = picture.Nodes.Where(n => n.Kind == "host").ToList();
        for (var i = 0; i < hosts.Count; i++)
        {
            at[hosts[i].Id] = Ring(cx, cy, HostRing, i, hosts.Count);
            at[$"{hosts[i].Id}/wsl"] = Ring(cx, cy, WslRing, i, hosts.Count);
        }
        return at;
    }

    public static string Html(MeshPicture picture, DateTimeOffset when)
    {
        var at = Layout(picture);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>flatnet: the mesh</title>\n<style>\n")
            .Append("body{margin:0;font:14px system-ui,sans-serif;color:#222;background:#fff}\n")
            .Append("svg{display:block} .link{stroke-width:7;stroke-linecap:round} .link.idle{stroke-dasharray:10 8}\n")
            .Append(".direct{stroke:#2e9d3a;background:#2e9d3a} .relayed{stroke:#f0a000;background:#f0a000} .down{stroke:#d32f2f;background:#d32f2f} .idle{stroke:#9e9e9e;background:#9e9e9e}\n")
            .Append(".node circle{fill:#fff;stroke-width:4;stroke:#455a64} .node.down circle{stroke:#d32f2f;fill:#ffebee} .node.lighthouse circle{fill:#e3f2fd}\n")
            .Append(".node text{font-size:12px;text-anchor:middle;stroke:#fff;stroke-width:4px;paint-order:stroke;fill:#222} main{padding:0 24px 24px} table{border-collapse:collapse;margin:8px 0 16px}\n")
            .Append("td,th{border:1px solid #ccc;padding:3px 6px;font-size:12px;text-align:center} th{background:#f5f5f5}\n")
            .Append("td.ok{background:#c8e6c9} td.fail{background:#ffcdd2;font-weight:bold} td.none{background:#eee;color:#999}\n")
            .Append(".key{display:inline-block;width:22px;height:6px;margin:0 4px 2px 12px}\n</style></head><body>\n");

        html.Append($"<svg id=\"mesh\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\">\n");
        foreach (var l in picture.Links.Where(l => at.ContainsKey(l.From) && at.ContainsKey(l.To)))
        {
            var (a, b) = (at[l.From], at[l.To]);
            html.Append($"<line class=\"link {Css(l.State)}\" data-from=\"{E(l.From)}\" data-to=\"{E(l.To)}\" data-state=\"{Css(l.State)}\" " +
                        $"x1=\"{N(a.X)}\" y1=\"{N(a.Y)}\" x2=\"{N(b.X)}\" y2=\"{N(b.Y)}\"><title>{E(l.From)} - {E(l.To)}: {E(l.Detail)}</title></line>\n");
        }
        foreach (var n in picture.Nodes.Where(n => at.ContainsKey(n.Id)))
        {
            var (x, y) = at[n.Id];
            var r = n.Kind switch { "lighthouse" => 30, "host" => 26, _ => 18 };
            html.Append($"<g class=\"node {E(n.Kind)} {(n.Up ? "up" : "down")}\" data-id=\"{E(n.Id)}\"><title>{E(n.Label)} {E(n.Address)}: {E(n.Detail)}</title>" +
                        $"<circle cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"{r}\"/><text x=\"{N(x)}\" y=\"{N(y + r + 14)}\">{E(n.Label)}</text>" +
                        $"<text x=\"{N(x)}\" y=\"{N(y + r + 28)}\">{E(n.Address)}</text></g>\n");
        }
        html.Append("</svg>\n<main>\n");
        html.Append($"<h1>flatnet: the mesh</h1>\n<p>From {E(picture.Source)} at {E(when.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))}. " +
                    "Hover a line or a node for what was found.</p>\n<p>");
        foreach (var s in Enum.GetValues<LinkState>())
            html.Append($"<span class=\"key {Css(s)}\"></span>{Css(s)}");
        html.Append("</p>\n");
        if (picture.Matrix is { } matrix) Grid(html, picture, matrix);
        html.Append("<h2>Links</h2>\n<table id=\"links\"><tr><th>from</th><th>to</th><th>state</th><th>found</th></tr>\n");
        foreach (var l in picture.Links)
            html.Append($"<tr><td>{E(l.From)}</td><td>{E(l.To)}</td><td class=\"{(l.State == LinkState.Down ? "fail" : "ok")}\">{Css(l.State)}</td><td style=\"text-align:left\">{E(l.Detail)}</td></tr>\n");
        html.Append("</table>\n</main></body></html>\n");
        return html.ToString();
    }

    /// <summary>The ping matrix: a row per source (host, then its WSL2), a column per target; green answered, red failed, grey not measured.</summary>
    private static void Grid(StringBuilder html, MeshPicture picture, PingMatrix matrix)
    {
        var ends = picture.Nodes.Where(n => n.Kind != "lighthouse").Select(n => n.Id).ToList();
        var results = matrix.Results.GroupBy(r => (r.From, r.To)).ToDictionary(g => g.Key, g => g.First());
        html.Append($"<h2>Ping matrix</h2>\n<p>{matrix.Results.Count(r => r.Ok)} of {matrix.Results.Count} pairs reach each other.</p>\n<table id=\"matrix\"><tr><th>from \\ to</th>");
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

    private static string Css(LinkState s) => s.ToString().ToLowerInvariant();
    private static string E(string s) => WebUtility.HtmlEncode(s);
    private static string N(double d) => d.ToString("0.###", CultureInfo.InvariantCulture);
}
