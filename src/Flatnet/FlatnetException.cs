namespace Flatnet;

/// <summary>
/// A problem the user can fix: the one error type of flatnet (its kinds are in Failures.cs). It names where (file, line, field), what is wrong and
/// how to fix it, in the plain style of age/mkcert, and <see cref="Format"/> is the one place that spells it:
/// <code>
/// hosts/host-b.yaml: line 4: deploy.port: 70000 is not a TCP port
///     fix: use a port from 1 to 65535 (22 is SSH's)
/// </code>
/// </summary>
public class FlatnetException : Exception
{
    public string Problem { get; }
    /// <summary>The first fix (most problems have one); <see cref="Fixes"/> has them all.</summary>
    public string? Fix => Fixes.Count > 0 ? Fixes[0] : null;
    public IReadOnlyList<string> Fixes { get; }
    public string? File { get; }
    public int? Line { get; }
    public string? Field { get; }

    /// <summary>Whether trying again later may succeed (a host that was off, a daemon that had not caught up); see Failures.cs.</summary>
    public virtual bool Transient => false;

    public FlatnetException(string problem, string? fix = null, string? file = null, string? field = null, int? line = null, Exception? inner = null)
        : this(problem, fix is null ? [] : [fix], file, field, line, inner) { }

    /// <summary>A problem with several fixes, one per cause (each on its own `fix:` line).</summary>
    public FlatnetException(string problem, IReadOnlyList<string> fixes, string? file = null, string? field = null, int? line = null, Exception? inner = null)
        : base(FormatAll(file, line, field, problem, fixes), inner)
    {
        Problem = Terminal.Clean(problem);
        Fixes = fixes.Select(Terminal.Clean).ToList();
        File = file;
        Line = line;
        Field = field;
    }

    /// <summary>`file: line N: field: problem`, then `    fix: ...` on its own line; parts that are unknown are left out.</summary>
    public static string Format(string? file, int? line, string? field, string problem, string? fix) =>
        FormatAll(file, line, field, problem, fix is null ? [] : [fix]);

    /// <summary>As above, with one `    fix: ...` line per fix.</summary>
    public static string FormatAll(string? file, int? line, string? field, string problem, IReadOnlyList<string> fixes)
    {
        var where = string.Concat(
            file is null ? "" : file + ": ",
            line is null ? "" : $"line {line}: ",
            field is null ? "" : field + ": ");
        // A problem may quote a host's words: nothing in it may drive the terminal (Terminal.Clean).
        return Terminal.Clean(where + problem + string.Concat(fixes.Select(f => "\n    fix: " + f)));
    }
}
