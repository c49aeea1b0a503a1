using System.Globalization;
using System.Text.RegularExpressions;
using Flatnet.Rendering;

namespace Flatnet.Deploy;

/// <summary>
/// What DeployHost, ConfigureRouting and VerifyPing do on one host, over any <see cref="IHostConnection"/>.
/// Linux hosts (the lab) run the shell twins; Windows hosts run the PowerShell scripts through their OpenSSH server.
/// </summary>
public static partial class HostOperations
{
    public static string Sh(string s) => TemplateRenderer.ShQuote(s);

    /// <summary>A command line for a person to type: words quoted only where the shell needs it.</summary>
    public static string ForPerson(string program, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { program }.Concat(arguments).Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "_./:=,@%+-".Contains(c)) ? a : Sh(a)));

    /// <summary>A host path as a PowerShell string: a drive path in Windows' own spelling (F:\flatnet\...); the lab's
    /// stand-in roots (/path) as they are.</summary>
    private static string Ps(string path) =>
        TemplateRenderer.PsQuote(HostPaths.Native(path));

    /// <summary>Runs a script file on a Windows host: an encoded command that calls it, so its path is a quoted value, never a word cmd.exe parses.</summary>
    private static string PowerShellFile(string path, string switches = "") =>
        EncodedPowerShell($"try {{ & {Ps(path)}{(switches.Length > 0 ? " " + switches : "")} }} catch {{ [Console]::Error.WriteLine($_.ToString()); exit 1 }}\n" +
                          "if (-not $?) { if ($LASTEXITCODE) { exit $LASTEXITCODE } else { exit 1 } }\nexit 0");

    /// <summary>
    /// A PowerShell script for a Windows host, as one command line that no layer can re-split or re-quote: Windows'
    /// OpenSSH hands the line to cmd.exe (cmd.exe's metacharacters: &amp; | &lt; &gt; ^ % ( ) and "), and
    /// powershell.exe then splits it by CommandLineToArgvW rules (spaces, " and \), but base64 of the script
    /// (UTF-16LE, as -EncodedCommand takes it) is only letters, digits, + / and =: none of them is special to either.
    /// </summary>
    public static string EncodedPowerShell(string script) =>
        "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + Convert.ToBase64String(System.Text.Encoding.Unicode.GetBytes(script));

    /// <summary>
    /// A POSIX shell script run inside the host's WSL2, carried as data: base64 of the script, decoded and run by sh
    /// inside WSL. Whatever cmd.exe, CommandLineToArgvW (wsl.exe's) or Windows PowerShell 5.1's native-argument
    /// quoting do to a command line, "echo BASE64 | base64 -d | sh" has no quote, backslash or metacharacter of
    /// theirs outside one double-quoted argument, so it arrives as written.
    /// </summary>
    public static string InWsl(HostModel model, string wslCommand, string script)
    {
        var carried = "echo " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(script)) + " | base64 -d | sh";
        if (!model.IsWindows) return $"{wslCommand} sh -c {Sh(carried)}";
        var words = wslCommand.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return EncodedPowerShell($"& {string.Join(" ", words.Select(TemplateRenderer.PsQuote))} 'sh' '-c' {TemplateRenderer.PsQuote(carried)}\nexit $LASTEXITCODE");
    }

    /// <summary>
    /// keygen_on_host: makes the host's key pair in its config folder, once (an existing key is kept). Paths go in as
    /// quoted values of an encoded script (Windows) or as shell words (Linux), never spliced into a command line.
    /// </summary>
    public static string MakeKeyPairCommand(HostModel model)
    {
        var dir = model.Paths.ConfigDir;
        if (model.IsWindows)
            return EncodedPowerShell(
                $"$dir = {Ps(dir)}; $certTool = {Ps(model.Paths.NebulaDir + "/nebula-cert.exe")}\n" +
                "New-Item -ItemType Directory -Force -Path $dir | Out-Null\n" +
                "if (Test-Path -LiteralPath (Join-Path $dir 'host.key')) { exit 0 }\n" +
                "if (-not (Test-Path -LiteralPath $certTool)) { Write-Error \"$certTool is missing: install the bundle's Nebula first, or run nebula-cert keygen by hand\"; exit 2 }\n" +
                "& $certTool keygen -out-key (Join-Path $dir 'host.key') -out-pub (Join-Path $dir 'host.pub'); exit $LASTEXITCODE");
        return $"mkdir -p {Sh(dir)} && cd {Sh(dir)} && " +
               "{ [ -e host.key ] || { umask 077 && nebula-cert keygen -out-key host.key -out-pub host.pub; }; } && chmod 600 host.key";
    }

    /// <summary>The Nebula release installed on the host, asked from its binary; null when none is installed yet.</summary>
    public static Versions.NebulaVersion? InstalledNebula(HostModel model, IHostConnection connection)
    {
        var command = model.IsWindows
            ? EncodedPowerShell($"$exe = {Ps(model.Paths.NebulaBinary)}; if (Test-Path -LiteralPath $exe) {{ & $exe -version }}")
            : $"if [ -x {Sh(model.Paths.NebulaBinary)} ]; then {Sh(model.Paths.NebulaBinary)} -version; fi";
        var r = connection.Run(command, TimeSpan.FromSeconds(30));
        return r.Succeeded && Versions.NebulaVersion.TryParse(r.StdOut.Trim().Split('\n')[0], out var v) ? v : null;
    }

    /// <summary>A host path as the transport's file side names it: Windows' OpenSSH sftp writes drives as /F:/...</summary>
    public static string RemotePath(HostModel model, string path) => model.IsWindows && !path.StartsWith('/') ? "/" + path : path;

    /// <summary>Uploads the unpacked bundle to ROOT/incoming/bundle and runs its install script there.</summary>
    public static RemoteResult Deploy(HostModel model, string bundleDirectory, IHostConnection connection)
    {
        var incoming = $"{model.Paths.Root}/incoming/bundle";
        if (model.IsWindows)
        {
            // Windows' OpenSSH sftp names drives as /F:/...; its shell is cmd.exe, so run PowerShell explicitly.
            connection.Upload(bundleDirectory, RemotePath(model, incoming));
            return Checked(connection, PowerShellFile($"{incoming}/install.ps1"), $"installing the bundle on {model.Name}");
        }
        Checked(connection, $"rm -rf {Sh(incoming)}", $"clearing {incoming} on {model.Name}");
        connection.Upload(bundleDirectory, incoming);
        return Checked(connection, $"bash {Sh(incoming + "/install.sh")}", $"installing the bundle on {model.Name}");
    }

    /// <summary>Where a host keeps the manifest of the bundle it runs: written only after install and routing succeeded.</summary>
    public static string InstalledManifestPath(HostModel model) => $"{model.Paths.Root}/installed-manifest.json";

    /// <summary>The manifest the host runs, as it reports it; "" when it has none (never deployed, or deployed before flatnet recorded it).</summary>
    public static string InstalledManifest(HostModel model, IHostConnection connection) =>
        connection.ReadFile(RemotePath(model, InstalledManifestPath(model)));

    /// <summary>
    /// Records the bundle the install script just installed (it leaves ROOT/installed-manifest.pending.json) as the one
    /// the host runs, once its routing is in place too. Without a pending manifest (routing run on its own) nothing changes.
    /// </summary>
    public static void RecordInstalled(HostModel model, IHostConnection connection)
    {
        var pending = $"{model.Paths.Root}/installed-manifest.pending.json";
        var installed = InstalledManifestPath(model);
        Checked(connection, model.IsWindows
                ? EncodedPowerShell($"$pending = {Ps(pending)}; if (Test-Path -LiteralPath $pending) {{ Move-Item -Force -LiteralPath $pending -Destination {Ps(installed)} }}")
                : $"if [ -e {Sh(pending)} ]; then mv -f {Sh(pending)} {Sh(installed)}; fi",
            $"recording the installed bundle on {model.Name}");
    }

    /// <summary>WSL side first (its stable address), then the host side (the route to WSL2's current address).</summary>
    public static IReadOnlyList<RemoteResult> ConfigureRouting(HostModel model, string wslCommand, IHostConnection connection)
    {
        var results = new List<RemoteResult>();
        if (model.Wsl)
            results.Add(Checked(connection, InWsl(model, wslCommand, $"bash {Sh(model.Paths.WslScriptsDir + "/wsl-routing.sh")} --install-boot"),
                $"wsl-routing.sh inside {model.Name}'s WSL2"));
        results.Add(model.IsWindows
            ? Checked(connection, HostRouting(model, wslCommand, ""), $"setup-routing.ps1 on {model.Name}")
            : Checked(connection, model.Wsl
                // --watch: a background watcher keeps the route on WSL2's current address after WSL2 restarts.
                ? HostRouting(model, wslCommand, "--watch")
                : $"sysctl -q -w net.ipv4.ip_forward=1", $"host routing on {model.Name}"));
        return results;
    }

    /// <summary>The host side of routing a host with WSL2: setup-routing.ps1 (Windows) or host-routing.sh (Linux), with a switch (--check/-Check, --watch).</summary>
    private static string HostRouting(HostModel model, string wslCommand, string switches) => model.IsWindows
        ? PowerShellFile($"{model.Paths.ScriptsDir}/setup-routing.ps1", switches)
        : $"FLATNET_WSL_QUERY={Sh(wslCommand + " hostname -I")} bash {Sh(model.Paths.ScriptsDir + "/host-routing.sh")}{(switches.Length > 0 ? " " + switches : "")}";

    /// <summary>
    /// Status: whether the host routes its block to WSL2's current address (the routing script's own check, which
    /// changes nothing): "ok", or the first thing it found missing; "-" for a host without WSL2.
    /// </summary>
    public static string RoutingState(HostModel model, string wslCommand, IHostConnection connection)
    {
        if (!model.Wsl) return "-";
        var r = connection.Run(HostRouting(model, wslCommand, model.IsWindows ? "-Check" : "--check"), TimeSpan.FromSeconds(60));
        if (r.Succeeded) return "ok";
        var said = (r.StdOut + "\n" + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return said.FirstOrDefault(l => l.StartsWith("missing:", StringComparison.Ordinal)) ?? said.FirstOrDefault() ?? $"check failed (exit {r.ExitCode})";
    }

    /// <summary>
    /// RemoveHost on the host: the current scripts go to ROOT/scripts first (a host installed by an older flatnet has
    /// older ones), then uninstall.ps1/uninstall.sh takes Nebula and the host's routing off, then wsl-routing.sh
    /// --remove takes the stable address and its routes out of WSL2. The host side runs even when WSL2 does not answer.
    /// </summary>
    public static IReadOnlyList<RemoteResult> Uninstall(HostModel model, string wslCommand, string scriptsDirectory, IHostConnection connection)
    {
        connection.Upload(scriptsDirectory, RemotePath(model, model.Paths.ScriptsDir));
        var results = new List<RemoteResult>
        {
            Checked(connection, model.IsWindows ? PowerShellFile($"{model.Paths.ScriptsDir}/uninstall.ps1") : $"bash {Sh(model.Paths.ScriptsDir + "/uninstall.sh")}",
                $"uninstall on {model.Name}"),
        };
        if (model.Wsl)
            results.Add(Checked(connection, InWsl(model, wslCommand, $"bash {Sh(model.Paths.WslScriptsDir + "/wsl-routing.sh")} --remove"),
                $"wsl-routing.sh --remove inside {model.Name}'s WSL2"));
        return results;
    }

    /// <summary>What a person runs on the host when flatnet cannot reach it: the same scripts, by hand.</summary>
    public static string UninstallByHand(HostModel model) =>
        (model.IsWindows
            ? $"as Administrator: powershell.exe -NoProfile -ExecutionPolicy Bypass -File {HostPaths.Native(model.Paths.ScriptsDir + "/uninstall.ps1")}"
            : $"as root: bash {model.Paths.ScriptsDir}/uninstall.sh")
        + (model.Wsl ? $"; then in WSL2: sudo bash {model.Paths.WslScriptsDir}/wsl-routing.sh --remove" : "");

    /// <summary>
    /// The host's doctor, in machine form (one tab-separated line per check): scripts/flatnet-doctor.ps1 on Windows,
    /// scripts/flatnet-doctor.sh on Linux, which also checks inside WSL2 through the inventory's wsl_command.
    /// </summary>
    public static string DoctorCommand(HostModel model, string wslCommand) => model.IsWindows
        ? PowerShellFile($"{model.Paths.ScriptsDir}/flatnet-doctor.ps1", "-Machine")
        : $"bash {Sh(model.Paths.ScriptsDir + "/flatnet-doctor.sh")} --machine" + (model.Wsl && wslCommand.Length > 0 ? $" --wsl {Sh(wslCommand)}" : "");

    /// <summary>Pings a target from the host (or, with a wslCommand, from its WSL2). Retries give a new tunnel time to come up.</summary>
    public static (bool Ok, double? RttMs, string Detail) Ping(IHostConnection connection, HostModel model, string? wslCommand, string target, int attempts = 4)
    {
        // A handshake takes milliseconds on a LAN; four tries a second and a half apart cover a slow first one.
        var loop = $"for i in $(seq {attempts}); do ping -c 1 -W 1 {Sh(target)} && exit 0; sleep 0.5; done; exit 1";
        var command = wslCommand is not null ? InWsl(model, wslCommand, loop)
            : model.IsWindows ? EncodedPowerShell($"$target = {TemplateRenderer.PsQuote(target)}; foreach ($i in 1..{attempts}) {{ ping.exe -n 1 -w 1000 $target; if ($LASTEXITCODE -eq 0) {{ exit 0 }}; Start-Sleep -Milliseconds 500 }}; exit 1")
            : $"sh -c {Sh(loop)}";
        var r = connection.Run(command, TimeSpan.FromSeconds(attempts * 4 + 10));
        var detail = r.Succeeded ? "" : (r.StdErr + r.StdOut).Trim().Split('\n').LastOrDefault() ?? "";
        return (r.Succeeded, RoundTripMs(r.StdOut), detail);
    }

    /// <summary>
    /// The round trip from ping's output in any language: Linux prints "time=0.521 ms", English Windows "time=1ms" or
    /// "time&lt;1ms", Japanese Windows "時間 =1ms" / "時間 &lt;1ms". Only the "=" or "&lt;" before a number of "ms" is common to all.
    /// </summary>
    public static double? RoundTripMs(string output) =>
        Rtt().Match(output) is { Success: true } m ? double.Parse(m.Groups[1].Value.Replace(',', '.'), CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"[=<]\s*(\d+(?:[.,]\d+)?)\s*ms\b")]
    private static partial Regex Rtt();

    /// <summary>Whether the host's Nebula runs (the service, or install.sh's pid file) and, if not, what was found instead.</summary>
    public static (bool Running, string Detail) NebulaState(HostModel model, IHostConnection connection)
    {
        var command = model.IsWindows
            ? EncodedPowerShell("$s = Get-Service -Name nebula -ErrorAction SilentlyContinue; " +
                                "if ($null -eq $s) { 'the nebula service is not installed'; exit 1 }; " +
                                "if ($s.Status -ne 'Running') { \"the nebula service is $($s.Status)\"; exit 1 }; 'running'")
            : $"pid_file={Sh(model.Paths.Root + "/run/nebula.pid")}; " +
              "if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet flatnet-nebula 2>/dev/null; then echo running; exit 0; fi; " +
              "[ -s \"$pid_file\" ] || { echo 'not running (no pid file, no flatnet-nebula unit)'; exit 1; }; pid=$(cat \"$pid_file\"); " +
              "if kill -0 \"$pid\" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' \"/proc/$pid/status\" 2>/dev/null; then echo running; exit 0; fi; " +
              "echo \"not running (pid file stale: process $pid is gone)\"; exit 1";
        var r = connection.Run(command, TimeSpan.FromSeconds(30));
        return (r.Succeeded, (r.StdOut + r.StdErr).Trim().Split('\n').FirstOrDefault() ?? "");
    }

    /// <summary>
    /// The host's newest handshake lines (<see cref="Verification.HandshakeLog"/>), wherever its Nebula logs: the log
    /// file (install.sh's own process; NSSM on Windows), journald (the systemd unit), or, for Nebula's own Windows
    /// service, the Application event log, where it sends each entry's text line (cmd/nebula-service/logs_windows.go:
    /// HookLogger, through kardianos/service's logger, source = the service's name). Empty when there is no log.
    /// </summary>
    public static string HandshakeLines(HostModel model, IHostConnection connection)
    {
        var marker = Verification.HandshakeLog.Marker;
        var command = !model.IsWindows
            ? $"{{ journalctl -u flatnet-nebula -o cat --no-pager -n 20000 2>/dev/null; tail -n 20000 {Sh(model.Paths.Log)} 2>/dev/null; }} | grep -F {Sh(marker)} | tail -n 400; exit 0"
            : EncodedPowerShell(model.ServiceManager == "nssm"
                ? $"Get-Content -Tail 20000 -LiteralPath {Ps(model.Paths.Log)} -ErrorAction SilentlyContinue | Select-String -SimpleMatch {TemplateRenderer.PsQuote(marker)} | Select-Object -Last 400 | ForEach-Object {{ $_.Line }}; exit 0"
                : "Get-WinEvent -FilterHashtable @{ LogName = 'Application'; ProviderName = 'nebula' } -MaxEvents 5000 -ErrorAction SilentlyContinue | " +
                  $"Where-Object {{ $_.Message -like {TemplateRenderer.PsQuote("*" + marker + "*")} }} | Select-Object -First 400 | ForEach-Object {{ $_.Message }}; exit 0");
        var r = connection.Run(command, TimeSpan.FromSeconds(30));
        return r.Succeeded ? r.StdOut : "";
    }

    private static RemoteResult Checked(IHostConnection connection, string command, string what)
    {
        var r = connection.Run(command);
        if (r.Succeeded) return r;
        var output = string.Join("\n      ", (r.StdErr + "\n" + r.StdOut).Trim().Split('\n').TakeLast(8));
        throw new FlatnetException($"{what} failed (exit {r.ExitCode}) on {connection.Describe}.\n    command: {command}\n    output:\n      {output}");
    }
}
