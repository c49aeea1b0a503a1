namespace Flatnet.Lab;

/// <summary>
/// What goes wrong on real PCs, done to lab hosts on purpose: WSL2 restarting with a new address, a PC whose SSH
/// server is unreachable, a lighthouse going down (see <see cref="LabLighthouses"/>).
/// </summary>
public sealed class LabFaults(string labDirectory, IReadOnlyList<LabHost> hosts, LabSshd sshd)
{
    private LabHost Host(string name) => hosts.Single(h => h.Name == name);

    /// <summary>
    /// Restarts a host's "WSL2" the way Windows does: a new VM (new MAC) that comes back with a new NAT address
    /// ({WslNetwork}.SUFFIX), after which WSL runs the [boot] command from its wsl.conf.
    /// </summary>
    public void RestartWsl(string host, int addressSuffix)
    {
        var wsl = Host(host).WslNamespace;
        wsl.Run("ip", "addr", "flush", "dev", "eth0");
        wsl.Run("ip", "link", "set", "dev", "eth0", "down");
        wsl.Run("ip", "link", "set", "dev", "eth0", "address", $"02:f1:a7:00:00:{addressSuffix:x2}");
        wsl.Run("ip", "link", "set", "dev", "eth0", "up");
        wsl.Run("ip", "addr", "add", $"{LabTopology.WslNetwork}.{addressSuffix}/20", "dev", "eth0");
        wsl.Run("ip", "route", "add", "default", "via", $"{LabTopology.WslNetwork}.1");
        // WSL hands the [boot] command to a shell (it may be several: "service docker start; ...").
        wsl.Run("sh", "-c", BootCommand(Path.Combine(labDirectory, host, "wsl-etc", "wsl.conf")));
    }

    /// <summary>The [boot] command of a wsl.conf, as WSL reads it: `command = "..."` (quotes optional) in the [boot] section.</summary>
    public static string BootCommand(string wslConf)
    {
        var section = "";
        foreach (var raw in File.ReadAllLines(wslConf))
        {
            var line = raw.Trim();
            if (line.StartsWith('[') && line.EndsWith(']')) { section = line[1..^1].Trim(); continue; }
            var eq = line.IndexOf('=');
            if (section != "boot" || eq < 0 || line[..eq].Trim() != "command") continue;
            var value = line[(eq + 1)..].Trim();
            return value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
        }
        throw new FlatnetException($"lab: {wslConf} has no [boot] command", fix: "run wsl-routing.sh --install-boot in that WSL2 (ConfigureRouting does)");
    }

    /// <summary>
    /// The host's Nebula stops, as at a power cut: the process its install started ends (a Linux host's run/nebula.pid,
    /// the Windows stand-in's service), and every tunnel it had is gone; <see cref="StartNebula"/> starts the same
    /// command line again, as the boot would. Nothing of flatnet's runs for either.
    /// </summary>
    public void StopNebula(string host)
    {
        var (pid, _, cmdline) = NebulaFiles(host);
        Host(host).Host.Run("sh", "-c", "pid=$(cat \"$1\"); tr '\\0' ' ' <\"/proc/$pid/cmdline\" >\"$2\"; kill \"$pid\"; " +
                                        "while kill -0 \"$pid\" 2>/dev/null; do sleep 0.1; done", "sh", pid, cmdline);
    }

    /// <remarks>A Nebula just stopped may hold its device a moment longer on a loaded machine: one that exits at once is started again, as install.sh does.</remarks>
    public void StartNebula(string host)
    {
        var (pid, log, cmdline) = NebulaFiles(host);
        Host(host).Host.Run("sh", "-c", "for try in 1 2 3 4 5; do setsid $(cat \"$3\") >>\"$2\" 2>&1 </dev/null & echo $! >\"$1\"; " +
                                        "sleep 1; kill -0 \"$(cat \"$1\")\" 2>/dev/null && exit 0; done; echo \"nebula would not start\" >&2; exit 1",
            "sh", pid, log, cmdline);
    }

    /// <summary>Where the host's Nebula keeps its pid and log: the Windows stand-in's service state, or a Linux host's install root.</summary>
    private (string Pid, string Log, string Cmdline) NebulaFiles(string host)
    {
        var state = Path.Combine(labDirectory, host, "windows", "state");
        if (Directory.Exists(state)) return (Path.Combine(state, "nebula.pid"), Path.Combine(state, "nebula.log"), Path.Combine(state, "nebula.cmdline"));
        var root = Path.Combine(labDirectory, host, "flatnet");
        return (Path.Combine(root, "run", "nebula.pid"), Path.Combine(root, "logs", "nebula.log"), Path.Combine(root, "run", "nebula.cmdline"));
    }

    /// <summary>
    /// The NAT router in front of the host forgets every mapping, as after its own restart or a new WAN link (or an
    /// hour without traffic): its LAN side goes down and up, and the kernel drops the connections it masqueraded
    /// there (nf_nat_masquerade, on NETDEV_DOWN). A host on the LAN has no router: nothing to forget.
    /// </summary>
    public void RouterForgets(string host)
    {
        if (Host(host).Router is not { } router) return;
        router.Run("ip", "link", "set", "lan0", "down");
        router.Run("ip", "link", "set", "lan0", "up");
    }

    /// <summary>The host's SSH server stops: flatnet cannot reach it, its nebula runs on.</summary>
    public void StopSsh(string host) => sshd.Stop(Host(host));

    public void StartSsh(string host) => sshd.Resume(Host(host));

    /// <summary>The host as a PC nobody prepared for SSH (<see cref="LabSshd.MakeBare"/>); returns its sshd_config.</summary>
    public string MakeBare(string host) => sshd.MakeBare(Host(host));
}
