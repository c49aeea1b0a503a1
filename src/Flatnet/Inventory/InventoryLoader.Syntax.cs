using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Flatnet.Inventory;

// What a YAML error in an inventory file means to a person, and its fix.
public static partial class InventoryLoader
{
    /// <summary>
    /// What a YAML error means in an inventory file, and its fix: the parser's words name its own state ("while
    /// scanning a plain scalar value, found invalid mapping"); a person needs the usual causes. A value of the wrong
    /// kind says which kind the key takes (<see cref="PlainReason"/>).
    /// </summary>
    private static (string Problem, string Fix) Syntax(YamlException e)
    {
        var said = (e.InnerException?.Message ?? e.Message).Split('\n')[0];
        bool Says(string words) => said.Contains(words, StringComparison.OrdinalIgnoreCase);
        if (Says("quoted scalar") || Says("end of stream"))
            return ("a quote is opened here and not closed", "close the quote on the same line (\"192.0.2.10:22\"), or leave the quotes out");
        if (Says("cannot start any token"))
            return ("a character YAML does not take at the start of a value", "quote a value that starts with @, ` or %");
        if (Says("indentation") || Says("invalid mapping") || Says("expected key") || Says("mapping values are not allowed") || Says("block end"))
            return ("the indentation or a ':' here does not fit the lines around it",
                "indent a key as far as the keys beside it (two spaces under its parent, as under deploy:), write key: value with a space after the colon, and quote a value that holds ': '");
        return ($"not valid here: {PlainReason(e)}", "compare with the keys and examples in README.md, section \"The inventory\"");
    }

    private static string PlainReason(YamlException e)
    {
        switch (e.InnerException)
        {
            case FormatException f when InputString().Match(f.Message) is { Success: true } m:
                return $"'{Grammar.Shown(m.Groups[1].Value)}' is not a number";
            case FormatException:
                return "expected a number or true/false";
            case OverflowException:
                return "the number is too large";
        }
        var text = (e.InnerException?.Message ?? e.Message).Split('\n')[0];
        if (text.Contains("deserialize") || text.Contains("System.") || text.Contains("Exception"))
        {
            var target = DotNetType().Match(text) is { Success: true } m ? m.Groups[1].Value : "";
            return target switch
            {
                "Int32" or "Int64" => "expected a whole number",
                "Boolean" => "expected true or false",
                "String" => "expected a single value (text), not a list or a mapping",
                _ when text.Contains("List") => "expected a list, like [a, b]",
                _ => "this value does not have the shape this key takes",
            };
        }
        return text;
    }

    [GeneratedRegex(@"input string '([^']*)'")]
    private static partial Regex InputString();

    [GeneratedRegex(@"System\.(?:Nullable`1\[\[System\.)?(\w+)")]
    private static partial Regex DotNetType();
}
