using Flatnet.Inventory;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Flatnet.Transport;

/// <summary>
/// SSH via SSH.NET, reaching a host as the user's own ssh would (<see cref="SshTarget"/>: the inventory, then
/// ~/.ssh/config, then ssh's defaults; key files, then the ssh-agent's keys). The host key is checked against the
/// inventory's pinned fingerprint (deploy.host_key) or, when none is pinned, against known_hosts as ssh reads it
/// (<see cref="KnownHosts"/>); an unknown key is refused, never trusted blindly.
/// </summary>
public sealed class SshConnection : IHostConnection
{
    private readonly SshClient _ssh;
    private readonly SftpClient _sftp;
    public string Describe { get; }

    public string Home { get; }

    private SshConnection(SshClient ssh, SftpClient sftp, string describe)
    {
        _ssh = ssh;
        _sftp = sftp;
        Describe = describe;
        Home = sftp.WorkingDirectory; // SFTP starts in the account's home: realpath(".") as the server spells it (/C:/Users/NAME)
    }

    public static SshConnection Open(HostEntry host, SshServer? server = null) =>
        Open(host, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), SshAgent.FromEnvironment(), server);

    /// <param name="home">whose ~/.ssh (config, keys, known_hosts) is read.</param>
    /// <param name="agent">the ssh-agent whose keys are offered after the key files, as ssh does; null: none.</param>
    /// <param name="server">where the host's OpenSSH keeps its files, for the fixes (its platform says; default: a POSIX sshd).</param>
    public static SshConnection Open(HostEntry host, string home, SshAgent? agent, SshServer? server = null)
    {
        server ??= SshServer.Posix;
        var target = SshTarget.For(host, home);
        var user = target.User;
        var describe = $"{user}@{target.Address}:{target.Port} ({host.Name})";
        var keys = Keys(host, target, agent, out var identity);
        var info = new ConnectionInfo(target.Address, target.Port, user, new PrivateKeyAuthenticationMethod(user, [.. keys]))
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
        FlatnetException? refusal = null;
        void Check(object? _, HostKeyEventArgs e)
        {
            refusal = HostKeyRefusal(host, target, server, e);
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
                ? $"add the public key of {identity} to {server.AuthorizedKeys(user)} on {host.Name}"
                : $"check that {host.Name} is on, reachable at {target.Address}:{target.Port}, and runs an SSH server";
            // Refused credentials stay refused until someone acts; anything else (off, asleep, no route) may pass.
            if (e is SshAuthenticationException)
                throw new FlatnetException($"cannot connect to {describe}: {e.Message}", fix, host.File, "deploy", inner: e);
            throw new HostUnreachable(host.Name, $"cannot connect to {describe}: {e.Message}", fix, host.File, "deploy", e);
        }
        return new SshConnection(ssh, sftp, describe);
    }

    /// <summary>
    /// The keys offered, in ssh's order: the inventory's deploy.identity (which must load), else ~/.ssh/config's
    /// IdentityFile or ssh's default files, those that exist and load; then the agent's. None at all is an error that
    /// says what was tried.
    /// </summary>
    private static List<IPrivateKeySource> Keys(HostEntry host, SshTarget target, SshAgent? agent, out string identity)
    {
        var keys = new List<IPrivateKeySource>();
        var skipped = new List<string>();
        foreach (var file in target.Identities)
        {
            if (!File.Exists(file))
            {
                if (host.Deploy.Identity is not null)
                    throw new FlatnetException($"no SSH key at {file}", fix: "point deploy.identity at the private key whose public half is in the host's authorized_keys", file: host.File, field: "deploy.identity");
                continue;
            }
            try
            {
                keys.Add(new PrivateKeyFile(file));
            }
            catch (Exception e) when (e is SshException or InvalidOperationException or ArgumentException)
            {
                if (host.Deploy.Identity is not null)
                    throw new FlatnetException($"{file} is not a usable SSH private key ({e.Message})", fix: "use an unencrypted key (ssh-keygen -t ed25519 -N '' -f FILE), or leave deploy.identity out and load the key into ssh-agent", file: host.File, field: "deploy.identity", inner: e);
                skipped.Add($"{file} ({(e is SshPassPhraseNullOrEmptyException ? "has a passphrase" : e.Message)})");
            }
        }
        var fromAgent = agent?.Keys() ?? [];
        keys.AddRange(fromAgent);
        identity = keys.Count > fromAgent.Count ? string.Join(", ", target.Identities.Where(File.Exists)) : $"the ssh-agent's keys ({agent?.Endpoint})";
        if (keys.Count == 0)
            throw new FlatnetException($"no SSH key to offer {host.Name}: tried {string.Join(", ", target.Identities)}{(skipped.Count > 0 ? $"; could not use {string.Join(", ", skipped)}" : "")}; " +
                                       (agent is null ? "no ssh-agent (SSH_AUTH_SOCK is not set)" : $"the ssh-agent at {agent.Endpoint} holds no ed25519 or RSA key"),
                fix: "load your key into ssh-agent (ssh-add), or set deploy.identity to an unencrypted private key whose public half is in the host's authorized_keys",
                file: host.File, field: "deploy.identity");
        return keys;
    }

    private static FlatnetException? HostKeyRefusal(HostEntry host, SshTarget target, SshServer server, HostKeyEventArgs e)
    {
        var seen = "SHA256:" + e.FingerPrintSHA256;
        if (!string.IsNullOrWhiteSpace(host.Deploy.HostKey))
        {
            var pinned = host.Deploy.HostKey.Trim();
            return pinned == seen ? null : new FlatnetException(file: host.File, field: "deploy.host_key", problem:
                $"{host.Name} presented host key {seen}, not the pinned {pinned}: refusing to connect (a different machine, or a reinstalled one)",
                fix: $"if {host.Name} was really reinstalled, check the key at its console ({server.FingerprintCommand}) and pin the new one");
        }
        var files = target.KnownHosts;
        return KnownHosts.Check(files, target.Address, target.Port, e.HostKeyName, e.HostKey) switch
        {
            KnownHostVerdict.Known => null,
            KnownHostVerdict.Revoked => new FlatnetException(file: host.File, field: "deploy.host_key", problem:
                $"{host.Name}'s host key {seen} is marked @revoked in known_hosts: refusing to connect",
                fix: $"check the key at {host.Name}'s console ({server.FingerprintCommand}); if the machine was reinstalled, remove the @revoked line and pin the new key"),
            KnownHostVerdict.Changed => new FlatnetException(file: host.File, field: "deploy.host_key", problem:
                $"{host.Name} presented host key {seen}, but known_hosts has another {e.HostKeyName} key for {target.Address}: refusing to connect (someone may be in the middle, or the host was reinstalled)",
                fix: $"check the key at {host.Name}'s console ({server.FingerprintCommand}); if it is right, ssh-keygen -R {target.Address} and pin it: host_key: \"{seen}\""),
            _ => new FlatnetException(file: host.File, field: "deploy.host_key", problem:
                $"{host.Name}'s host key {seen} is neither pinned nor in {string.Join(", ", files.Where(File.Exists).DefaultIfEmpty(files[0]))}: refusing to trust it blindly",
                fix: $"pin it: host_key: \"{seen}\" (compare with {server.FingerprintCommand} at {host.Name}), or ssh to it once and accept the key"),
        };
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
        // A link in a folder bound for a host would carry whatever it points at (a key, a token): never sent.
        if (Directory.GetFileSystemEntries(localDirectory).FirstOrDefault(Files.TempFolders.IsLink) is { } link)
            throw new FlatnetException($"{Workspace.Relative(link)} is a link, not a file flatnet wrote: nothing more was sent to {Describe}", $"remove it (rm {Workspace.Relative(link)}) and run this again");
        foreach (var file in Directory.GetFiles(localDirectory))
        {
            var remote = remoteDirectory.TrimEnd('/') + "/" + Path.GetFileName(file);
            // The file's mode here (on a Windows build machine, which has none: the owner's alone), set on the file while
            // it is still empty: sftp-server creates a file 0666 less its umask, and host.key must never be readable.
            var mode = OperatingSystem.IsWindows() ? 600 : int.Parse(Convert.ToString((int)File.GetUnixFileMode(file) & 0x1FF, 8));
            using (var stream = File.OpenRead(file)) WriteWithMode(remote, stream, (short)mode);
        }
        foreach (var dir in Directory.GetDirectories(localDirectory))
            UploadTree(dir, remoteDirectory.TrimEnd('/') + "/" + Path.GetFileName(dir));
    }

    public string ReadFile(string remotePath) => _sftp.Exists(remotePath) ? _sftp.ReadAllText(remotePath) : "";

    public void WriteFile(string remotePath, byte[] content)
    {
        try
        {
            var folder = remotePath[..remotePath.LastIndexOf('/')];
            var made = !_sftp.Exists(folder);
            Mkdirs(folder);
            if (made) _sftp.ChangePermissions(folder, 700); // the account's own: no one else may list or replace what runs from here
            using (var stream = new MemoryStream(content)) WriteWithMode(remotePath, stream, 600);
        }
        catch (SshException e)
        {
            throw new RemoteCommandFailed(Describe, $"{Describe}: cannot write {remotePath}: {e.Message}.", e.Message, -1,
                "check that this account's home on the host exists, is its own and has room");
        }
    }

    /// <summary>Empty first, then <paramref name="mode"/> (octal digits as decimal: 600), then the content, which never has sftp-server's default mode (Windows': the root's ACL).</summary>
    private void WriteWithMode(string remotePath, Stream content, short mode)
    {
        _sftp.WriteAllBytes(remotePath, []);
        _sftp.ChangePermissions(remotePath, mode);
        _sftp.UploadFile(content, remotePath, canOverride: true);
    }

    public void DeleteFile(string remotePath)
    {
        if (_sftp.Exists(remotePath)) _sftp.DeleteFile(remotePath);
    }

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

    public void Dispose()
    {
        _sftp.Dispose();
        _ssh.Dispose();
    }
}
