namespace Flatnet.Transport;

/// <summary>
/// Where a host's OpenSSH server keeps what a person must look at when flatnet cannot log in: the file of keys
/// allowed to log in as a user, and the command that prints the server's own key fingerprint at its console. Each
/// platform says it for its OS (Windows' OpenSSH reads administrators_authorized_keys for an administrator).
/// </summary>
public sealed record SshServer(Func<string, string> AuthorizedKeys, string FingerprintCommand)
{
    public static readonly SshServer Posix = new(user => $"~{user}/.ssh/authorized_keys", "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub");
}
