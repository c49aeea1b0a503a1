using System.Text;
using Flatnet.Inventory;
using Flatnet.Rendering;
using Flatnet.Processes;

namespace Flatnet.Transport;

/// <summary>Where a WinRM session goes: the host's listener, the account, and the pinned certificate (null: plain HTTP).</summary>
public sealed record WinRmTarget(string Address, int Port, string User, string? CertificateSha256);

/// <summary>
/// The PowerShell remoting scripts WinRM deployment runs on the build machine: templates/remote/winrm/, each opening
/// the session (session.ps1.scriban) and doing one thing with it. The password comes from the environment
/// (<see cref="PasswordVariable"/>), never from a file in the repository.
/// </summary>
public sealed class WinRmScripts(TemplateRenderer templates)
{
    public const string PasswordVariable = "FLATNET_WINRM_PASSWORD";

    /// <summary>Runs a command line on the host and passes its output and exit code back.</summary>
    public string Run(WinRmTarget target, string commandLine) => templates.Render("remote/winrm/run.ps1.scriban", new { Target = target, CommandLine = commandLine });

    /// <summary>Copies a local folder's contents into a folder on the host, creating it.</summary>
    public string Upload(WinRmTarget target, string localDirectory, string remoteDirectory) =>
        templates.Render("remote/winrm/upload.ps1.scriban", new { Target = target, Local = localDirectory, Remote = remoteDirectory });

    public string ReadFile(WinRmTarget target, string remotePath) => templates.Render("remote/winrm/read-file.ps1.scriban", new { Target = target, Path = remotePath });

    /// <summary>Prints the account's profile folder on the host.</summary>
    public string Home(WinRmTarget target) => templates.Render("remote/winrm/home.ps1.scriban", new { Target = target });

    public string DeleteFile(WinRmTarget target, string remotePath) => templates.Render("remote/winrm/delete-file.ps1.scriban", new { Target = target, Path = remotePath });
}

/// <summary>
/// WinRM (PowerShell remoting) to a Windows host. It runs Windows PowerShell as a process rather than hosting
/// System.Management.Automation: the hosted 7.x runtime has no remoting cmdlets without Microsoft.PowerShell.SDK
/// (not on our package source), and WinRM's client exists only on Windows anyway. From Linux, use SSH.
/// </summary>
public sealed class WinRmConnection : IHostConnection
{
    private readonly WinRmTarget _target;
    private readonly WinRmScripts _scripts;
    public string Describe { get; }

    private WinRmConnection(HostEntry host, string user, WinRmScripts scripts)
    {
        _target = new WinRmTarget(host.Deploy.Address!, host.Deploy.Port, user, host.Deploy.WinRmHttp ? null : host.Deploy.WinRmCertificate);
        _scripts = scripts;
        Describe = $"winrm{(host.Deploy.WinRmHttp ? " (http)" : "s")} {user}@{host.Deploy.Address}:{host.Deploy.Port} ({host.Name})";
    }

    public static WinRmConnection Open(HostEntry host, TemplateRenderer templates)
    {
        if (!OperatingSystem.IsWindows())
            throw new FlatnetException("winrm needs a Windows build machine: PowerShell's WinRM client is Windows-only", fix: "run the build on Windows (.\\build.ps1), or use transport: ssh with Windows' built-in OpenSSH Server", file: host.File, field: "deploy.transport");
        var user = host.Deploy.User ?? throw new FlatnetException("winrm needs a user", fix: "set deploy.user (e.g. HOST\\\\Administrator)", file: host.File, field: "deploy.user");
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WinRmScripts.PasswordVariable)))
            throw new FlatnetException($"no password for {user}", fix: $"set the environment variable {WinRmScripts.PasswordVariable} for this run (never write it into hosts/)", file: host.File, field: "deploy");
        return new WinRmConnection(host, user, new WinRmScripts(templates));
    }

    /// <summary>WinRM carries no TCP forwarding; VerifyPing then cannot read this host's live tunnel state.</summary>
    public LoopbackForward? ForwardLoopback(int remotePort) => null;

    public RemoteResult Run(string command, TimeSpan? timeout = null)
    {
        var r = PowerShell(_scripts.Run(_target, command), timeout);
        return new RemoteResult(command, r.ExitCode, r.StdOut, Clixml.Plain(r.StdErr));
    }

    public void Upload(string localDirectory, string remoteDirectory) =>
        PowerShell(_scripts.Upload(_target, localDirectory, remoteDirectory.TrimStart('/')))
            .EnsureSuccess($"copying the bundle to {Describe}");

    public string ReadFile(string remotePath) =>
        PowerShell(_scripts.ReadFile(_target, remotePath.TrimStart('/'))).StdOut;

    private string? _home;

    /// <summary>The profile folder, asked once, in the file side's spelling (/C:/Users/NAME).</summary>
    public string Home => _home ??= "/" + PowerShell(_scripts.Home(_target)).EnsureSuccess($"asking {Describe} for its profile folder").StdOut.Trim().Replace('\\', '/');

    /// <summary>Through the folder copy: the file alone in a folder of its own here, copied into its folder there.</summary>
    public void WriteFile(string remotePath, byte[] content)
    {
        var local = Files.TempFolders.CreateInSystemTemp("flatnet-winrm-", Environment.CurrentDirectory);
        try
        {
            var slash = remotePath.LastIndexOf('/');
            File.WriteAllBytes(Path.Combine(local, remotePath[(slash + 1)..]), content);
            Upload(local, remotePath[..slash]);
        }
        finally
        {
            Directory.Delete(local, recursive: true);
        }
    }

    public void DeleteFile(string remotePath) =>
        PowerShell(_scripts.DeleteFile(_target, remotePath.TrimStart('/'))).EnsureSuccess($"removing {remotePath} on {Describe}");

    private static ProcessResult PowerShell(string script, TimeSpan? timeout = null)
    {
        var encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
        return ProcessRunner.Run(ProcessRunner.OfWindows(@"WindowsPowerShell\v1.0\powershell.exe", "powershell.exe"), ["-NoProfile", "-NonInteractive", "-EncodedCommand", encoded], timeout: timeout);
    }

    public void Dispose() { }
}
