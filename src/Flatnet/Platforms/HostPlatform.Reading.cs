using Flatnet.Rendering;
using Flatnet.Transport;
using Flatnet.Versions;
using Flatnet.Output;

namespace Flatnet.Platforms;

/// <summary>
/// The read-only questions flatnet asks a host (is Nebula running, which release, its handshakes, its routing, pings),
/// each a script of this OS and the way its answer reads. Asked one at a time, or together in one command
/// (templates/remote/OS/together.*): Status asks a host everything at once, so it waits for one round trip per host.
/// </summary>
public abstract partial class HostPlatform
{
    /// <summary>One question: the script that asks it, how long it may take, and how its answer reads.</summary>
    private sealed record Question<T>(string Script, TimeSpan Timeout, Func<RemoteResult, T> Read);

    private T Ask<T>(IHostConnection connection, Question<T> q) => q.Read(RunScript(connection, q.Script, q.Timeout));

    /// <summary>
    /// Several scripts in one command, at once where the OS allows, each with its own output and exit status:
    /// the template prints one line per script, "flatnet-part INDEX EXIT BASE64(stdout) BASE64(stderr)".
    /// </summary>
    private IReadOnlyList<RemoteResult> Together(IHostConnection connection, IReadOnlyList<string> scripts, TimeSpan timeout)
    {
        var carried = scripts.Select(s => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(s))).ToList();
        var r = RunScript(connection, Script("together", new { Scripts = carried }), timeout);
        var parts = r.StdOut.Split('\n').Select(l => l.TrimEnd('\r').Split(' ')).Where(f => f.Length == 5 && f[0] == "flatnet-part").ToDictionary(f => f[1], f => f);
        string Text(string b64) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        // A part the host never reported (no shell, a killed command) failed with what the command said.
        return scripts.Select((s, i) => parts.TryGetValue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var f) && int.TryParse(f[2], out var exit)
            ? new RemoteResult(s, exit, Text(f[3]), Text(f[4]))
            : new RemoteResult(s, r.ExitCode == 0 ? -1 : r.ExitCode, "", (r.StdErr + "\n" + r.StdOut).Trim())).ToList();
    }

    /// <summary>Whether the host's Nebula runs (the service, or install.sh's pid file) and, if not, what was found instead.</summary>
    public (bool Running, string Detail) NebulaState(HostModel model, IHostConnection connection) => Ask(connection, StateQuestion(model));

    private Question<(bool Running, string Detail)> StateQuestion(HostModel model) =>
        new(Script("nebula-state", new { PidFile = model.Paths.Root + "/run/nebula.pid", Config = model.Paths.Config }), TimeSpan.FromSeconds(30),
            r => (r.Succeeded, Terminal.Clean((r.StdOut + r.StdErr).Trim().Split('\n').FirstOrDefault() ?? "")));

    /// <summary>The Nebula release installed on the host, asked from its binary; null when none is installed yet.</summary>
    public NebulaVersion? InstalledNebula(HostModel model, IHostConnection connection) => Ask(connection, InstalledQuestion(model));

    private Question<NebulaVersion?> InstalledQuestion(HostModel model) =>
        new(Script("installed-nebula", new { Exe = HostPath(model.Paths.NebulaBinary) }), TimeSpan.FromSeconds(30),
            r => r.Succeeded && NebulaVersion.TryParse(r.StdOut.Trim().Split('\n')[0], out var v) ? v : null);

    /// <summary>The host's newest handshake lines (<see cref="HandshakeMarker"/>), wherever its Nebula logs; empty when there is no log.</summary>
    public string HandshakeLines(HostModel model, IHostConnection connection) => Ask(connection, HandshakeQuestion(model));

    private Question<string> HandshakeQuestion(HostModel model) =>
        new(Script("handshake-lines", new { Log = HostPath(model.Paths.Log), Marker = HandshakeMarker, Nssm = model.ServiceManager == "nssm" }),
            TimeSpan.FromSeconds(30), r => r.Succeeded ? r.StdOut : "");

    /// <summary>The words of the log line Nebula writes when a handshake completes (every release from 1.6).</summary>
    public const string HandshakeMarker = "Handshake message received";

    /// <summary>
    /// Status: whether the host routes its block to WSL2's current address (the routing script's own check, which
    /// changes nothing): "ok", or the first thing it found missing; "-" for a host without WSL2.
    /// </summary>
    public string RoutingState(HostModel model, IHostConnection connection) => model.Wsl ? Ask(connection, RoutingQuestion(model)) : "-";

    private Question<string> RoutingQuestion(HostModel model) =>
        new(HostRouting(model, check: true), TimeSpan.FromSeconds(60), r =>
        {
            if (r.Succeeded) return "ok";
            var said = Terminal.Clean(r.StdOut + "\n" + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return said.FirstOrDefault(l => l.StartsWith("missing:", StringComparison.Ordinal)) ?? said.FirstOrDefault() ?? $"check failed (exit {r.ExitCode})";
        });

    /// <summary>
    /// Everything Status asks a host, in one command: whether Nebula runs, the release installed, its newest
    /// handshake lines and its WSL2 routing.
    /// </summary>
    public HostReading Read(HostModel model, IHostConnection connection)
    {
        var (state, installed, handshakes) = (StateQuestion(model), InstalledQuestion(model), HandshakeQuestion(model));
        var routing = model.Wsl ? RoutingQuestion(model) : null;
        var scripts = new List<string> { state.Script, installed.Script, handshakes.Script };
        if (routing is not null) scripts.Add(routing.Script);
        var answers = Together(connection, scripts, TimeSpan.FromSeconds(60));
        var (running, detail) = state.Read(answers[0]);
        return new HostReading(running, detail, installed.Read(answers[1]), handshakes.Read(answers[2]), routing?.Read(answers[3]) ?? "-");
    }

    /// <summary>Pings a target from the host (or from its WSL2). Retries give a new tunnel time to come up.</summary>
    public (bool Ok, double? RttMs, string Detail) Ping(IHostConnection connection, HostModel model, bool fromWsl, string target, int attempts = 4)
    {
        // A handshake takes milliseconds on a LAN; four tries a second and a half apart cover a slow first one.
        var loop = Render("remote/ping-loop.sh.scriban", new { Target = target, Attempts = attempts });
        var script = fromWsl ? InWsl(model, loop) : HostPing(target, attempts, loop);
        var r = RunScript(connection, script, TimeSpan.FromSeconds(attempts * 4 + 10));
        var detail = r.Succeeded ? "" : (r.StdErr + r.StdOut).Trim().Split('\n').LastOrDefault() ?? "";
        return (r.Succeeded, RoundTripMs(r.StdOut), detail);
    }

    /// <param name="loop">the shell loop a POSIX host runs (templates/remote/ping-loop.sh.scriban).</param>
    protected abstract string HostPing(string target, int attempts, string loop);

    /// <summary>
    /// VerifyPing on this host in one command: Nebula's state, and every ping from it (<paramref name="fromHost"/>) and
    /// from its WSL2 (<paramref name="fromWsl"/>), all at once; and <paramref name="names"/> as the host and its WSL2
    /// resolve them (none: no names asked).
    /// </summary>
    public HostProbe Probe(HostModel model, IHostConnection connection, IReadOnlyList<ProbeTarget> fromHost, IReadOnlyList<ProbeTarget> fromWsl, IReadOnlyList<string>? names = null)
    {
        names ??= [];
        // WSL2's part reaches it on its standard input, never in a command line: it grows with the fleet, and a command
        // line has limits (CreateProcess 32,767 characters on Windows, one argument 131,072 bytes on Linux).
        var wsl = model.Wsl && (fromWsl.Count > 0 || names.Count > 0) ? PingProbe("wsl", fromWsl, names) : "";
        var attempts = fromHost.Concat(fromWsl).Select(t => t.Attempts).DefaultIfEmpty(1).Max();
        var r = RunScript(connection, ProbeScript(model, fromHost, wsl, names), TimeSpan.FromSeconds(attempts * 2 + 30));
        return HostProbe.Parse(r.StdOut, r.StdErr + "\n" + r.StdOut);
    }

    /// <param name="wslScript">the POSIX sh script WSL2 runs from its standard input ("" for none).</param>
    protected abstract string ProbeScript(HostModel model, IReadOnlyList<ProbeTarget> fromHost, string wslScript, IReadOnlyList<string> names);

    /// <summary>templates/remote/ping-probe.sh: POSIX sh that pings every target at once, one JSON object per target, and resolves every name.</summary>
    protected string PingProbe(string from, IReadOnlyList<ProbeTarget> targets, IReadOnlyList<string> names) =>
        Render("remote/ping-probe.sh.scriban", new { From = from, Targets = targets, Names = names });

    /// <summary>A shell script as `echo BASE64 | base64 -d | sh`: it crosses every quoting layer as written.</summary>
    protected string Carried(string shellScript) =>
        Render("remote/wsl-carrier.sh.scriban", new { Base64 = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(shellScript)) });
}

/// <summary>What Status reads from one host in one command.</summary>
public sealed record HostReading(bool Running, string State, NebulaVersion? Nebula, string HandshakeLines, string Routing);
