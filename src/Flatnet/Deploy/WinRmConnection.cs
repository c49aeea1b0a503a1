using System.Text;
using Flatnet.Inventory;
using Flatnet.Tools;

namespace Flatnet.Deploy;

/// <summary>
/// The PowerShell remoting scripts WinRM deployment runs, built in one place so they can be read and tested.
/// The password comes from the environment (FLATNET_WINRM_PASSWORD), never from a file in the repository.
/// </summary>
public static class WinRmScripts
{
    public const string PasswordVariable = "FLATNET_WINRM_PASSWORD";

    private static string Q(string s) => Rendering.TemplateRenderer.PsQuote(s);

    /// <summary>
    /// Opens $s, a session to the host; every script starts with this. Over HTTPS (the default) the listener's
    /// certificate is checked against the pinned SHA-256 first, in a TLS handshake of its own, and the session then
    /// skips only the CA and name checks a self-signed listener certificate would fail. Over HTTP nothing proves
    /// who answers: the inventory must ask for it (deploy.winrm_http), and the plan warns.
    /// </summary>
    public static string Session(WinRmTarget target) =>
        "$ErrorActionPreference = 'Stop'\n" +
        (target.CertificateSha256 is { } pin
            ? $"$tcp = New-Object System.Net.Sockets.TcpClient({Q(target.Address)}, {target.Port})\n" +
              "$seen = @{}\n" +
              "$tls = New-Object System.Net.Security.SslStream($tcp.GetStream(), $false, [System.Net.Security.RemoteCertificateValidationCallback]{ param($sender, $certificate, $chain, $errors) $seen.Certificate = $certificate; $true })\n" +
              $"$tls.AuthenticateAsClient({Q(target.Address)})\n" +
              "$hash = -join ([System.Security.Cryptography.SHA256]::Create().ComputeHash($seen.Certificate.GetRawCertData()) | ForEach-Object { $_.ToString('x2') })\n" +
              "$tls.Dispose(); $tcp.Dispose()\n" +
              $"if ($hash -ne {Q(pin)}) {{ throw \"{target.Address}:{target.Port} presented certificate $hash, not the pinned {pin}: refusing to connect\" }}\n"
            : "") +
        $"$password = ConvertTo-SecureString -AsPlainText -Force -String $env:{PasswordVariable}\n" +
        $"$credential = New-Object System.Management.Automation.PSCredential({Q(target.User)}, $password)\n" +
        (target.CertificateSha256 is null
            ? $"$s = New-PSSession -ComputerName {Q(target.Address)} -Port {target.Port} -Credential $credential\n"
            : $"$s = New-PSSession -ComputerName {Q(target.Address)} -Port {target.Port} -UseSSL -SessionOption (New-PSSessionOption -SkipCACheck -SkipCNCheck) -Credential $credential\n");

    /// <summary>Runs a command line on the host and passes its output and exit code back. flatnet's command lines are
    /// `powershell.exe ... -EncodedCommand BASE64`, which cmd.exe passes on unchanged.</summary>
    public static string Run(WinRmTarget target, string commandLine) =>
        Session(target) +
        $"$r = Invoke-Command -Session $s -ArgumentList {Q(commandLine)} -ScriptBlock {{ param($line) $out = cmd.exe /c $line 2>&1; @{{ Out = ($out | Out-String); Code = $LASTEXITCODE }} }}\n" +
        "Remove-PSSession $s\n" +
        "Write-Output $r.Out\n" +
        "exit $r.Code\n";

    /// <summary>Copies a local folder's contents into a folder on the host, creating it.</summary>
    public static string Upload(WinRmTarget target, string localDirectory, string remoteDirectory) =>
        Session(target) +
        $"Invoke-Command -Session $s -ArgumentList {Q(remoteDirectory)} -ScriptBlock {{ param($d) New-Item -ItemType Directory -Force -Path $d | Out-Null }}\n" +
        $"Copy-Item -ToSession $s -Path (Join-Path {Q(localDirectory)} '*') -Destination {Q(remoteDirectory)} -Recurse -Force\n" +
        "Remove-PSSession $s\n";

    public static string ReadFile(WinRmTarget target, string remotePath) =>
        Session(target) +
        $"Invoke-Command -Session $s -ArgumentList {Q(remotePath)} -ScriptBlock {{ param($p) if (Test-Path -LiteralPath $p) {{ Get-Content -Raw -LiteralPath $p }} }}\n" +
        "Remove-PSSession $s\n";
}

/// <summary>Where a WinRM session goes: the host's listener, the account, and the pinned certificate (null: plain HTTP).</summary>
public sealed record WinRmTarget(string Address, int Port, string User, string? CertificateSha256);

/// <summary>
/// WinRM (PowerShell remoting) to a Windows host. It runs Windows PowerShell as a process rather than hosting
/// System.Management.Automation: the hosted 7.x runtime has no remoting cmdlets without Microsoft.PowerShell.SDK
/// (not on our package source), and WinRM's client exists only on Windows anyway. From Linux, use SSH.
/// </summary>
public sealed class WinRmConnection : IHostConnection
{
    private readonly WinRmTarget _target;
    public string Describe { get; }

    private WinRmConnection(HostEntry host, string user)
    {
        _target = new WinRmTarget(host.Deploy.Address!, host.Deploy.Port, user, host.Deploy.WinRmHttp ? null : host.Deploy.WinRmCertificate);
        Describe = $"winrm{(host.Deploy.WinRmHttp ? " (http)" : "s")} {user}@{host.Deploy.Address}:{host.Deploy.Port} ({host.Name})";
    }

    public static WinRmConnection Open(HostEntry host)
    {
        if (!OperatingSystem.IsWindows())
            throw new FlatnetException("winrm needs a Windows build machine: PowerShell's WinRM client is Windows-only", fix: "run the build on Windows (.\\build.ps1), or use transport: ssh with Windows' built-in OpenSSH Server", file: host.File, field: "deploy.transport");
        var user = host.Deploy.User ?? throw new FlatnetException("winrm needs a user", fix: "set deploy.user (e.g. HOST\\\\Administrator)", file: host.File, field: "deploy.user");
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WinRmScripts.PasswordVariable)))
            throw new FlatnetException($"no password for {user}", fix: $"set the environment variable {WinRmScripts.PasswordVariable} for this run (never write it into hosts/)", file: host.File, field: "deploy");
        return new WinRmConnection(host, user);
    }

    /// <summary>WinRM carries no TCP forwarding; VerifyPing then cannot read this host's live tunnel state.</summary>
    public LoopbackForward? ForwardLoopback(int remotePort) => null;

    public RemoteResult Run(string command, TimeSpan? timeout = null)
    {
        var r = PowerShell(WinRmScripts.Run(_target, command), timeout);
        return new RemoteResult(command, r.ExitCode, r.StdOut, r.StdErr);
    }

    public void Upload(string localDirectory, string remoteDirectory) =>
        PowerShell(WinRmScripts.Upload(_target, localDirectory, remoteDirectory.TrimStart('/')))
            .EnsureSuccess($"copying the bundle to {Describe}");

    public string ReadFile(string remotePath) =>
        PowerShell(WinRmScripts.ReadFile(_target, remotePath.TrimStart('/'))).StdOut;

    private static ProcessResult PowerShell(string script, TimeSpan? timeout = null)
    {
        var encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
        return ProcessRunner.Run("powershell.exe", ["-NoProfile", "-NonInteractive", "-EncodedCommand", encoded], timeout: timeout);
    }

    public void Dispose() { }
}
