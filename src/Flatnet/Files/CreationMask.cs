using System.Runtime.InteropServices;

namespace Flatnet.Files;

/// <summary>
/// What this process makes (folders, files, what nebula-cert and ssh-keygen write for it) is never writable by group or
/// others, whatever umask the shell that started it had. Every run takes its trees only when others cannot write them
/// (<see cref="OwnTrees"/>), so under `umask 000` a run refused what it had just made; worse, what it made in between
/// (artifacts/join/NAME/join.ps1, which the operator runs as administrator) was anyone's to replace (battery 24).
/// One place, for every depth: the process's own umask, which every creation below it and every child inherits.
/// </summary>
public static class CreationMask
{
    private const uint OthersWrite = 0b000_010_010; // 022: group and others may write
    private static readonly object Gate = new();

    /// <summary>
    /// Adds group's and others' write to the process's umask when it lacks either (000 becomes 022; 002 becomes 022;
    /// 077 stays). Read first (Linux's /proc/self/status), so a umask that already has both is never touched: setting it
    /// briefly to anything looser would loosen what another thread makes meanwhile.
    /// </summary>
    public static void KeepOthersFromWriting()
    {
        if (!OperatingSystem.IsLinux()) return;
        lock (Gate)
        {
            if (Current() is { } mask && (mask & OthersWrite) == OthersWrite) return;
            var old = umask(OthersWrite);
            umask(old | OthersWrite);
        }
    }

    /// <summary>The process's umask as Linux reports it ("Umask:\t0022"), or null where it does not.</summary>
    public static uint? Current()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Umask:", StringComparison.Ordinal)) return Convert.ToUInt32(line[6..].Trim(), 8);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    // DllImport, as OwnTrees' getxattr: LibraryImport's generated stub needs unsafe code.
    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint umask(uint mask);
}
