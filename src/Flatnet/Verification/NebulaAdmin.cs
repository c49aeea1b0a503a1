using Flatnet.Pki;
using Flatnet.Transport;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Flatnet.Verification;

/// <summary>
/// Nebula's admin interface on one host (the sshd section of its config, on the host's loopback), reached through a
/// port forwarded over the host's SSH connection. The inner connection authenticates with flatnet's admin key; its
/// server is the host's own loopback, reached through the already authenticated outer connection, so its (host-made)
/// key is taken as it is. Commands are Nebula's own (ssh.go): list-hostmap, close-tunnel, ...
/// </summary>
public static class NebulaAdmin
{
    /// <summary>Runs <paramref name="commands"/> in turn; their outputs, or null and why when the interface cannot be reached.</summary>
    public static (IReadOnlyList<string>? Outputs, string Why) Run(IHostConnection connection, AdminInterface admin, IReadOnlyList<string> commands)
    {
        LoopbackForward? forward;
        try
        {
            forward = connection.ForwardLoopback(admin.Port);
        }
        catch (Exception e) when (e is SshException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            return (null, $"could not forward a port to Nebula's admin interface ({e.Message})");
        }
        if (forward is null) return (null, "this transport cannot reach Nebula's admin interface");
        using (forward)
        {
            try
            {
                using var key = new PrivateKeyFile(admin.PrivateKeyPath);
                var info = new ConnectionInfo("127.0.0.1", forward.LocalPort, admin.User, new PrivateKeyAuthenticationMethod(admin.User, key))
                {
                    Timeout = TimeSpan.FromSeconds(5),
                };
                using var client = new SshClient(info);
                client.Connect();
                var outputs = new List<string>();
                foreach (var text in commands)
                {
                    using var command = client.CreateCommand(text);
                    command.CommandTimeout = TimeSpan.FromSeconds(10);
                    outputs.Add(command.Execute());
                }
                return (outputs, "");
            }
            catch (Exception e) when (e is SshException or System.Net.Sockets.SocketException or TimeoutException)
            {
                return (null, $"Nebula's admin interface did not answer ({e.Message})");
            }
        }
    }
}
