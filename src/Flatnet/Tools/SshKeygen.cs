using Flatnet.Processes;

namespace Flatnet.Tools;

/// <summary>ssh-keygen, for the few SSH keys flatnet makes (the lab's, the admin interface's, the config check's).</summary>
public static class SshKeygen
{
    /// <summary>An unencrypted ed25519 key pair at <paramref name="path"/> (and path.pub).</summary>
    public static void Ed25519(string path, string comment) =>
        ProcessRunner.Run(ProcessRunner.OfWindows(@"OpenSSH\ssh-keygen.exe", ProcessRunner.OfSystem("ssh-keygen")), ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]).EnsureSuccess($"ssh-keygen ({comment})");
}
