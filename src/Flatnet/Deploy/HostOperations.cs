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

    private static string PowerShellFile(string path, string args = "") =>
        $"powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"{path.Replace('/', '\\')}\"{(args.Length > 0 ? " " + args : "")}";

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

    /// <summary>WSL side first (its stable address), then the host side (the route to WSL2's current address).</summary>
    public static IReadOnlyList<RemoteResult> ConfigureRouting(HostModel model, string wslCommand, IHostConnection connection)
    {
        var results = new List<RemoteResult>();
        if (model.Wsl)
            results.Add(Checked(connection, $"{wslCommand} bash {Sh(model.Paths.WslScriptsDir + "/wsl-routing.sh")} --install-boot",
                $"wsl-routing.sh inside {model.Name}'s WSL2"));
        results.Add(model.IsWindows
            ? Checked(connection, PowerShellFile($"{model.Paths.ScriptsDir}/setup-routing.ps1"), $"setup-routing.ps1 on {model.Name}")
            : Checked(connection, model.Wsl
                // --watch: a background watcher keeps the route on WSL2's current address after WSL2 restarts.
                ? $"FLATNET_WSL_QUERY={Sh(wslCommand + " hostname -I")} bash {Sh(model.Paths.ScriptsDir + "/host-routing.sh")} --watch"
                : $"sysctl -q -w net.ipv4.ip_forward=1", $"host routing on {model.Name}"));
        return results;
    }

    /// <summary>Pings a target from the host (or, with a wslCommand, from its WSL2). Retries give a new tunnel time to come up.</summary>
    public static (bool Ok, double? RttMs, string Detail) Ping(IHostConnection connection, bool windows, string? wslCommand, string target, int attempts = 4)
    {
        // A handshake takes milliseconds on a LAN; four tries a second and a half apart cover a slow first one.
        var loop = $"for i in $(seq {attempts}); do ping -c 1 -W 1 {target} && exit 0; sleep 0.5; done; exit 1";
        var command = wslCommand is not null ? $"{wslCommand} sh -c {Sh(loop)}"
            : windows ? $"powershell.exe -NoProfile -Command \"foreach ($i in 1..{attempts}) {{ ping -n 1 -w 1000 {target}; if ($LASTEXITCODE -eq 0) {{ exit 0 }}; Start-Sleep -Milliseconds 500 }}; exit 1\""
            : $"sh -c {Sh(loop)}";
        var r = connection.Run(command, TimeSpan.FromSeconds(attempts * 4 + 10));
        var rtt = Rtt().Match(r.StdOut);
        var detail = r.Succeeded ? "" : (r.StdErr + r.StdOut).Trim().Split('\n').LastOrDefault() ?? "";
        return (r.Succeeded, rtt.Success ? double.Parse(rtt.Groups[1].Value, CultureInfo.InvariantCulture) : null, detail);
    }

    [GeneratedRegex(@"time[=<]([\d.]+) ?ms")]
    private static partial Regex Rtt();

    private static RemoteResult Checked(IHostConnection connection, string command, string what)
    {
        var r = connection.Run(command);
        if (r.Succeeded) return r;
        var output = string.Join("\n      ", (r.StdErr + "\n" + r.StdOut).Trim().Split('\n').TakeLast(8));
        throw new FlatnetException($"{what} failed (exit {r.ExitCode}) on {connection.Describe}.\n    command: {command}\n    output:\n      {output}");
    }
}
