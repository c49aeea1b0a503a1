using Flatnet.Processes;

namespace Flatnet.Tools;

/// <summary>Settings every tool call shares. Each command of a tool has its own record deriving from this.</summary>
public abstract record ToolSettings
{
    public string? WorkingDirectory { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The command line after the program name; the one place a command's flags are spelled.</summary>
    public abstract IEnumerable<string> Arguments();

    /// <summary>Adds "-flag value" only when the value is set, the way Cake's ProcessArgumentBuilder is used.</summary>
    protected static IEnumerable<string> Flag(string flag, string? value) =>
        string.IsNullOrEmpty(value) ? [] : [flag, value];

    protected static IEnumerable<string> Switch(string flag, bool on) => on ? [flag] : [];
}

/// <summary>
/// A wrapper for one external program, in the spirit of Cake's Tool&lt;TSettings&gt;: it finds the binary once,
/// builds argument lists from typed settings, runs without a shell and turns failure into a readable error.
/// </summary>
public abstract class Tool<TSettings>(string executable) where TSettings : ToolSettings
{
    public string Executable { get; } = executable;

    protected abstract string DisplayName { get; }

    protected ProcessResult Run(TSettings settings, bool throwOnFailure = true)
    {
        var result = ProcessRunner.Run(Executable, settings.Arguments(), settings.WorkingDirectory, settings.Timeout);
        return throwOnFailure ? result.EnsureSuccess($"{DisplayName} {settings.Arguments().FirstOrDefault()}") : result;
    }
}
