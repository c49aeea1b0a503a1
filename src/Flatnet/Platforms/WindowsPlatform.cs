using Flatnet.Inventory;
using Flatnet.Rendering;
using Flatnet.Transport;

namespace Flatnet.Platforms;

/// <summary>
/// A Windows PC: the spec's layout under nebula.windows.root (F:\flatnet\...), Nebula's Windows release in its bundle,
/// PowerShell scripts written as files and run with -File through Windows' OpenSSH (whose shell is cmd.exe), WSL2 reached with
/// wsl.exe, SFTP paths to drives as /F:/...
/// </summary>
public sealed class WindowsPlatform(TemplateRenderer templates) : HostPlatform(templates)
{
    public override HostOs Os => HostOs.Windows;
    protected override string ScriptExtension => "ps1";
    protected override string InstallScript => "install.ps1";
    protected override string UninstallScript => "uninstall.ps1";
    protected override string HostRoutingName => "setup-routing.ps1";

    public override PlatformFacts Facts(HostEntry host, NetworkSettings network) => new(Name, Paths(host.Root ?? network.Nebula.Windows.Root),
        // Hyper-V/WSL virtual switches and Nebula's own adapter: addresses other hosts cannot reach.
        ["vEthernet.*", HostModel.DefaultTunDevice],
        // With nebula.windows.wsl_distro, the same distro setup-routing.ps1 uses (-d), not whichever is the default.
        host.WslCommand ?? (network.Nebula.Windows.WslDistro is { } distro ? $"wsl.exe -d {distro} -u root -e" : "wsl.exe -u root -e"));

    /// <summary>Nebula's config takes forward slashes on Windows too, so Windows paths are written with '/'.</summary>
    private static HostPaths Paths(string root)
    {
        var r = root.Replace('\\', '/').TrimEnd('/');
        return HostPaths.Under(r, $"{r}/nebula/nebula.exe",
            // F:/flatnet -> /mnt/f/flatnet: WSL2 sees Windows drives under /mnt.
            HostPaths.IsDrivePath(r) ? $"/mnt/{char.ToLowerInvariant(r[0])}{r[2..]}/scripts" : $"{r}/scripts");
    }

    public override IReadOnlyList<BundleTemplate> BundleTemplates(HostModel model) =>
    [
        new("config.yaml", "config.yaml.scriban", RenderedFile.Regular),
        new("install.ps1", "install.ps1.scriban", RenderedFile.Executable),
        // Routing scripts exist for a host with WSL2 only: without it there is nothing to route (RoutePlan is null).
        .. model.Routes is null ? Array.Empty<BundleTemplate>() :
        [
            new("scripts/setup-routing.ps1", "setup-routing.ps1.scriban", RenderedFile.Executable),
            new("scripts/wsl-routing.sh", "wsl-routing.sh.scriban", RenderedFile.Executable),
        ],
        // The doctor checks, read-only, what the host needs; the person at the host runs it too.
        // With the admin interface, the watcher that moves relayed tunnels to direct ones between flatnet's runs.
        .. model.Admin is null ? Array.Empty<BundleTemplate>() : [new BundleTemplate("scripts/direct-paths.ps1", "direct-paths.ps1.scriban", RenderedFile.Executable)],
        new("scripts/flatnet-doctor.ps1", "flatnet-doctor.ps1.scriban", RenderedFile.Executable),
        // RemoveHost runs it; a person taking the host out by hand does too.
        new("scripts/uninstall.ps1", "uninstall.ps1.scriban", RenderedFile.Executable),
        // The mesh's names, which the install writes into the hosts file (and wsl-routing.sh into WSL2's).
        new("scripts/names.hosts", "names.hosts.scriban", RenderedFile.Regular),
        new("README.md", "README.md.scriban", RenderedFile.Regular),
    ];

    /// <summary>Nebula's Windows release's files; a bundle without them is refused unless the inventory says they are installed by hand.</summary>
    public override IReadOnlyList<RenderedFile> ShippedNebula(NetworkSettings network) =>
        network.Nebula.Windows.Release is not null ? WindowsRelease.Files(network.Nebula.Windows, network.File)
        : network.Nebula.Windows.InstalledByHand ? []
        : throw new FlatnetException("a Windows bundle needs Nebula's Windows release (nebula.exe, nebula-cert.exe, wintun.dll), and none is set",
            ["download nebula-windows-amd64.zip from github.com/slackhq/nebula/releases and set release: to its path (in nebula.windows)",
             "or, if every Windows host has Nebula installed by hand, set installed_by_hand: true (in nebula.windows)"],
            file: network.File, field: "nebula.windows.release");

    /// <summary>
    /// Windows PowerShell 5.1 runs the file it is given: `-File "PATH"` is 80-odd characters plus the path, whatever
    /// the script, and cmd.exe (Windows' OpenSSH's shell) passes it on as it is: inside double quotes none of its
    /// operators act, and a path with neither " nor % has nothing it would change.
    /// </summary>
    protected override string RunFileCommand(string path) =>
        path.IndexOfAny(['"', '%']) < 0 ? $"powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"{path}\""
        : throw new FlatnetException($"the account's folder on the host ({path}) has a \" or % in its name, which cmd.exe would change",
            "log in as an account whose profile folder has neither (deploy.user)");

    /// <summary>
    /// UTF-8 with its byte-order mark (without one, Windows PowerShell 5.1 reads a script file in the ANSI code page),
    /// its output set to UTF-8 first (templates/remote/windows/script-file.ps1.scriban).
    /// </summary>
    protected override byte[] ScriptFileBytes(string script) =>
        [.. System.Text.Encoding.UTF8.GetPreamble(), .. base.ScriptFileBytes(Script("script-file", new { Script = script }))];

    public override string JoinScriptName => "join.ps1";
    protected override bool NewHostHasWsl => true;
    protected override string NewHostUser => "flatnet";
    public override string JoinCommand => @"powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\join.ps1   (in an elevated PowerShell; -Check changes nothing)";
    protected override string JoinRoot(HostEntry host, NetworkSettings network) => host.Root ?? network.Nebula.Windows.Root;

    /// <summary>
    /// Win32-OpenSSH's sshd_config (its default) reads an administrator's keys from
    /// %ProgramData%\ssh\administrators_authorized_keys, not the account's own file; its host keys live beside it.
    /// </summary>
    public override Transport.SshServer SshServer { get; } = new(
        user => $"C:\\ProgramData\\ssh\\administrators_authorized_keys (for an administrator like {user}; OpenSSH on Windows reads only that file for the Administrators group)",
        "ssh-keygen -lf C:\\ProgramData\\ssh\\ssh_host_ed25519_key.pub (in PowerShell)");

    /// <summary>Windows' OpenSSH sftp names drives as /F:/...; the lab's stand-in roots (/path) stay as they are.</summary>
    public override string RemotePath(string path) => path.StartsWith('/') ? path : "/" + path;

    /// <summary>A drive path in Windows' own spelling (F:\flatnet\...); the lab's stand-in roots (/path) as they are.</summary>
    protected override string HostPath(string path) => HostPaths.Native(path.Length > 2 && path[0] == '/' && path[2] == ':' ? path[1..] : path);

    protected override string MakeKeyPairScript(HostModel model) =>
        Script("make-key-pair", new { Dir = HostPath(model.Paths.ConfigDir), CertTool = HostPath(model.Paths.NebulaDir + "/nebula-cert.exe") });

    /// <summary>
    /// A Windows host makes its key before any bundle installed Nebula there: with nebula.windows.release, its
    /// nebula-cert.exe goes ahead on its own (nebula.exe, a running service's file, is left to install.ps1).
    /// </summary>
    public override void PrepareKeygen(HostModel model, IHostConnection connection, IReadOnlyList<RenderedFile> shippedNebula, string scratch)
    {
        var tool = shippedNebula.SingleOrDefault(f => f.Path == "nebula/nebula-cert.exe");
        if (tool is null) return;
        PrepareRoot(model, connection);
        File.WriteAllBytes(Path.Combine(scratch, "nebula-cert.exe"), tool.Content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(scratch, "nebula-cert.exe"), (UnixFileMode)tool.Mode);
        connection.Upload(scratch, RemotePath(model.Paths.NebulaDir));
    }

    /// <summary>setup-routing.ps1 runs as the account flatnet logs in as (an administrator); it asks WSL as WSL's owner itself.</summary>
    /// <summary>
    /// Windows has no folder an upload may land in safely by default: before the bundle (it holds host.key) or
    /// nebula-cert.exe goes up, the install root is made right and incoming\ made Administrators and SYSTEM only, and
    /// an upload an install never got to is removed (templates/remote/windows/prepare-root.ps1.scriban).
    /// </summary>
    protected override void ClearIncoming(string incoming, HostModel model, IHostConnection connection) => PrepareRoot(model, connection);

    private void PrepareRoot(HostModel model, IHostConnection connection) =>
        Checked(connection, Script("prepare-root", new { Root = HostPath(model.Paths.Root) }), $"preparing {HostPath(model.Paths.Root)} on {model.Name}");

    protected override string HostRouting(HostModel model, bool check) =>
        ScriptFile($"{model.Paths.ScriptsDir}/setup-routing.ps1", check ? "-Check" : "");

    /// <summary>
    /// WSL is its owner's: wsl.exe run as another account sees no distro (WSL keeps distros per account). When the
    /// inventory names wsl_user, a script that only talks to WSL (a command inside it, VerifyPing's probe) runs as the
    /// owner, unelevated, through a one-shot scheduled task in the owner's session, or in place when the account
    /// logged in is the owner (templates/_wsl-owner.ps1.scriban).
    /// </summary>
    protected override string AsWslOwner(HostModel model, string script) => !model.WslOwnerNamed ? script
        : Script("as-wsl-owner", new { Owner = model.WslUser, Staging = HostPath(model.Paths.Root + "/run"), Inner = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(script)) });

    protected override string UninstallScriptByHand(HostModel model) =>
        $"as Administrator: powershell.exe -NoProfile -ExecutionPolicy Bypass -File {HostPath(model.Paths.ScriptsDir + "/uninstall.ps1")}";

    /// <summary>The doctor reads as an administrator; it asks WSL as WSL's owner itself.</summary>
    protected override string DoctorScript(HostModel model) => ScriptFile($"{model.Paths.ScriptsDir}/flatnet-doctor.ps1", "-Machine");

    public override string NebulaLogs(HostModel model) => "Get-Service nebula and the Windows Event Log (or logs\\nebula.log with nssm)";

    protected override string HostPing(string target, int attempts, string loop) => Script("ping", new { Target = target, Attempts = attempts });

    protected override string ProbeScript(HostModel model, IReadOnlyList<ProbeTarget> fromHost, string wslScript, IReadOnlyList<string> names)
    {
        var probe = Script("probe", new
        {
            Targets = fromHost, WslScript = wslScript, Names = names,
            // sh -s: WSL2's part is read from wsl.exe's standard input (the probe writes it there), whatever its size.
            WslArguments = string.Join(' ', model.WslCommand.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Append("sh").Append("-s")),
        });
        return wslScript.Length > 0 ? AsWslOwner(model, probe) : probe;
    }
}
