using System.Net.Sockets;
using Flatnet.Tools;
using Flatnet.Processes;
using Flatnet.Files;

namespace Flatnet.Lab;

/// <summary>
/// The lab hosts' SSH servers: the way flatnet reaches them, as it reaches a Windows PC's OpenSSH. Each host's sshd
/// keeps its config, host key, pid and log in the host's lab folder; stopping and starting one stands in for a PC
/// that is off or unreachable.
/// </summary>
public sealed class LabSshd(string labDirectory)
{
    public string ClientFolder => Path.Combine(labDirectory, "ssh");
    public string ClientKey => Path.Combine(ClientFolder, "id_ed25519");

    /// <summary>The build machine's key pair, authorized on every lab host.</summary>
    public void MakeClientKey()
    {
        Directory.CreateDirectory(ClientFolder);
        SafeFiles.RestrictToOwner(ClientFolder);
        SshKeygen.Ed25519(ClientKey, "flatnet-lab");
        Directory.CreateDirectory("/run/sshd"); // sshd's privilege-separation folder
    }

    /// <summary>Configures and starts the host's sshd on <paramref name="listen"/>; returns its host key's SHA256 fingerprint (to pin).</summary>
    /// <param name="windows">a Windows stand-in's programs (<see cref="LabWindows.Prepare"/>): every command goes through its cmd.exe, as Windows' OpenSSH sends it to cmd.exe.</param>
    public string Start(LabHost host, string listen, string? windows = null)
    {
        var dir = Path.Combine(labDirectory, host.Name);
        // A Windows stand-in keeps its host key and the administrators' keys where Windows' OpenSSH does.
        if (windows is not null) _programData[host.Name] = Path.Combine(LabWindows.ProgramData(labDirectory, host.Name), "ssh");
        Directory.CreateDirectory(Path.GetDirectoryName(HostKey(host.Name))!);
        Directory.CreateDirectory(Path.Combine(dir, "etc"));
        Directory.CreateDirectory(Path.Combine(dir, "home"));
        Directory.CreateDirectory(Path.Combine(dir, "wsl-etc"));
        var hostKey = HostKey(host.Name);
        SshKeygen.Ed25519(hostKey, "flatnet-lab");
        // Each host's own authorized_keys (as each PC has its own), so one host can be made bare for Join.
        File.Copy(ClientKey + ".pub", AuthorizedKeys(host.Name), overwrite: true);
        // SetEnv makes this "machine" keep its persistent files (sysctl.d) in the lab folder, never in the real /etc,
        // and run nebula as a plain process (there is no systemd inside a namespace). HOME is the lab host's own, empty
        // folder: the shell sshd starts reads no rc file of the build machine's account (a slow or stuck ~/.bashrc).
        File.WriteAllText(Config(host.Name), ConfigText($"{listen}:22", hostKey, PidFile(host.Name), AuthorizedKeys(host.Name),
            $"FLATNET_ETC={Path.Combine(dir, "etc")} FLATNET_SERVICE=pidfile HOME={Path.Combine(dir, "home")} PATH={(windows is null ? "" : windows + ":")}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            windows is null ? null : Path.Combine(windows, "cmd.exe")));
        host.Host.Run(Sshd, "-t", "-f", Config(host.Name));
        Resume(host);
        var print = ProcessRunner.Run("ssh-keygen", ["-l", "-E", "sha256", "-f", hostKey + ".pub"]).EnsureSuccess("ssh-keygen -l");
        return print.StdOut.Split(' ')[1];
    }

    /// <summary>Stops the host's sshd, as if the PC were off: nothing can be deployed to it (its nebula keeps running).</summary>
    public void Stop(LabHost host)
    {
        var pid = File.ReadAllText(PidFile(host.Name)).Trim();
        host.Host.Run("kill", pid);
        for (var i = 0; i < 50 && host.Host.Try("kill", "-0", pid).Succeeded; i++) Thread.Sleep(100);
    }

    /// <summary>Starts a stopped sshd again with its own config and host key.</summary>
    public void Resume(LabHost host)
    {
        host.Host.Run(Sshd, "-f", Config(host.Name), "-E", Log(host.Name));
    }

    /// <summary>
    /// The host as a PC nobody prepared: its sshd stopped, no host key, no key authorized. Its sshd_config stays,
    /// for a join script to complete (FLATNET_SSHD_CONFIG), as an administrator completes the system's.
    /// </summary>
    public string MakeBare(LabHost host)
    {
        Stop(host);
        foreach (var f in new[] { HostKey(host.Name), HostKey(host.Name) + ".pub", AuthorizedKeys(host.Name) }) File.Delete(f);
        return Config(host.Name);
    }

    /// <summary>
    /// An sshd of the lab's own, root by key only, on <paramref name="listen"/> (ADDRESS:PORT), with its files where it
    /// is told and <paramref name="setEnv"/> as its sessions' environment: nothing of the system's sshd is read.
    /// </summary>
    /// <param name="shell">a program every command goes through (ForceCommand, the command in SSH_ORIGINAL_COMMAND), SFTP included.</param>
    public static string ConfigText(string listen, string hostKey, string pidFile, string authorizedKeys, string setEnv, string? shell = null) => $"""
        ListenAddress {listen}
        HostKey {hostKey}
        PidFile {pidFile}
        AuthorizedKeysFile {authorizedKeys}
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        Subsystem sftp {(shell is null ? "internal-sftp" : SftpServer)}
        SetEnv {setEnv}
        {(shell is null ? "" : "ForceCommand " + shell)}

        """;

    public string Config(string host) => Path.Combine(labDirectory, host, "sshd_config");
    private readonly Dictionary<string, string> _programData = [];
    private string HostKey(string host) => Path.Combine(_programData.GetValueOrDefault(host) ?? Path.Combine(labDirectory, host), "ssh_host_ed25519_key");
    private string AuthorizedKeys(string host) =>
        _programData.TryGetValue(host, out var ssh) ? Path.Combine(ssh, "administrators_authorized_keys") : Path.Combine(labDirectory, host, "authorized_keys");
    public string PidFile(string host) => Path.Combine(labDirectory, host, "sshd.pid");
    public string Log(string host) => Path.Combine(labDirectory, host, "sshd.log");
    public static string Sshd => LabPrerequisites.Which("sshd")!;
    /// <summary>OpenSSH's SFTP server as a program (a forced command cannot run the in-process one).</summary>
    private static string SftpServer => new[] { "/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server" }.FirstOrDefault(File.Exists)
        ?? throw new FlatnetException("lab: OpenSSH's sftp-server is not installed; the Windows stand-in needs it", fix: "apt-get install openssh-sftp-server");

    public static void WaitForPort(string address, int port, string what)
    {
        for (var i = 0; i < 50; i++)
        {
            try
            {
                using var client = new TcpClient();
                if (client.ConnectAsync(address, port).Wait(200) && client.Connected) return;
            }
            catch (AggregateException) { }
            Thread.Sleep(100);
        }
        throw new FlatnetException($"lab: {what} did not come up at {address}:{port}", fix: "look at the sshd.log in the host's lab folder");
    }
}
