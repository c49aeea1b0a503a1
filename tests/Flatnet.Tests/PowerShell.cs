using Flatnet.Tools;

namespace Flatnet.Tests;

/// <summary>PowerShell 7 from the repository's pinned .NET tool (dotnet tool restore), and Pester from NuGet.</summary>
public static class PowerShell
{
    public static string TestsDirectory => Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "powershell");

    /// <summary>The fake Windows the Pester tests and the lab's Windows stand-in load (src/Flatnet.Lab/windows/).</summary>
    public static string FakeWindows => Path.Combine(TestWorkspace.RepoRoot, "src", "Flatnet.Lab", "windows", "FakeWindows.ps1");

    public static string PesterModule
    {
        get
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                           ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var module = Path.Combine(packages, "pester", "6.2.0", "tools", "Pester.psd1");
            if (!File.Exists(module))
                Assert.Fail($"Pester is not at {module}; `dotnet restore` downloads it (PackageDownload in Flatnet.Tests.csproj)");
            return module;
        }
    }

    public static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    /// <summary>Runs a command line under pwsh; fails the test with a clear reason when pwsh itself is missing.</summary>
    public static ProcessResult Command(string command)
    {
        var result = ProcessRunner.Run("dotnet", ["pwsh", "-NoProfile", "-NonInteractive", "-Command", command],
            TestWorkspace.RepoRoot, TimeSpan.FromMinutes(5));
        if (result.StdErr.Contains("dotnet-pwsh") || result.StdErr.Contains("Run \"dotnet tool restore\""))
            Assert.Fail("pwsh is not installed: run `dotnet tool restore` in the repository (it is pinned in .config/dotnet-tools.json)\n" + result.StdErr);
        return result;
    }

    /// <summary>Runs a Pester file and returns how many passed; fails with Pester's own output when anything failed.</summary>
    public static int Pester(string testFile, IDictionary<string, string> data)
    {
        var table = "@{" + string.Join("; ", data.Select(kv => $"{kv.Key} = {Quote(kv.Value)}")) + "}";
        var result = Command($"& {Quote(Path.Combine(TestsDirectory, "Invoke-Pester.ps1"))} -PesterModule {Quote(PesterModule)} " +
                             $"-TestFile {Quote(Path.Combine(TestsDirectory, testFile))} -Data {table}; exit $LASTEXITCODE");
        var summary = result.StdOut.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.EndsWith(" failed", StringComparison.Ordinal)) ?? "";
        Assert.That(result.ExitCode, Is.EqualTo(0), $"Pester {testFile}: {summary}\n{result.StdOut}\n{result.StdErr}");
        var passed = int.Parse(summary.Split(' ')[0]);
        Assert.That(summary, Is.EqualTo($"{passed} passed, 0 failed"));
        return passed;
    }
}
