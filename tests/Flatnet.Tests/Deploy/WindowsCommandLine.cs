using System.Text;

namespace Flatnet.Tests;

/// <summary>
/// What Windows does to a command line on its way to a program, modelled from the components' documentation, so a
/// test can prove a generated command arrives as written:
/// - Windows' OpenSSH server runs a remote command through the user's shell, cmd.exe by default
///   (PowerShell/Win32-OpenSSH, "DefaultShell" in the OpenSSH server configuration docs): cmd.exe treats
///   &amp; | &lt; &gt; ^ ( ) as operators or escapes outside double quotes, and expands %VAR% everywhere.
/// - The program then splits its command line with CommandLineToArgvW (learn.microsoft.com, "Parsing C++
///   command-line arguments"): whitespace separates arguments, "..." groups, backslashes are literal except
///   before a quote, where 2n backslashes + " give n backslashes and toggle quoting, 2n+1 give n and a literal ".
/// - Windows PowerShell 5.1 passes arguments to a native program by joining them with spaces and wrapping an
///   argument that contains whitespace in "..." without escaping quotes inside it (about_Parsing; the
///   PSNativeCommandArgumentPassing fix is PowerShell 7.3+ only).
/// </summary>
public static class WindowsCommandLine
{
    public const string CmdMetacharacters = "&|<>^()";

    /// <summary>
    /// cmd.exe's limit: "the maximum length of the string that you can use at the command prompt is 8191 characters"
    /// (learn.microsoft.com, "Command prompt (Cmd.exe) command-line string limitation"). Windows' OpenSSH runs an exec
    /// request as `cmd.exe /c COMMAND` (its DefaultShell), so a longer command never starts (microsoft/vscode-remote-release
    /// #3911). docs/windows-contract.md.
    /// </summary>
    public const int CmdExeLimit = 8191;

    /// <summary>CreateProcess's lpCommandLine: "the maximum length of this string is 32,767 characters" (learn.microsoft.com, CreateProcessW).</summary>
    public const int CreateProcessLimit = 32767;

    /// <summary>What cmd.exe answers for a command line it refuses; null when it runs it.</summary>
    public static string? CmdExeRefusal(string line) =>
        // `cmd.exe /c ` is part of the line cmd.exe itself receives from CreateProcess.
        "cmd.exe /c ".Length + line.Length > CreateProcessLimit ? "The filename or extension is too long."
        : line.Length > CmdExeLimit ? "The command line is too long." : null;

    /// <summary>The script file a command line of flatnet's runs: `powershell.exe ... -File "PATH"` or `. 'PATH'`.</summary>
    public static string ScriptFileOf(string line)
    {
        var m = System.Text.RegularExpressions.Regex.Match(line, "^powershell\\.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"([^\"%]+)\"$");
        if (m.Success) return m.Groups[1].Value;
        m = System.Text.RegularExpressions.Regex.Match(line, "^\\. '([^']+)'$");
        return m.Success ? m.Groups[1].Value : throw new InvalidOperationException($"`{line}` does not run a script file");
    }

    /// <summary>Why cmd.exe would not pass this line on unchanged; null when it would.</summary>
    public static string? CmdExeChanges(string line)
    {
        if (line.Contains('%')) return "% expands environment variables, even inside quotes";
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"') quoted = !quoted;
            else if (!quoted && CmdMetacharacters.Contains(c)) return $"'{c}' outside double quotes is a cmd.exe operator";
        }
        return quoted ? "an unbalanced double quote" : null;
    }

    public static IReadOnlyList<string> CommandLineToArgv(string line)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        var inArgument = false;
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\')
            {
                var start = i;
                while (i < line.Length && line[i] == '\\') i++;
                var count = i - start;
                if (i < line.Length && line[i] == '"')
                {
                    current.Append('\\', count / 2);
                    if (count % 2 == 1) current.Append('"');
                    else { quoted = !quoted; }
                }
                else
                {
                    current.Append('\\', count);
                    i--;
                }
                inArgument = true;
                continue;
            }
            if (c == '"') { quoted = !quoted; inArgument = true; continue; }
            if (!quoted && (c == ' ' || c == '\t'))
            {
                if (inArgument) { args.Add(current.ToString()); current.Clear(); inArgument = false; }
                continue;
            }
            current.Append(c);
            inArgument = true;
        }
        if (inArgument) args.Add(current.ToString());
        return args;
    }

    /// <summary>The command line Windows PowerShell 5.1 builds for a native program from its arguments.</summary>
    public static string PowerShell51Join(IEnumerable<string> arguments) =>
        string.Join(" ", arguments.Select(a => a.Length == 0 ? "\"\"" : a.Any(char.IsWhiteSpace) ? $"\"{a}\"" : a));

    /// <summary>
    /// The script a Windows host runs as WSL's owner: templates/remote/windows/as-wsl-owner carries it as base64 of
    /// UTF-8 and runs it as the owner (in place when the account logged in is the owner).
    /// </summary>
    public static string AsWslOwnerInner(string script)
    {
        var m = System.Text.RegularExpressions.Regex.Match(script, @"FromBase64String\('([A-Za-z0-9+/=]+)'\)");
        if (!m.Success) throw new InvalidOperationException("not a script run as WSL's owner:\n" + script);
        return Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value));
    }

    /// <summary>The script inside `powershell.exe ... -EncodedCommand BASE64` (base64 of UTF-16LE).</summary>
    public static string DecodedScript(string line) =>
        Encoding.Unicode.GetString(Convert.FromBase64String(line[(line.LastIndexOf(' ') + 1)..]));
}
