using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Flatnet;

/// <summary>
/// Folders that live only while one step runs (a config check, a bundle being staged). They are deleted when the
/// step ends, and also when the run is stopped half-way (Ctrl-C, SIGTERM, the process exiting), so an interrupted
/// PackageAll leaves no `.bundle.staging-*` or `/tmp/flatnet-check-*` behind.
/// </summary>
public static class TempFolders
{
    private static readonly ConcurrentDictionary<string, byte> Live = new();
    private static readonly Lock HookLock = new();
    private static readonly List<PosixSignalRegistration> Hooks = [];

    /// <summary>Registers a folder; disposing the result deletes it (and forgets it).</summary>
    public static IDisposable DeleteOnExit(string path)
    {
        Hook();
        var full = Path.GetFullPath(path);
        Live[full] = 0;
        return new Lease(full);
    }

    /// <summary>Deletes every registered folder still there: what a stopped run does before it goes.</summary>
    public static void DeleteAll()
    {
        foreach (var path in Live.Keys) Delete(path);
    }

    /// <summary>How many folders are registered now (for tests).</summary>
    public static int Count => Live.Count;

    private static void Delete(string path)
    {
        Live.TryRemove(path, out _);
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void Hook()
    {
        lock (HookLock)
        {
            if (Hooks.Count > 0) return;
            // The default action (ending the process) still follows: the handler only cleans up first.
            Hooks.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => DeleteAll()));
            Hooks.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => DeleteAll()));
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();
        }
    }

    private sealed class Lease(string path) : IDisposable
    {
        public void Dispose() => Delete(path);
    }
}
