using System.Diagnostics;

namespace Flatnet.Processes;

public sealed record ProcessResult(string Command, int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with the command line and what it printed, so a failure never hides its reason.</summary>
    public ProcessResult EnsureSuccess(string what)
    {
        if (Succeeded) return this;
        var output = string.Join("\n", new[] { StdErr.Trim(), StdOut.Trim() }.Where(s => s.Length > 0));
        throw new ToolFailed($"{what} failed (exit {ExitCode}).\n  command: {Command}" +
                                   (output.Length > 0 ? "\n  output:\n    " + output.Replace("\n", "\n    ") : ""),
            fix: output.Length > 0 ? "the tool's own words are above; run the command by hand to see the rest" : "run the command above by hand to see why");
    }
}

/// <summary>Runs a program with an argument list (no shell, so no quoting bugs) and captures its output.</summary>
public static class ProcessRunner
{
    private static long _started;

    /// <summary>How many programs this process has started: what the incremental-build tests count.</summary>
    public static long Started => Interlocked.Read(ref _started);

    /// <summary>A program's file name on this build machine: NAME.exe on Windows (CreateProcess finds no other), NAME elsewhere.</summary>
    public static string Executable(string name) => OperatingSystem.IsWindows() && !name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? name + ".exe" : name;

    /// <summary>
    /// A program of Windows' own by its full path (System32), never by a bare name: CreateProcess looks in the current
    /// folder (the repository) before System32 and PATH (learn.microsoft.com: CreateProcessW, lpApplicationName).
    /// Elsewhere, the name as PATH finds it.
    /// </summary>
    public static string OfWindows(string relativeToSystem32, string elsewhere) =>
        OperatingSystem.IsWindows() ? Path.Combine(Environment.SystemDirectory, relativeToSystem32) : elsewhere;

    /// <summary>The folders sudo's default secure_path names: the system's own, root's alone on any sane system.</summary>
    public static readonly IReadOnlyList<string> SystemFolders = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>
    /// A program of the system's own by its full path (the first of <see cref="SystemFolders"/> that has it), never as
    /// PATH finds it: a run as root whose PATH put another account's folder first ran that account's `stat`, `find` and
    /// `getent`, the very programs that say whose files are trusted (battery 23). On Windows, the name.
    /// </summary>
    public static string OfSystem(string name)
    {
        if (OperatingSystem.IsWindows()) return Executable(name);
        return SystemFolders.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
               ?? throw new FlatnetException($"{name} is not in the system's folders ({string.Join(", ", SystemFolders)}), where flatnet runs it from",
                   fix: $"install the package that has it with the system's package manager (Debian: apt-get install the package that provides {name})");
    }

    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        TimeSpan? timeout = null, string? stdin = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            // The tools flatnet runs (nebula, nebula-cert, ssh-keygen, its own PowerShell scripts) write UTF-8; on
            // Windows the default would be the console's OEM code page (dotnet/runtime#55990).
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        var command = Render(fileName, psi.ArgumentList);
        using var p = new Process { StartInfo = psi };
        try
        {
            p.Start();
            Interlocked.Increment(ref _started);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ToolFailed($"could not start {fileName} ({command}): {e.Message}",
                fix: $"install {Path.GetFileName(fileName)} or put it on PATH", inner: e);
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new ToolFailed($"{Path.GetFileName(fileName)} did not finish within {(timeout ?? TimeSpan.FromMinutes(5)).TotalSeconds:0} s.\n  command: {command}",
                fix: "run the command by hand: it may wait for input, a lock or the network");
        }
        return new ProcessResult(command, p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Render(string fileName, IEnumerable<string> arguments) =>
        string.Join(" ", new[] { fileName }.Concat(arguments).Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"\"{a}\"" : a));
}
