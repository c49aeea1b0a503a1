namespace Flatnet;

/// <summary>
/// A problem the user can fix: the one error type of flatnet. It names where (file, line, field), what is wrong and
/// how to fix it, in the plain style of age/mkcert, and <see cref="Format"/> is the one place that spells it:
/// <code>
/// hosts/host-b.yaml: line 4: deploy.port: 70000 is not a TCP port
///     fix: use a port from 1 to 65535 (22 is SSH's)
/// </code>
/// </summary>
public class FlatnetException : Exception
{
    public string Problem { get; }
    public string? Fix { get; }
    public string? File { get; }
    public int? Line { get; }
    public string? Field { get; }

    public FlatnetException(string problem, string? fix = null, string? file = null, string? field = null, int? line = null, Exception? inner = null)
        : base(Format(file, line, field, problem, fix), inner)
    {
        Problem = problem;
        Fix = fix;
        File = file;
        Line = line;
        Field = field;
    }

    /// <summary>`file: line N: field: problem`, then `    fix: ...` on its own line; parts that are unknown are left out.</summary>
    public static string Format(string? file, int? line, string? field, string problem, string? fix)
    {
        var where = string.Concat(
            file is null ? "" : file + ": ",
            line is null ? "" : $"line {line}: ",
            field is null ? "" : field + ": ");
        return fix is null ? where + problem : $"{where}{problem}\n    fix: {fix}";
    }
}
