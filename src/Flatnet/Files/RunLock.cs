using Flatnet.Output;

namespace Flatnet.Files;

/// <summary>
/// One writer at a time per folder (the artifacts, the inventory): an OS file lock (flock on Linux, a share lock on
/// Windows) on FOLDER/.flatnet-lock, which the OS releases when its holder ends however it ends. A run takes it before
/// its first write and keeps it to the end; a second run waits a moment, then names the run that holds it. Beside it,
/// .flatnet-lock.holder says who holds it (the lock file itself cannot be read while it is held). The run lets it go at
/// its end (<see cref="Release"/>, from the run's Dispose), so a program that calls the library lives on without it.
/// </summary>
public static class RunLock
{
    /// <summary>
    /// What every holder line holds (TASK (pid N, since HH:MM:SS)); a file there without it is someone else's. Loose on
    /// purpose: a holder's words, whatever they are, are only ever shown as one line (battery 8).
    /// </summary>
    private static readonly System.Text.RegularExpressions.Regex HolderShape = new(@" \(pid \d", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public const string FileName = ".flatnet-lock";

    /// <summary>
    /// The locks this process holds, by folder, with how many runs of this process took each: held until the last of
    /// them is over (or to the end of the process, which the OS then releases).
    /// </summary>
    private static readonly Dictionary<string, (FileStream Lock, int Takers)> Held = new();
    /// <summary>One taker at a time: it may wait for another process (--lock-wait).</summary>
    private static readonly Lock Taking = new();
    /// <summary>Guards <see cref="Held"/>, never while waiting: a run's end lets its locks go at once, even while another
    /// run of this process waits for a lock (battery 46: a stop's exit waited behind a taker as long as --lock-wait).</summary>
    private static readonly Lock Holding = new();

    public static string PathFor(string folder) => Path.Combine(Workspace.FullPath(folder), FileName);

    /// <summary>
    /// Takes the lock of <paramref name="folder"/> for <paramref name="task"/>, waiting up to <paramref name="wait"/>; true when
    /// this call took it (the caller may then sweep what a killed run left), false when this process already held it.
    /// </summary>
    public static bool Acquire(string folder, string task, TimeSpan wait)
    {
        var full = Workspace.FullPath(folder);
        lock (Taking)
        {
            lock (Holding)
                if (Held.TryGetValue(full, out var held))
                {
                    Held[full] = held with { Takers = held.Takers + 1 };
                    return false;
                }
            Directory.CreateDirectory(full);
            var path = PathFor(full);
            // The lock file is opened for writing and the holder written: a link in their place (a clone may carry one)
            // would make flatnet open or overwrite whatever it points at.
            foreach (var own in new[] { path, path + ".holder" })
                if (new FileInfo(own).LinkTarget is { } target)
                    throw new StateConflict($"{Workspace.Relative(own)} is a link (to {Terminal.OneLine(target)}), not flatnet's lock file; nothing was written",
                        $"remove it (rm {Workspace.Relative(own)}) and run this again; flatnet makes it itself", Workspace.Relative(full));
                else if (Directory.Exists(own))
                    throw new StateConflict($"{Workspace.Relative(own)} is a folder, where flatnet keeps its lock file; nothing was written",
                        $"move it away (it is not flatnet's) and run this again; flatnet makes the file itself", Workspace.Relative(full));
                else if (File.Exists(own) && InputFiles.NotRegular(own) is { } why)
                    throw new StateConflict($"{Workspace.Relative(own)} is {why}, where flatnet keeps its lock file; nothing was written",
                        $"remove it (rm {Workspace.Relative(own)}) and run this again; flatnet makes the file itself", Workspace.Relative(full));
            var deadline = DateTime.UtcNow + wait;
            while (true)
            {
                try
                {
                    var taken = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    lock (Holding) Held[full] = (taken, 1);
                    break;
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(200);
                }
                catch (IOException)
                {
                    throw new StateConflict($"{Workspace.Relative(full)} is in use by another flatnet run: {Holder(path)}",
                        "wait for it to end and run this again; a run that was killed released it already (the OS does), so nothing needs removing",
                        Workspace.Relative(full));
                }
            }
            ScratchJournal.Begin(full); // the holder's temporary is flatnet's too, recorded before the sweep that follows
            SafeFiles.WriteAllText(path + ".holder", $"{task} (pid {Environment.ProcessId}, since {DateTime.Now:HH:mm:ss})\n", shape: HolderShape);
            return true;
        }
    }

    /// <summary>
    /// One run that called <see cref="Acquire"/> for <paramref name="folder"/> is over: when it was the last of this
    /// process's, the folder's journal closes and the lock goes (its holder file stays, as after a run that ended).
    /// </summary>
    public static void Release(string folder)
    {
        var full = Workspace.FullPath(folder);
        lock (Holding)
        {
            if (!Held.TryGetValue(full, out var held)) return;
            if (held.Takers > 1)
            {
                Held[full] = held with { Takers = held.Takers - 1 };
                return;
            }
            Held.Remove(full);
            ScratchJournal.End(full);
            held.Lock.Dispose();
        }
    }

    private static string Holder(string path)
    {
        try
        {
            // Only a small plain file is read (a FIFO there would hang the run that asks who holds the lock).
            var said = (InputFiles.SmallRecord(path + ".holder", 4096) ?? "").Trim();
            return said.Length > 0 ? Terminal.OneLine(said) : "its holder did not say who it is";
        }
        catch (IOException)
        {
            return "its holder did not say who it is";
        }
    }
}
