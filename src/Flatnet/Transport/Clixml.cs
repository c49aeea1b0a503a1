using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Flatnet.Transport;

/// <summary>
/// powershell.exe run with -EncodedCommand and no console writes its error and progress records to stderr as CLIXML
/// ("#&lt; CLIXML" and an &lt;Objs&gt; document; PowerShell issue 16678), which is what Windows' OpenSSH hands back. Read
/// as text, it is the errors' own words, one line each; progress records are dropped. Anything else is as it was.
/// </summary>
public static partial class Clixml
{
    private const string Marker = "#< CLIXML";

    public static string Plain(string stderr)
    {
        var at = stderr.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) return stderr;
        var before = stderr[..at];
        try
        {
            var objs = XDocument.Parse(stderr[(at + Marker.Length)..].Trim());
            var lines = objs.Descendants().Where(e => e.Name.LocalName == "S" && (string?)e.Attribute("S") is "Error" or "Warning")
                .Select(e => Unescape(e.Value).TrimEnd('\r', '\n'));
            return before + string.Join("\n", lines) + "\n";
        }
        catch (System.Xml.XmlException)
        {
            return stderr; // not CLIXML after all: left as it came
        }
    }

    /// <summary>CLIXML writes control characters as _xHHHH_ (a carriage return and line feed as _x000D__x000A_).</summary>
    private static string Unescape(string s) => Escaped().Replace(s, m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());

    [GeneratedRegex("_x([0-9A-Fa-f]{4})_")]
    private static partial Regex Escaped();
}
