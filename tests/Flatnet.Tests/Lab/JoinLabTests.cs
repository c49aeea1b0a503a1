using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>
/// A bare PC joins from its own console: host-c's namespace has no sshd running, no host key and no key authorized
/// (as a machine nobody prepared). Join writes its join.sh; run there as root it makes the host key, authorizes the
/// build machine's key, starts sshd and prints the reply; Join --reply pins the host key; AddHost then reaches it and
/// every host and WSL2 reaches every other. The lab's sshd_config stands in for the system's (FLATNET_SSHD_CONFIG).
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class JoinLabTests
{
    [Test]
    public void ALinuxHostNobodyPreparedJoinsWithItsJoinScriptAndAddHostReachesIt()
    {
        using var ws = new TestWorkspace();
        LabTests.InLab(ws, lab =>
        {
            LabTests.DeployAll(lab, ws.Log);
            var config = lab.Faults.MakeBare("host-c");
            lab.Enroll("host-c");
            var control = new ControlPlane(lab.Workspace, ws.Log);
            var script = control.Join("host-c").Script!;
            Assert.That(script, Does.EndWith("join/host-c/join.sh"));

            var host = lab.Hosts.Single(h => h.Name == "host-c");
            var check = host.Host.Run("env", $"FLATNET_SSHD_CONFIG={config}", "sh", script, "--check");
            Assert.That(check.StdOut, Does.Contain("missing  host key").And.Contain("missing  deploy key").And.Contain("done; nothing was changed"));
            Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(config)!, "ssh_host_ed25519_key")), Is.False, "--check changes nothing");

            var joined = host.Host.Run("env", $"FLATNET_SSHD_CONFIG={config}", "sh", script);
            var reply = joined.StdOut.Trim().Split('\n')[^1];
            Assert.That(reply, Does.StartWith($"flatnet-join host=host-c host_key=SHA256:").And.Contain($" address={host.Underlay} user=root"), joined.StdOut);
            var again = host.Host.Run("env", $"FLATNET_SSHD_CONFIG={config}", "sh", script);
            Assert.That(again.StdOut, Does.Not.Contain("done "), "a second run changes nothing");
            Assert.That(again.StdOut.Trim().Split('\n')[^1], Is.EqualTo(reply));

            Assert.That(control.JoinReply("host-c", reply).Pinned, Has.Some.StartWith("host key SHA256:"));
            var matrix = new ControlPlane(lab.Workspace, ws.Log).AddHost("host-c");
            Assert.That((matrix.Results.Count, matrix.Failures.Count), Is.EqualTo((18, 0)), matrix.ToTable());
        }, enrolled: ["host-a", "host-b"]);
    }
}
