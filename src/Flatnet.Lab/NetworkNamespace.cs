using Flatnet.Processes;

namespace Flatnet.Lab;

/// <summary>
/// A Linux network namespace made by flatnet (name prefixed "fn-", so leftovers are easy to find and remove).
/// Disposing deletes it, which also removes its end of every veth pair and ends its network.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    public const string Prefix = "fn-";
    public string Name { get; }

    private NetworkNamespace(string name) => Name = name;

    public static void RequireRoot(string what)
    {
        if (OperatingSystem.IsWindows() || Environment.UserName != "root" && ProcessRunner.Run("id", ["-u"]).StdOut.Trim() != "0")
            throw new FlatnetException($"{what} needs root on Linux (it makes network namespaces).", fix: $"run as root, e.g. sudo ./build.sh --target=Lab");
        if (!File.Exists("/dev/net/tun"))
            throw new FlatnetException($"{what} needs /dev/net/tun (Nebula's interface).", fix: $"modprobe tun, or run on a machine that has it");
    }

    /// <summary>An existing namespace (e.g. a leftover), so it can be disposed like one made here.</summary>
    public static NetworkNamespace Attach(string name) => new(name);

    public static NetworkNamespace Create(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal) || name.Length > 15)
            throw new InvalidOperationException($"namespace '{name}' must start with {Prefix} and be at most 15 characters");
        Ip("netns", "add", name);
        var ns = new NetworkNamespace(name);
        ns.Run("ip", "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>Runs a command inside the namespace; throws with its output on failure.</summary>
    public ProcessResult Run(params string[] command) => Try(command).EnsureSuccess($"[{Name}] {command[0]}");

    public ProcessResult Try(params string[] command) => TryWithTimeout(TimeSpan.FromMinutes(1), command);

    public ProcessResult TryWithTimeout(TimeSpan timeout, params string[] command) =>
        ProcessRunner.Run("ip", new[] { "netns", "exec", Name }.Concat(command), timeout: timeout);

    /// <summary>Starts a long-running program inside the namespace, its output appended to a log; it ends with the namespace.</summary>
    public void Start(string logFile, params string[] command)
    {
        var line = string.Join(' ', command.Select(Flatnet.Rendering.Quoting.ShQuote));
        var psi = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", Name, "setsid", "sh", "-c", $"exec {line} >>{Flatnet.Rendering.Quoting.ShQuote(logFile)} 2>&1 </dev/null" })
            psi.ArgumentList.Add(a);
        using var _ = System.Diagnostics.Process.Start(psi) ?? throw new FlatnetException($"[{Name}] could not start {command[0]}");
    }

    /// <summary>Connects two namespaces with a veth pair (each end named in its namespace); a null address leaves that end bare.</summary>
    public static void Link(NetworkNamespace a, string aName, string? aAddress, NetworkNamespace b, string bName, string? bAddress)
    {
        var tmpA = "fv" + Guid.NewGuid().ToString("N")[..10];
        var tmpB = "fv" + Guid.NewGuid().ToString("N")[..10];
        Ip("link", "add", tmpA, "type", "veth", "peer", "name", tmpB);
        Ip("link", "set", tmpA, "netns", a.Name);
        Ip("link", "set", tmpB, "netns", b.Name);
        a.Run("ip", "link", "set", tmpA, "name", aName);
        b.Run("ip", "link", "set", tmpB, "name", bName);
        if (aAddress is not null) a.Run("ip", "addr", "add", aAddress, "dev", aName);
        if (bAddress is not null) b.Run("ip", "addr", "add", bAddress, "dev", bName);
        a.Run("ip", "link", "set", aName, "up");
        b.Run("ip", "link", "set", bName, "up");
    }

    /// <summary>Ends every process running inside the namespace (optionally only those with this command name).</summary>
    public void KillAll(string? command = null)
    {
        foreach (var pid in ProcessRunner.Run("ip", ["netns", "pids", Name]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()))
        {
            if (command is not null && (ReadComm(pid) ?? "") != command) continue;
            ProcessRunner.Run("kill", ["-9", pid]);
        }
    }

    /// <summary>Whether a live (not zombie) process with this command name runs inside the namespace.</summary>
    public bool Runs(string command) =>
        ProcessRunner.Run("ip", ["netns", "pids", Name]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim())
            .Any(pid => ReadComm(pid) == command && !IsZombie(pid));

    private static bool IsZombie(string pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").Any(l => l.StartsWith("State:") && l.Contains('Z'));
        }
        catch (IOException)
        {
            return true; // gone
        }
    }

    private static string? ReadComm(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null; // already gone
        }
    }

    /// <summary>Where `ip netns exec` finds files it binds over /etc inside this namespace (iproute2's ip-netns(8)).</summary>
    public string EtcFolder => Path.Combine(EtcRoot, Name);

    public const string EtcRoot = "/etc/netns";

    /// <summary>
    /// Makes /etc/<paramref name="name"/> inside the namespace the file <paramref name="file"/> (made with
    /// <paramref name="content"/> when it does not exist): every `ip netns exec` from then on binds it over /etc's own,
    /// so what runs there reads and writes this file, never the build machine's. Call it before anything runs there.
    /// </summary>
    public void BindEtc(string name, string file, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        if (!File.Exists(file)) File.WriteAllText(file, content);
        Directory.CreateDirectory(EtcFolder);
        var link = Path.Combine(EtcFolder, name);
        if (File.Exists(link) || Directory.Exists(link)) File.Delete(link);
        File.CreateSymbolicLink(link, file); // mount(2) follows it: the bind is of the file itself
    }

    public void Dispose()
    {
        KillAll(); // nebula, sshd: nothing may outlive the namespace
        ProcessRunner.Run("ip", ["netns", "delete", Name]);
        RemoveEtc(Name);
    }

    /// <summary>Removes /etc/netns/NAME of a namespace flatnet made (its links only: what they point to is the lab folder's).</summary>
    public static void RemoveEtc(string name)
    {
        var folder = Path.Combine(EtcRoot, name);
        if (!name.StartsWith(Prefix, StringComparison.Ordinal) || !Directory.Exists(folder)) return;
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            if (entry.LinkTarget is not null) entry.Delete();
        if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
    }

    /// <summary>The /etc/netns folders of namespaces flatnet made that are still there (a run killed between the two).</summary>
    public static IReadOnlyList<string> EtcLeft() =>
        Directory.Exists(EtcRoot) ? Directory.EnumerateDirectories(EtcRoot).Select(d => Path.GetFileName(d)).Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToList() : [];

    /// <summary>Every namespace flatnet made that still exists, whichever lab or test made it.</summary>
    public static IReadOnlyList<string> All() =>
        ProcessRunner.Run("ip", ["netns", "list"]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0]).Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToList();

    private static void Ip(params string[] args) => ProcessRunner.Run("ip", args).EnsureSuccess("ip " + string.Join(' ', args));
}
