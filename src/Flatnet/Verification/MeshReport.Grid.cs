using System.Text;

namespace Flatnet.Verification;

// The report past RingLimit hosts: a grid of every host against every other, its lighthouses and its WSL2, each cell
// coloured by that link's state, the hosts with a problem first. A ring of 20 hosts is 190 chords drawn over each
// other, a green disk in which one red link cannot be seen; a grid gives each link a cell of its own, at 50 hosts too.
public static partial class MeshReport
{
    /// <summary>Up to this many hosts the report draws the ring; past it, the grid.</summary>
    public const int RingLimit = 12;

    private const int Cell = 16;
    private const int Stride = Cell + 2;
    private const int Margin = 24;
    private const int HeaderRows = 40;

    /// <summary>Whether this picture is drawn as a grid (more than <see cref="RingLimit"/> hosts).</summary>
    public static bool IsGrid(MeshPicture picture) => picture.Nodes.Count(n => n.Kind == "host") > RingLimit;

    /// <summary>Past this many hosts the grid draws only the hosts with a problem (a row each): a million cells is no picture.</summary>
    public const int GridLimit = 200;

    /// <summary>Past <see cref="GridLimit"/> hosts, the most rows with a problem drawn (the first, in the order above).</summary>
    public const int ProblemRows = 60;

    /// <summary>The rows (hosts, problems first; past <see cref="GridLimit"/>, only those) and the columns (the same hosts, then each lighthouse, then "WSL2").</summary>
    public static (IReadOnlyList<MeshNode> Rows, IReadOnlyList<string> Columns) GridAxes(MeshPicture picture)
    {
        var hosts = picture.Nodes.Where(n => n.Kind == "host").ToList();
        var healthy = HealthyHosts(picture);
        var troubled = hosts.Where(h => !healthy.Contains(h.Id)).ToHashSet();
        var rows = hosts.Where(troubled.Contains).Concat(hosts.Where(h => !troubled.Contains(h))).ToList();
        if (rows.Count > GridLimit) rows = rows.Where(troubled.Contains).Take(ProblemRows).ToList();
        var columns = rows.Select(r => r.Id).Concat(picture.Nodes.Where(n => n.Kind == "lighthouse").Select(n => n.Id)).Append("WSL2").ToList();
        return (rows, columns);
    }

    /// <summary>The width of the row labels: the longest "N name address", at about 7 pixels a character.</summary>
    private static int LabelWidth(IReadOnlyList<MeshNode> rows) =>
        rows.Select((r, i) => $"{i + 1} {r.Label} {r.Address}".Length).DefaultIfEmpty(10).Max() * 7 + 16;

    /// <summary>The grid's drawing size.</summary>
    public static (int Width, int Height) GridSize(MeshPicture picture)
    {
        var (rows, columns) = GridAxes(picture);
        return (Math.Max(960, Margin * 2 + LabelWidth(rows) + columns.Count * Stride), Band + HeaderRows + rows.Count * Stride + Margin);
    }

    /// <summary>The centre of each cell, by (row host, column): for the browser test, which reads its colour there.</summary>
    public static IReadOnlyDictionary<(string From, string To), (double X, double Y)> GridCells(MeshPicture picture)
    {
        var (rows, columns) = GridAxes(picture);
        return GridCells(rows, columns);
    }

    private static Dictionary<(string, string), (double, double)> GridCells(IReadOnlyList<MeshNode> rows, IReadOnlyList<string> columns)
    {
        var left = Margin + LabelWidth(rows);
        var cells = new Dictionary<(string, string), (double, double)>();
        for (var r = 0; r < rows.Count; r++)
            for (var c = 0; c < columns.Count; c++)
                cells[(rows[r].Id, columns[c])] = (left + c * Stride + Cell / 2.0, Band + HeaderRows + r * Stride + Cell / 2.0);
        return cells;
    }

    /// <summary>The link a cell stands for: the two hosts' (either way), the host's to a lighthouse, or to its WSL2; none on the diagonal.</summary>
    public static MeshLink? LinkOf(MeshPicture picture, string from, string column) => LinkOf(Index(picture), from, column);

    private static MeshLink? LinkOf(IReadOnlyDictionary<(string, string), MeshLink> links, string from, string column)
    {
        if (from == column) return null;
        var to = column == "WSL2" ? from + "/wsl" : column;
        return links.GetValueOrDefault((from, to)) ?? links.GetValueOrDefault((to, from));
    }

    /// <summary>Every link by its two ends, looked up once per cell (a search per cell made 1,000 hosts a run of minutes).</summary>
    private static IReadOnlyDictionary<(string, string), MeshLink> Index(MeshPicture picture)
    {
        var index = new Dictionary<(string, string), MeshLink>();
        foreach (var l in picture.Links) index.TryAdd((l.From, l.To), l);
        return index;
    }

    private static void GridDrawing(StringBuilder html, MeshPicture picture)
    {
        var (rows, columns) = GridAxes(picture);
        var cells = GridCells(rows, columns);
        var links = Index(picture);
        var left = Margin + LabelWidth(rows);
        var lighthouses = picture.Nodes.Where(n => n.Kind == "lighthouse").ToList();
        // Column heads: a host's row number (its name is on its row), L1.. for the lighthouses (named below the grid's
        // heading, never covered), and WSL2 for each host's own.
        for (var c = 0; c < columns.Count; c++)
        {
            var head = c < rows.Count ? (c + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : columns[c] == "WSL2" ? "W" : $"L{c - rows.Count + 1}";
            html.Append($"<text class=\"colhead\" x=\"{N(left + c * Stride + Cell / 2.0)}\" y=\"{N(Band + HeaderRows - 6)}\" text-anchor=\"middle\">{E(head)}</text>\n");
        }
        var hosts = picture.Nodes.Count(n => n.Kind == "host");
        html.Append($"<text class=\"sub\" x=\"{Margin}\" y=\"{Band + 14}\">{(rows.Count < hosts ? $"{rows.Count} of the {hosts} hosts, those with a problem first; " : "")}each row: a host and its links to every other host (by row number), " +
                    $"{E(string.Join(", ", lighthouses.Select((l, i) => $"L{i + 1} = {l.Label} {l.Address}")))}, and W = its WSL2; hosts with a problem first</text>\n");
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var state = !row.Reached ? "r-unreached" : row.Up ? "r-up" : "r-down";
            var y = Band + HeaderRows + r * Stride;
            html.Append($"<text class=\"rowhead {state}\" x=\"{N(left - 8)}\" y=\"{N(y + Cell - 3)}\" text-anchor=\"end\">" +
                        $"{r + 1} {E(row.Label)} {E(row.Address)}<title>{E(row.Label)}: {E(row.Detail)}</title></text>\n");
            foreach (var column in columns)
            {
                var (cx, cy) = cells[(row.Id, column)];
                var link = LinkOf(links, row.Id, column);
                var css = link is null ? "self" : Css(link.State);
                html.Append($"<rect class=\"cell {css}\" data-from=\"{E(row.Id)}\" data-to=\"{E(column)}\" data-state=\"{css}\" x=\"{N(cx - Cell / 2.0)}\" y=\"{N(cy - Cell / 2.0)}\" width=\"{Cell}\" height=\"{Cell}\">" +
                            (link is null ? "" : $"<title>{E(link.From)} - {E(link.To)}: {E(link.Detail)}</title>") + "</rect>\n");
            }
        }
    }

    /// <summary>The names' line of the matrix's heading: how many resolve as planned, and those that do not (their fixes are among the problems).</summary>
    private static string NamesLine(PingMatrix matrix) => matrix.Names.Count == 0 ? ""
        : $" Names: {matrix.Names.Count(n => n.Ok)} of {matrix.Names.Count} resolve" +
          (matrix.NameFailures.Count == 0 ? "." : $"; not: {E(string.Join(", ", matrix.NameFailures.Take(10).Select(n => $"{n.Name} from {n.From}")))}{(matrix.NameFailures.Count > 10 ? ", ..." : "")}.");

    /// <summary>Past <see cref="RingLimit"/> hosts the ping matrix is hundreds of columns: the pairs that failed, listed; the whole matrix is ping-matrix.json.</summary>
    private static void FailedPairs(StringBuilder html, PingMatrix matrix)
    {
        html.Append($"<h2>Ping matrix</h2>\n<p>{matrix.Results.Count(r => r.Ok)} of {matrix.Results.Count} pairs reach each other" +
                    $" (every pair: artifacts/verify/ping-matrix.json).{NamesLine(matrix)}</p>\n");
        if (matrix.Failures.Count == 0) return;
        html.Append("<table id=\"matrix\"><tr><th>from</th><th>to</th><th>target</th><th>found</th></tr>\n");
        foreach (var f in matrix.Failures)
            html.Append($"<tr><td>{E(f.From)}</td><td>{E(f.To)}</td><td>{E(f.Target)}</td><td class=\"fail\" style=\"text-align:left\">FAIL {E(f.Detail)}</td></tr>\n");
        html.Append("</table>\n");
    }
}
