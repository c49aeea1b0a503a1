using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>
/// A connection that records what would be sent, and answers with <c>answer</c> (default: success, no output). It
/// keeps the files written to it (the scripts flatnet runs as files), and refuses a command line as Windows'
/// OpenSSH's shell does: over cmd.exe's 8,191 characters, cmd.exe's own error (<see cref="WindowsCommandLine.CmdExeRefusal"/>).
/// </summary>
internal sealed class RecordingConnection(Func<string, RemoteResult>? answer = null, string home = "/C:/Users/flatnet") : IHostConnection
{
    public List<string> Log { get; } = [];

    /// <summary>Every file written, by path, as text (a byte-order mark kept as U+FEFF).</summary>
    public Dictionary<string, string> Written { get; } = [];

    /// <summary>Every command line run, in order.</summary>
    public IEnumerable<string> CommandLines => Log.Where(l => l.StartsWith("run ", StringComparison.Ordinal)).Select(l => l[4..]);

    /// <summary>The script each command line ran, in order, without its byte-order mark and the line that sets UTF-8 output.</summary>
    public IReadOnlyList<string> Scripts => CommandLines.Select(ScriptOf).ToList();

    public string Describe => "recording";
    public string Home => home;

    public RemoteResult Run(string command, TimeSpan? timeout = null)
    {
        Log.Add("run " + command);
        if (WindowsCommandLine.CmdExeRefusal(command) is { } refused) return new RemoteResult(command, 1, "", refused);
        return answer?.Invoke(command) ?? new RemoteResult(command, 0, "", "");
    }

    /// <summary>The script a command line (or a "run ..." line of <see cref="Log"/>) runs: the file it names, as written.</summary>
    public string ScriptOf(string commandLine)
    {
        var line = commandLine.StartsWith("run ", StringComparison.Ordinal) ? commandLine[4..] : commandLine;
        var path = WindowsCommandLine.ScriptFileOf(line);
        var hostPath = Written.Keys.SingleOrDefault(k => k == path || k.TrimStart('/').Replace('/', '\\') == path)
            ?? throw new InvalidOperationException($"`{line}` runs {path}, which was never written");
        var text = Written[hostPath].TrimStart('\uFEFF');
        return text.StartsWith(WindowsScriptPreamble, StringComparison.Ordinal) ? text[WindowsScriptPreamble.Length..] : text;
    }

    /// <summary>The line every Windows script file starts with (templates/remote/windows/script-file.ps1.scriban): output in UTF-8.</summary>
    public const string WindowsScriptPreamble = "try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }\n";

    public void Upload(string localDirectory, string remoteDirectory) => Log.Add($"upload {Path.GetFileName(localDirectory)} -> {remoteDirectory}");
    public string ReadFile(string remotePath)
    {
        Log.Add("read " + remotePath);
        return "";
    }
    public void WriteFile(string remotePath, byte[] content) => Written[remotePath] = System.Text.Encoding.UTF8.GetString(content);
    public void DeleteFile(string remotePath) { }
    public LoopbackForward? ForwardLoopback(int remotePort) => null;
    public void Dispose() { }
}
