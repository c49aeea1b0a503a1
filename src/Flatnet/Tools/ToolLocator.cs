using Flatnet.Processes;

namespace Flatnet.Tools;

/// <summary>
/// Finds an external program: the path the inventory configures, then the workspace's tools/ folder, then PATH.
/// When it is nowhere, the error lists every place it looked, and how to get it.
/// </summary>
public sealed class ToolLocator(string? toolsDirectory)
{
    public string Find(string name, string? configuredPath, string configuredField, string installHint)
    {
        var looked = new List<string>();
        if (!string.IsNullOrEmpty(configuredPath))
        {
            if (File.Exists(configuredPath)) return configuredPath;
            // A shared network.yaml may name tools/nebula-cert for Linux and Windows build machines alike.
            if (File.Exists(ProcessRunner.Executable(configuredPath))) return ProcessRunner.Executable(configuredPath);
            throw new FlatnetException($"{name} not found at {configuredPath} (set by {configuredField}).", fix: $"correct {configuredField}, or remove it to search tools/ and PATH");
        }
        looked.Add($"{configuredField} (not set)");
        foreach (var candidate in Candidates(name))
        {
            looked.Add(candidate);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FlatnetException($"{name} not found. Looked in:\n    " + string.Join("\n    ", looked) + $"", fix: $"{installHint}, or set {configuredField}");
    }

    private IEnumerable<string> Candidates(string name)
    {
        var exe = ProcessRunner.Executable(name);
        if (toolsDirectory is not null) yield return Path.Combine(toolsDirectory, exe);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            yield return Path.Combine(dir, exe);
    }
}
