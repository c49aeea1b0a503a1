namespace Flatnet.Rendering;

/// <summary>
/// The encoders of every context a value is written into: a PowerShell string, a POSIX shell word, a YAML scalar, text
/// inside a comment, and a command line for a person to type. Templates call the first four as ps_quote, sh_quote,
/// yaml_quote and comment; C# that builds a command line calls them here. This is the one place each is spelled.
/// </summary>
public static class Quoting
{
    public static string PsQuote(string? value) => "'" + (value ?? "").Replace("'", "''") + "'";

    public static string ShQuote(string? value) => "'" + (value ?? "").Replace("'", "'\"'\"'") + "'";

    public static string YamlQuote(string? value) => "\"" + (value ?? "").Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>
    /// Text that stays inside a comment: no line break (nor Unicode's line and paragraph separators, which some
    /// parsers honour) can end it, and no "#>" can close a PowerShell comment block. Inventory values are already
    /// refused at load when they carry such characters; this makes a template safe on its own as well.
    /// </summary>
    public static string Comment(object? value)
    {
        var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        var safe = string.Concat(text.Select(c => char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085' ? '?' : c));
        return safe.Replace("#>", "#?").Replace("<#", "?#");
    }

    /// <summary>A command line for a person to type: words quoted only where the shell needs it.</summary>
    public static string ForPerson(string program, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { program }.Concat(arguments).Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "_./:=,@%+-".Contains(c)) ? a : ShQuote(a)));
}
