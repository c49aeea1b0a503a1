using System.Globalization;
using System.Text.RegularExpressions;
using Flatnet.Processes;

namespace Flatnet.Lab;

/// <summary>
/// The labs on this machine and whose they are, so that a lab never assumes it is alone: /run/flatnet-lab/ID holds
/// the owner's pid, the LAN octet it took (198.18.OCTET.0/24) and whether it was kept on purpose. A new lab takes an
/// id and a LAN no live lab has; cleaning removes only what labs of dead owners left, never a running lab's.
/// </summary>
public static partial class LabRegistry
{
    public const string Folder = "/run/flatnet-lab";

    /// <summary>One registered lab: its id (fn-ID-... namespaces, fnl-ID link), its owner, its LAN octet.</summary>
    /// <param name="Directory">the lab's own folder (a checkout's artifacts/lab): whose lab it is, for LabClean.</param>
    public sealed record Entry(string Id, int Pid, long Started, int Octet, bool Kept, string? Directory = null)
    {
        /// <summary>Kept, or its owner still runs (the same process: a pid the system gave to another since does not count).</summary>
        public bool Alive => Kept || StartOf(Pid) == Started;
    }

    /// <summary>Registers a new lab for this process: an id no namespace uses and a LAN no live lab or route of this machine has.</summary>
    public static Entry Claim(string? directory = null)
    {
        Directory.CreateDirectory(Folder);
        using var _ = Locked();
        var labs = All();
        var namespaces = NetworkNamespace.All();
        string id;
        do id = Guid.NewGuid().ToString("N")[..4];
        while (labs.Any(l => l.Id == id) || namespaces.Any(n => n.StartsWith($"fn-{id}-", StringComparison.Ordinal)));
        var routes = ProcessRunner.Run("ip", ["-4", "route", "show"]).StdOut;
        var octet = Enumerable.Range(0, 256).First(o => labs.All(l => !l.Alive || l.Octet != o) && !routes.Contains($"{LabTopology.Prefix}.{o}.", StringComparison.Ordinal));
        var entry = new Entry(id, Environment.ProcessId, StartOf(Environment.ProcessId), octet, Kept: false, directory is null ? null : Path.GetFullPath(directory));
        Write(entry);
        return entry;
    }

    /// <summary>The registry's own lock (flock): one lab at a time takes an id and a LAN; others wait their turn.</summary>
    private static FileStream Locked()
    {
        for (var waited = 0; ; waited++)
        {
            try
            {
                return new FileStream(Path.Combine(Folder, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited < 300)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>A lab left running on purpose (--keep): cleaning leaves it until LabClean is asked to remove kept labs.</summary>
    public static void Keep(string id)
    {
        if (All().FirstOrDefault(l => l.Id == id) is { } lab) Write(lab with { Kept = true });
    }

    public static void Forget(string id) => File.Delete(Path.Combine(Folder, id));

    public static IReadOnlyList<Entry> All() =>
        !Directory.Exists(Folder) ? []
            : Directory.GetFiles(Folder).Select(Path.GetFileName).OfType<string>().Where(n => IdPattern().IsMatch(n))
                .Select(Read).OfType<Entry>().ToList();

    /// <summary>
    /// The ids of labs whose owner is gone (and, when asked, kept ones: those of the lab folder <paramref name="keptIn"/>
    /// only, or every kept lab when it is null): what cleaning may remove.
    /// </summary>
    public static IReadOnlyList<string> Dead(bool includeKept, string? keptIn = null) =>
        All().Where(l => !l.Alive || includeKept && l.Kept && (keptIn is null || l.Directory == Path.GetFullPath(keptIn))).Select(l => l.Id).ToList();

    /// <summary>The lab id a namespace or link of flatnet's carries (fn-ID-..., fnl-ID), or null.</summary>
    public static string? IdOf(string name) => NameWithId().Match(name) is { Success: true } m ? m.Groups[1].Value : null;

    private static Entry? Read(string id)
    {
        var parts = File.ReadAllText(Path.Combine(Folder, id)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var directory = parts.Skip(3).FirstOrDefault(p => p.StartsWith("dir=", StringComparison.Ordinal)) is { } d ? Uri.UnescapeDataString(d[4..]) : null;
        return parts.Length >= 3 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var started)
               && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var octet)
            ? new Entry(id, pid, started, octet, parts.Skip(3).Contains("kept"), directory) : null;
    }

    private static void Write(Entry e) =>
        File.WriteAllText(Path.Combine(Folder, e.Id), $"{e.Pid} {e.Started} {e.Octet}{(e.Kept ? " kept" : "")}{(e.Directory is null ? "" : " dir=" + Uri.EscapeDataString(e.Directory))}\n");

    /// <summary>When a process started (/proc/PID/stat, field 22, in clock ticks since boot); -1 when it is gone.</summary>
    private static long StartOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    [GeneratedRegex("^[0-9a-f]{4}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^fnl?-([0-9a-f]{4})(-|$)")]
    private static partial Regex NameWithId();
}
