using System.Diagnostics;
using Flatnet.Addressing;

namespace Flatnet.Lab;

/// <summary>
/// What the hosts' own watchers (scripts/direct-paths.sh or .ps1, started by every install) do between flatnet's runs, seen
/// the way a user would: a power cut (every Nebula stops, the NAT routers forget their mappings, every Nebula starts
/// again), the hosts' own traffic, and no flatnet command; then each pair's tunnel read on the hosts themselves
/// (`direct-paths.sh --status`, `direct-paths.ps1 -Status` on the Windows stand-in: the host's own Nebula) until both ends say direct.
/// </summary>
public sealed class DirectByItself(LabNetwork lab)
{
    /// <summary>How the tunnels went: when they were all direct (or the limit passed), what was seen and when, and the watchers' logs.</summary>
    /// <param name="DirectAt">per pair ("a - b"), when both its ends first read direct.</param>
    public sealed record Watch(TimeSpan Elapsed, bool AllDirect, bool CameUpRelayed, IReadOnlyList<string> Seen, string Logs, IReadOnlyDictionary<string, TimeSpan> DirectAt)
    {
        public override string ToString() =>
            $"{Elapsed.TotalSeconds:F0} s after every Nebula restarted:\n  {string.Join("\n  ", Seen)}\nwatchers' logs:\n{Logs}";
    }

    private readonly AddressPlan _plan = AddressPlan.Load(lab.InventoryDirectory);

    private IReadOnlyDictionary<string, string> Overlay => field ??= _plan.Pcs.ToDictionary(h => h.Name, h => h.OverlayAddress);

    /// <summary>
    /// Every Nebula stops, every NAT router forgets, every Nebula starts; then each of <paramref name="traffic"/> (from,
    /// to) pings for as long as the lab lives, the way an office's own traffic would reach out first.
    /// </summary>
    public Stopwatch PowerCut(IEnumerable<(string From, string To)> traffic)
    {
        // The watchers' logs from here on: what they moved before the cut (the first deploy's tunnels) is not counted.
        foreach (var h in lab.Hosts) _logFrom[h.Name] = File.Exists(LogPath(h.Name)) ? new FileInfo(LogPath(h.Name)).Length : 0;
        var restarted = Stopwatch.StartNew();
        foreach (var h in lab.Hosts) lab.Faults.StopNebula(h.Name);
        foreach (var h in lab.Hosts) lab.Faults.RouterForgets(h.Name);
        foreach (var h in lab.Hosts) lab.Faults.StartNebula(h.Name);
        foreach (var (from, to) in traffic)
            Host(from).Host.Start(Path.Combine(lab.Directory, from, $"traffic-{to}.log"), "sh", "-c", $"while :; do ping -c 1 -W 1 {Overlay[to]}; sleep 0.5; done");
        return restarted;
    }

    /// <summary>Reads <paramref name="pairs"/> (both directions each) once a second until all are direct or <paramref name="limit"/> has passed.</summary>
    public Watch UntilDirect(Stopwatch restarted, IReadOnlyList<(string A, string B)> pairs, TimeSpan limit)
    {
        var ends = pairs.SelectMany(p => new[] { (From: p.A, To: p.B), (From: p.B, To: p.A) }).ToList();
        var seen = new List<string>();
        var directAt = new Dictionary<string, TimeSpan>();
        IReadOnlyList<string> last = [];
        while (true)
        {
            var now = ends.Select(e => $"{e.From} -> {e.To}: {Tunnel(e.From, e.To)}").ToList();
            foreach (var (a, b) in pairs)
                if (!directAt.ContainsKey($"{a} - {b}") && now.Count(n => (n.StartsWith($"{a} -> {b}:") || n.StartsWith($"{b} -> {a}:")) && n.Contains(": direct ")) == 2)
                    directAt[$"{a} - {b}"] = restarted.Elapsed;
            if (!now.SequenceEqual(last)) seen.AddRange(now.Select(n => $"{restarted.Elapsed.TotalSeconds:F0} s  {n}"));
            last = now;
            if (now.All(n => n.Contains(": direct ", StringComparison.Ordinal)) || restarted.Elapsed > limit) break;
            Thread.Sleep(TimeSpan.FromSeconds(1));
        }
        var elapsed = restarted.Elapsed;
        // Polled through the host's Nebula; said at the end by the host's own script too (the stand-in's direct-paths.ps1).
        var allDirect = ends.All(e => Tunnel(e.From, e.To, byScript: true).StartsWith("direct ", StringComparison.Ordinal));
        // The watcher writes its log a second after the tunnel changes (it reads the tunnels once more).
        for (var i = 0; allDirect && i < 10 && !pairs.All(p => Moved(p.A, p.B) || Moved(p.B, p.A)); i++) Thread.Sleep(TimeSpan.FromSeconds(0.5));
        var logs = string.Join("\n", lab.Hosts.Select(h => $"{h.Name}: {Log(h.Name)}"));
        return new Watch(elapsed, allDirect, seen.Any(s => s.Contains("relayed via", StringComparison.Ordinal)), seen, logs, directAt);
    }

    /// <summary>
    /// The tunnel from one host to another as the first host's Nebula says now: "direct ADDR:PORT", "relayed via RELAY",
    /// or "-". A Linux host answers with its direct-paths.sh --status; the Windows stand-in, whose PowerShell costs
    /// seconds of CPU a start, is asked with its watcher's own key and ssh, unless <paramref name="byScript"/>: then its
    /// direct-paths.ps1 -Status says it, as the person at that PC would read it.
    /// </summary>
    public string Tunnel(string from, string to, bool byScript = false)
    {
        var root = Path.Combine(lab.Directory, from, "flatnet");
        var powershell = Path.Combine(lab.Directory, from, "windows", "bin", "powershell.exe");
        if (File.Exists(powershell) && !byScript)
        {
            var config = Path.Combine(root, "config", "nebula");
            var json = Host(from).Host.Try("ssh", "-n", "-T", "-F", "/dev/null", "-i", Path.Combine(config, Pki.AdminInterface.WatcherKeyFileName), "-p", $"{_plan.Inventory.Network.Nebula.AdminPort}",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", $"UserKnownHostsFile={Path.Combine(config, "watcher_known_hosts")}",
                "-o", "LogLevel=ERROR", $"{Pki.AdminInterface.WatcherUser}@127.0.0.1", "list-hostmap -json");
            return json.ExitCode != 0 ? "-" : Verification.TunnelStates.FromHostmapJson(json.StdOut).Of(Overlay[to]);
        }
        var status = (File.Exists(powershell)
            ? Host(from).Host.Try(powershell, "-NoProfile", "-ExecutionPolicy", "Bypass", "-File", Path.Combine(root, "scripts", "direct-paths.ps1"), "-Status")
            : Host(from).Host.Try("bash", Path.Combine(root, "scripts", "direct-paths.sh"), "--status")).StdOut;
        var prefix = Overlay[to] + " ";
        return status.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..] ?? "-";
    }

    /// <summary>The host's own watcher stops (direct-paths.sh --remove): only the others' watchers act from then on.</summary>
    public void StopWatcher(string host) =>
        Host(host).Host.Run("bash", Path.Combine(lab.Directory, host, "flatnet", "scripts", "direct-paths.sh"), "--remove");

    /// <summary>Whether <paramref name="from"/>'s own watcher logged moving its tunnel to <paramref name="to"/> to direct.</summary>
    public bool Moved(string from, string to) => Log(from).Contains($"{Overlay[to]}: direct now", StringComparison.Ordinal);

    private readonly Dictionary<string, long> _logFrom = [];

    private string LogPath(string name) => Path.Combine(lab.Directory, name, "flatnet", "logs", "direct-paths.log");

    /// <summary>The host's watcher log since the power cut (ASCII: its bytes are its characters).</summary>
    private string Log(string name)
    {
        if (!File.Exists(LogPath(name))) return "(no log)";
        var text = File.ReadAllText(LogPath(name));
        var from = (int)Math.Min(_logFrom.GetValueOrDefault(name), text.Length);
        return text[from..] is { Length: > 0 } since ? since : "(nothing since the power cut)";
    }

    private LabHost Host(string name) => lab.Hosts.Single(h => h.Name == name);
}
