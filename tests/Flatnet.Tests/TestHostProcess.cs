using System.Diagnostics;

namespace Flatnet.Tests;

/// <summary>A run of one task in a process of its own (tests/Flatnet.TestHost), as a second person or CI job would start it.</summary>
public sealed class TestHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    public TestHostProcess(TestWorkspace ws, string target, params string[] arguments) : this(ws, null, target, arguments) { }

    /// <summary>The run started by a shell after <paramref name="before"/> (`umask 000`, `export PATH=...`).</summary>
    public static TestHostProcess After(string before, TestWorkspace ws, string target, params string[] arguments) => new(ws, before, target, arguments);

    private TestHostProcess(TestWorkspace ws, string? before, string target, string[] arguments)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Flatnet.TestHost.dll");
        var psi = new ProcessStartInfo(before is null ? "dotnet" : "/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ws.Root };
        if (before is not null) foreach (var a in new[] { "-c", $"{before} && exec dotnet \"$@\"", "sh" }) psi.ArgumentList.Add(a);
        foreach (var a in new[] { dll, $"--target={target}", $"--root={ws.Root}" }.Concat(arguments)) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the test host");
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    public int Id => _process.Id;

    /// <summary>
    /// Waits until this run holds the inventory's lock (its holder file names its pid), or has ended: by then its signal
    /// handlers are in place. A signal before that ends the runtime by its default, before flatnet can say a word.
    /// </summary>
    public void WaitUntilItHoldsTheLock(TestWorkspace ws)
    {
        var holder = RunLock.PathFor(ws.Workspace.InventoryDirectory) + ".holder";
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!_process.HasExited && DateTime.UtcNow < until)
        {
            try { if (File.ReadAllText(holder).Contains($"(pid {_process.Id},", StringComparison.Ordinal)) return; }
            catch (IOException) { }
            Thread.Sleep(20);
        }
    }

    /// <summary>Waits for the run to end: its exit code, what it said, and its error.</summary>
    public (int ExitCode, string StdOut, string StdErr) Wait(TimeSpan? timeout = null)
    {
        if (!_process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"the test host's run did not end within {(timeout ?? TimeSpan.FromMinutes(3)).TotalSeconds} s");
        }
        return (_process.ExitCode, _stdout.Result, _stderr.Result);
    }

    /// <summary>Sends a signal as a terminal's Ctrl-C (SIGINT), a service manager (SIGTERM) or `kill -9` (SIGKILL) would.</summary>
    public void Signal(string signal) => ProcessRunner.Run("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
