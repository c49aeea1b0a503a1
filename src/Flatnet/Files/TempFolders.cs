using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Flatnet.Files;

/// <summary>
/// What lives only while one step runs: a folder in ARTIFACTS/.tmp (a config check, a certificate being signed), or a
/// temporary file or staging folder beside its target. Each is registered, owner-only from creation, and deleted when
/// the step ends, when the run is stopped half-way (Ctrl-C, SIGTERM, the process exiting), or, after a run killed
/// outright, by the next run that holds the artifacts' lock (<see cref="SweepLeftovers"/>): only what its journal says it made.
/// </summary>
public static partial class TempFolders
{
    private static readonly ConcurrentDictionary<string, byte> Live = new();
    private static readonly Lock HookLock = new();
    private static readonly List<PosixSignalRegistration> Hooks = [];

    /// <summary>The folder of the artifacts where steps keep their scratch.</summary>
    public static string ScratchRoot(string artifactsDirectory) => Path.Combine(artifactsDirectory, ".tmp");

    /// <summary>A new, owner-only, registered folder ARTIFACTS/.tmp/PREFIX-GUID; disposing it deletes it.</summary>
    public static Scratch Create(string artifactsDirectory, string prefix)
    {
        var root = ScratchRoot(artifactsDirectory);
        if (IsLink(root)) File.Delete(root); // flatnet's scratch, never written through a link a clone carried
        if (File.Exists(root))
            throw new StateConflict($"{Workspace.Relative(root)} is {InputFiles.NotRegular(root) ?? "a file"}, not the folder where flatnet keeps its scratch; nothing was written",
                $"remove it (rm {Workspace.Relative(root)}) and run this again", Workspace.Relative(root));
        CreateOwnerOnly(root);
        var path = Path.Combine(root, $"{prefix}-{Guid.NewGuid():N}");
        var lease = DeleteOnExit(path);
        CreateOwnerOnly(path);
        return new Scratch(path, lease);
    }

    /// <summary>Registers a file or folder; disposing the result deletes it (and forgets it).</summary>
    public static IDisposable DeleteOnExit(string path)
    {
        Hook();
        // A run being stopped makes nothing new: the worker waits here for the stop to end the process (battery 30: a
        // staging folder a worker began after the clean-up's looks was left behind).
        AwaitStopIfStopping();
        var full = Path.GetFullPath(path);
        ScratchJournal.Record(full); // before it is made: a run killed once it exists leaves it named for the next run's sweep
        Live[full] = 0;
        return new Lease(full);
    }

    /// <summary>Forgets <paramref name="path"/> without deleting it: what a run killed outright leaves (for tests of the next run's sweep).</summary>
    internal static void Forget(string path) => Live.TryRemove(Path.GetFullPath(path), out _);

    public static bool IsRegistered(string path) => Live.ContainsKey(Path.GetFullPath(path));

    /// <summary>Deletes every registered file and folder still there: what a stopped run does before it goes.</summary>
    public static void DeleteAll()
    {
        foreach (var path in Live.Keys) Delete(path);
    }

    /// <summary>
    /// A signal's clean-up: other threads may still be writing into a folder as it goes (a folder still being filled
    /// cannot be deleted whole), so it looks again until two looks in a row find nothing left of what was ever
    /// registered, for half a second at most. What a write still wins is swept by the next run (<see cref="SweepLeftovers"/>).
    /// </summary>
    private static void DeleteAllOnSignal()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int pass = 0, clean = 0; pass < 20 && clean < 2; pass++)
        {
            seen.UnionWith(Live.Keys);
            foreach (var path in seen) Delete(path);
            clean = seen.Any(p => Directory.Exists(p) || File.Exists(p)) ? 0 : clean + 1;
            Thread.Sleep(25);
        }
    }

    /// <summary>How many are registered now (for tests).</summary>
    public static int Count => Live.Count;

    public static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>A folder only its owner may enter, from the moment it exists (0700; on Windows a protected ACL of the owner alone).</summary>
    /// <summary>
    /// An owner-only folder in the system's temporary folder (TMPDIR), for a run that writes nothing of the workspace
    /// (Plan --diff, Init's pair check, a WinRM upload). It is kept only when nobody else may swap it there: TMPDIR and
    /// every folder above it root's or this account's, and sticky (as /tmp is) where others may write (battery 25).
    /// </summary>
    /// <param name="checkout">the repository's root, whose owner is trusted as in every tree check.</param>
    public static string CreateInSystemTemp(string prefix, string checkout)
    {
        var path = Directory.CreateTempSubdirectory(prefix).FullName;
        try
        {
            OwnTrees.Require(checkout, (path, "TMPDIR"));
        }
        catch (FlatnetException)
        {
            try { Directory.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { } // empty, or not ours to empty
            throw;
        }
        return path;
    }

    public static void CreateOwnerOnly(string path)
    {
        if (Directory.Exists(path))
        {
            // Found, not made: kept only when it is this account's alone, as one flatnet made would be.
            if (OwnFolders.WhyNot(path) is { } why)
                throw new StateConflict($"{Workspace.Relative(path)}: {why}, so flatnet keeps nothing there (another account could swap what it writes for a link); nothing was written",
                    $"remove it as its owner (rm -r {Workspace.Relative(path)}) and run this again: flatnet makes it owner-only", Workspace.Relative(path));
            return;
        }
        if (OperatingSystem.IsWindows()) OwnerOnlyOnWindows.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void Delete(string path)
    {
        Live.TryRemove(path, out _);
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// From now on a signal (Ctrl-C, SIGTERM, a closed terminal) stops the run: what it registered goes, and it exits
    /// 128 + the signal's number. Every run says so at its start, before it has anything to clean up, so that no
    /// signal is taken by someone else's handler and ignored.
    /// </summary>
    public static void StopRunOnSignal() => Hook();

    private static void Hook()
    {
        lock (HookLock)
        {
            if (Hooks.Count > 0) return;
            // The run ends here, after its clean-up, whoever else listens (Cake cancels Ctrl-C for itself, and a run
            // that went on would work in folders just removed): exit code 128 + the signal's number, as a shell's.
            foreach (var (signal, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
                // A closed terminal is SIGHUP (on Windows, a closed console window: CTRL_CLOSE_EVENT).
                Hooks.Add(PosixSignalRegistration.Create(signal, context => Stop(context, number)));
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();
        }
    }

    private static volatile bool stopping;
    private static int stops;

    /// <summary>
    /// A signal is stopping the run: a failure from now on is the clean-up's doing (a worker's folder removed under
    /// it), not a problem to report; the run waits for the stop to end it (<see cref="AwaitStopIfStopping"/>).
    /// </summary>
    public static bool Stopping => stopping;

    /// <summary>Never returns while a signal stops the run: the stop exits the process, with its own line and code.</summary>
    public static void AwaitStopIfStopping()
    {
        if (stopping) Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>A signal stops the run: what it had half-written goes, it says so in one line, and it exits.</summary>
    private static void Stop(PosixSignalContext context, int number)
    {
        context.Cancel = true;
        // Once: a signal to the process group reaches this process twice (directly, and forwarded by dotnet's launcher).
        if (Interlocked.Exchange(ref stops, 1) == 1) return;
        stopping = true;
        DeleteAllOnSignal();
        Console.Error.WriteLine($"flatnet: stopped by SIG{context.Signal.ToString()[3..]}; what this run had half-written was removed, and a re-run starts again");
        Environment.Exit(128 + number);
    }

    private sealed class Lease(string path) : IDisposable
    {
        public void Dispose() => Delete(path);
    }
}

/// <summary>A registered scratch folder (<see cref="TempFolders.Create"/>); disposing it deletes it.</summary>
public sealed class Scratch(string path, IDisposable lease) : IDisposable
{
    public string Path => path;
    public void Dispose() => lease.Dispose();
}
