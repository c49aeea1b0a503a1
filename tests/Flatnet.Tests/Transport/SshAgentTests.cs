using System.Net;
using System.Net.Sockets;
using Flatnet.Lab;
using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>
/// A key held by ssh-agent logs flatnet in as it logs ssh in: a real ssh-agent holds the only key the server accepts,
/// the user's ~/.ssh/config names the port and account, and known_hosts knows the server by a hashed name.
/// The server is a throw-away sshd of the test's own on 127.0.0.1; nothing else is contacted.
/// </summary>
[Category("Lab")] // it runs sshd, which the lab's prerequisites install, as root
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class SshAgentTests
{
    [Test]
    public void AKeyInTheAgentLogsInWithTheUsersConfigAndHashedKnownHosts()
    {
        var dir = Directory.CreateTempSubdirectory("flatnet-agent-").FullName;
        string? agentPid = null, sshdPid = null;
        try
        {
            Directory.CreateDirectory("/run/sshd");
            var port = FreePort();
            SshKeygen.Ed25519(Path.Combine(dir, "hostkey"), "test-host");
            SshKeygen.Ed25519(Path.Combine(dir, "client"), "test-client");
            File.Copy(Path.Combine(dir, "client.pub"), Path.Combine(dir, "authorized_keys"));
            File.WriteAllText(Path.Combine(dir, "sshd_config"),
                LabSshd.ConfigText($"127.0.0.1:{port}", $"{dir}/hostkey", $"{dir}/sshd.pid", $"{dir}/authorized_keys", $"HOME={dir}"));
            var sshd = LabPrerequisites.Which("sshd") ?? throw new InvalidOperationException("no sshd: the lab's prerequisites install openssh-server");
            ProcessRunner.Run(sshd, ["-f", Path.Combine(dir, "sshd_config"), "-E", Path.Combine(dir, "sshd.log")]).EnsureSuccess("sshd");
            // sshd writes its pid file once it is in the background: a moment after the command returns (and a file
            // read the moment it is made can still be empty: such an sshd outlived the test).
            for (var i = 0; i < 50 && Pid(dir) is null; i++) Thread.Sleep(100);
            sshdPid = Pid(dir) ?? throw new InvalidOperationException("sshd wrote no pid file: " + File.ReadAllText(Path.Combine(dir, "sshd.log")));

            // The agent holds the client key; the key file itself is then removed, so only the agent can sign.
            var socket = Path.Combine(dir, "agent.sock");
            var started = ProcessRunner.Run("ssh-agent", ["-a", socket]).EnsureSuccess("ssh-agent").StdOut;
            agentPid = System.Text.RegularExpressions.Regex.Match(started, @"SSH_AGENT_PID=(\d+)").Groups[1].Value;
            ProcessRunner.Run("env", [$"SSH_AUTH_SOCK={socket}", "ssh-add", Path.Combine(dir, "client")]).EnsureSuccess("ssh-add");
            File.Delete(Path.Combine(dir, "client"));

            // The user's home: a config that gives port and account, known_hosts hashed.
            var home = Path.Combine(dir, "home");
            Directory.CreateDirectory(Path.Combine(home, ".ssh"));
            File.WriteAllText(Path.Combine(home, ".ssh", "config"), $"Host 127.0.0.1\n  Port {port}\n  User root\n");
            var hostPub = File.ReadAllText(Path.Combine(dir, "hostkey.pub")).Split(' ');
            File.WriteAllText(Path.Combine(home, ".ssh", "known_hosts"), $"[127.0.0.1]:{port} {hostPub[0]} {hostPub[1]}\n");
            ProcessRunner.Run("ssh-keygen", ["-H", "-f", Path.Combine(home, ".ssh", "known_hosts")]).EnsureSuccess("ssh-keygen -H");

            using var ws = new TestWorkspace();
            ws.Write("host-d.yaml", "name: host-d\nindex: 4\nos: linux\nwsl: false\ndeploy:\n  transport: ssh\n  address: 127.0.0.1\n");
            var host = ws.ControlPlane().Context.Plan.Host("host-d").Host;
            var agent = new SshAgent(socket);
            Assert.That(agent.Keys(), Has.Count.EqualTo(1));
            using var connection = SshConnection.Open(host, home, agent);
            Assert.That(connection.Describe, Is.EqualTo($"root@127.0.0.1:{port} (host-d)"));
            Assert.That(connection.Run("echo reached").StdOut.Trim(), Is.EqualTo("reached"));

            // Without the agent there is no key to offer, and the error says what was tried.
            var e = Assert.Throws<FlatnetException>(() => SshConnection.Open(host, home, null))!;
            Assert.That(e.Message, Does.Contain("host-d.yaml: deploy.identity: no SSH key to offer host-d: tried ").And.Contain("id_ed25519").And.Contain("no ssh-agent"));
        }
        finally
        {
            // An sshd that started but failed the test before its pid was read is ended too, by its pid file.
            for (var i = 0; sshdPid is null && i < 50 && File.Exists(Path.Combine(dir, "sshd.log")); i++, Thread.Sleep(100)) sshdPid = Pid(dir);
            foreach (var pid in new[] { agentPid, sshdPid }.Where(p => !string.IsNullOrEmpty(p))) ProcessRunner.Run("kill", [pid!]);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The pid sshd wrote, once the whole number is there.</summary>
    private static string? Pid(string dir) =>
        File.Exists(Path.Combine(dir, "sshd.pid")) && File.ReadAllText(Path.Combine(dir, "sshd.pid")).Trim() is var pid && int.TryParse(pid, out _) ? pid : null;

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
