using Flatnet.Inventory;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Flatnet.Transport;

/// <summary>
/// SSH via SSH.NET. The host key is checked against the inventory's pinned fingerprint (deploy.host_key) or,
/// when none is pinned, against ~/.ssh/known_hosts; an unknown key is refused, never trusted blindly.
/// </summary>
public sealed class SshConnection : IHostConnection
{
    private readonly SshClient _ssh;
    private readonly SftpClient _sftp;
    public string Describe { get; }

    private SshConnection(SshClient ssh, SftpClient sftp, string describe)
    {
        _ssh = ssh;
        _sftp = sftp;
        Describe = describe;
    }

    public static SshConnection Open(HostEntry host)
    {
        var d = host.Deploy;
        var user = d.User ?? Environment.UserName;
        var describe = $"{user}@{d.Address}:{d.Port} ({host.Name})";
        var identity = ExpandHome(d.Identity ?? "~/.ssh/id_ed25519");
        if (!File.Exists(identity))
            throw new FlatnetException($"no SSH key at {identity}", fix: "point deploy.identity at the private key whose public half is in the host's authorized_keys", file: host.File, field: "deploy.identity");
        PrivateKeyFile key;
        try
        {
            key = new PrivateKeyFile(identity);
        }
        catch (Exception e) when (e is SshException or InvalidOperationException or ArgumentException)
        {
            throw new FlatnetException($"{identity} is not a usable SSH private key ({e.Message})", fix: "use an unencrypted ed25519 or RSA key (ssh-keygen -t ed25519 -N '' -f FILE)", file: host.File, field: "deploy.identity", inner: e);
        }
        var info = new ConnectionInfo(d.Address!, d.Port, user, new PrivateKeyAuthenticationMethod(user, key))
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
        FlatnetException? refusal = null;
        void Check(object? _, HostKeyEventArgs e)
        {
            refusal = HostKeyRefusal(host, e);
            e.CanTrust = refusal is null;
        }
        var ssh = new SshClient(info);
        var sftp = new SftpClient(info);
        ssh.HostKeyReceived += Check;
        sftp.HostKeyReceived += Check;
        try
        {
            ssh.Connect();
            sftp.Connect();
        }
        catch (Exception e) when (e is SshException or System.Net.Sockets.SocketException or TimeoutException)
        {
            ssh.Dispose();
            sftp.Dispose();
            if (refusal is not null) throw refusal;
            var fix = e is SshAuthenticationException
                ? $"add the public key of {identity} to {user}'s authorized_keys on {host.Name}"
                : $"check that {host.Name} is on, reachable at {d.Address}:{d.Port}, and runs an SSH server";
            // Refused credentials stay refused until someone acts; anything else (off, asleep, no route) may pass.
            if (e is SshAuthenticationException)
                throw new FlatnetException($"cannot connect to {describe}: {e.Message}", fix, host.File, "deploy", inner: e);
            throw new HostUnreachable(host.Name, $"cannot connect to {describe}: {e.Message}", fix, host.File, "deploy", e);
        }
        return new SshConnection(ssh, sftp, describe);
    }

    private static FlatnetException? HostKeyRefusal(HostEntry host, HostKeyEventArgs e)
    {
        var seen = "SHA256:" + e.FingerPrintSHA256;
        if (!string.IsNullOrWhiteSpace(host.Deploy.HostKey))
        {
            var pinned = host.Deploy.HostKey.Trim();
            return pinned == seen ? null : new FlatnetException(file: host.File, field: "deploy.host_key", problem:
                $"{host.Name} presented host key {seen}, not the pinned {pinned}: refusing to connect (a different machine, or a reinstalled one)",
                fix: $"if {host.Name} was really reinstalled, check the key at its console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and pin the new one");
        }
        var knownHosts = ExpandHome("~/.ssh/known_hosts");
        var blob = Convert.ToBase64String(e.HostKey);
        var names = host.Deploy.Port == 22 ? new[] { host.Deploy.Address! } : [$"[{host.Deploy.Address}]:{host.Deploy.Port}"];
        if (File.Exists(knownHosts))
            foreach (var line in File.ReadLines(knownHosts))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 3 && parts[0].Split(',').Intersect(names).Any() && parts[2] == blob) return null;
            }
        return new FlatnetException(file: host.File, field: "deploy.host_key", problem:
            $"{host.Name}'s host key {seen} is neither pinned nor in {knownHosts}: refusing to trust it blindly",
            fix: $"pin it: host_key: \"{seen}\" (compare with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on {host.Name}), or add it to known_hosts");
    }

    public RemoteResult Run(string command, TimeSpan? timeout = null)
    {
        using var cmd = _ssh.CreateCommand(command);
        cmd.CommandTimeout = timeout ?? TimeSpan.FromMinutes(5);
        try
        {
            cmd.Execute();
        }
        catch (SshOperationTimeoutException)
        {
            throw new RemoteCommandFailed(Describe, $"{Describe}: `{command}` did not finish within {cmd.CommandTimeout.TotalSeconds:0} s", "", -1,
                "look at the host: a command that waits for input or a hung service stops here; run it by hand to see");
        }
        return new RemoteResult(command, cmd.ExitStatus ?? -1, cmd.Result, Clixml.Plain(cmd.Error));
    }

    public void Upload(string localDirectory, string remoteDirectory)
    {
        try
        {
            UploadTree(localDirectory, remoteDirectory);
        }
        catch (SshException e)
        {
            throw new RemoteCommandFailed(Describe, $"{Describe}: cannot write {remoteDirectory}: {e.Message}.", e.Message, -1,
                "check that the install root exists or can be made there, is writable for this user, and the disk has room; nothing was installed");
        }
    }

    private void UploadTree(string localDirectory, string remoteDirectory)
    {
        Mkdirs(remoteDirectory);
        foreach (var file in Directory.GetFiles(localDirectory))
        {
            var remote = remoteDirectory.TrimEnd('/') + "/" + Path.GetFileName(file);
            using (var stream = File.OpenRead(file)) _sftp.UploadFile(stream, remote, canOverride: true);
            // SSH.NET takes the mode as octal digits written in decimal (755 for rwxr-xr-x).
            if (!OperatingSystem.IsWindows()) _sftp.ChangePermissions(remote, short.Parse(Convert.ToString((int)File.GetUnixFileMode(file) & 0x1FF, 8)));
        }
        foreach (var dir in Directory.GetDirectories(localDirectory))
            UploadTree(dir, remoteDirectory.TrimEnd('/') + "/" + Path.GetFileName(dir));
    }

    public string ReadFile(string remotePath) => _sftp.Exists(remotePath) ? _sftp.ReadAllText(remotePath) : "";

    public LoopbackForward? ForwardLoopback(int remotePort)
    {
        var forward = new ForwardedPortLocal("127.0.0.1", 0, "127.0.0.1", (uint)remotePort);
        _ssh.AddForwardedPort(forward);
        forward.Start();
        return new LoopbackForward((int)forward.BoundPort, () =>
        {
            forward.Stop();
            _ssh.RemoveForwardedPort(forward);
            forward.Dispose();
        });
    }

    private void Mkdirs(string path)
    {
        var current = path.StartsWith('/') ? "" : ".";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current += "/" + part;
            if (!_sftp.Exists(current)) _sftp.CreateDirectory(current);
        }
    }

    private static string ExpandHome(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]) : path;

    public void Dispose()
    {
        _sftp.Dispose();
        _ssh.Dispose();
    }
}
