using System.Text.Json;
using Flatnet.Lab;
using Flatnet.Tools;
using static Flatnet.Tests.LabTests;

namespace Flatnet.Tests;

/// <summary>
/// Deploying many hosts, in the lab: Rollout's waves, a wave that breaks, and faults during a deploy that leave each
/// host as it was.
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class RolloutLabTests
{
    [Test]
    public void FaultsDuringDeployNameTheHostAndLeaveItAsItWas()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            DeployAll(lab, ws.Log);
            var hostFile = Path.Combine(lab.InventoryDirectory, "host-a.yaml");
            var original = File.ReadAllText(hostFile);
            var config = Path.Combine(lab.Directory, "host-a", "flatnet", "config", "nebula", "config.yaml");
            var liveConfig = File.ReadAllText(config);
            void Edit(string from, string to) => File.WriteAllText(hostFile, original.Replace(from, to));
            FlatnetException Deploy() => Assert.Catch<FlatnetException>(() => new ControlPlane(lab.Workspace, ws.Log).DeployHost("host-a"))!;
            void StillAsItWas(string fault)
            {
                Assert.That(File.ReadAllText(config), Is.EqualTo(liveConfig), $"{fault}: config changed");
                Assert.That(Reaches(lab, "host-a", "10.100.2.1"), Is.True, $"{fault}: host-a lost the mesh");
            }

            // Unreachable: an address on the lab's LAN that nobody has.
            var lan = lab.Wires.Lan;
            Edit($"address: {lan}.11", $"address: {lan}.99");
            var unreachable = Deploy();
            Assert.That(unreachable, Is.TypeOf<HostUnreachable>(), "an address nobody answers may answer later");
            Assert.That(unreachable.Message, Does.Contain($"host-a.yaml: deploy: cannot connect to root@{lan}.99:22 (host-a)").And.Contain("fix: check that host-a is on"));
            StillAsItWas("unreachable");

            // A key the host does not know.
            var stranger = Path.Combine(ws.Root, "stranger");
            ProcessRunner.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]).EnsureSuccess("ssh-keygen");
            Edit(Path.Combine(lab.Directory, "ssh", "id_ed25519"), stranger);
            Assert.That(Deploy().Message, Does.Contain($"cannot connect to root@{lan}.11:22 (host-a)").And.Contain($"add the public key of {stranger} to ~root/.ssh/authorized_keys on host-a"));
            StillAsItWas("wrong key");

            File.WriteAllText(hostFile, original);
            // Corrupted between packaging and the upload: refused here, before anything travels (install.sh's own
            // SHA256SUMS check stays behind it, for what changes on the way).
            new ControlPlane(lab.Workspace, ws.Log).PackageBundle("host-a");
            File.AppendAllText(Path.Combine(lab.Workspace.BundleDirectory("host-a"), "config.yaml"), "# tampered\n");
            var damaged = Deploy();
            Assert.That(damaged, Is.TypeOf<StateConflict>(), "refused on the build machine");
            Assert.That(damaged.Message, Does.Contain("is not the bundle flatnet built (config.yaml is not the file its manifest records); nothing was uploaded"));
            StillAsItWas("corrupt bundle");

            // An install root that cannot be written: a file stands where its folder would be.
            // As the refusal's fix says: the edited folder is the user's to move, or delete (battery 35: an edit is never overwritten).
            Directory.Delete(lab.Workspace.BundleDirectory("host-a"), recursive: true);
            File.Delete(Path.Combine(lab.Workspace.BundlePath("host-a")));
            new ControlPlane(lab.Workspace, ws.Log).PackageBundle("host-a"); // a good bundle again
            var blocked = Path.Combine(lab.Directory, "host-a", "blocked");
            File.WriteAllText(blocked, "a file, not a folder");
            File.WriteAllText(hostFile, original.Replace("root: " + Path.Combine(lab.Directory, "host-a", "flatnet"), "root: " + Path.Combine(blocked, "flatnet")));
            Assert.That(Deploy().Message, Does.Contain("(host-a): cannot write").And.Contain("nothing was installed"));
            StillAsItWas("unwritable root");
        });
    }

    [Test]
    public void RolloutGoesWaveByWave()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            var done = new ControlPlane(lab.Workspace, ws.Log).Rollout(waveSize: 2);
            Assert.That(done, Is.EqualTo(new[] { "host-a", "host-b", "host-c" }));
            Assert.That(ws.Log.Lines, Does.Contain("rollout: wave 1/2: host-a, host-b"));
            Assert.That(ws.Log.Lines, Has.Some.Match(@"^rollout: wave 2/2 verified \(3 of 3 hosts rolled out, \d+ s\)$"), "each wave says how far and how long");
            Assert.That(ws.Log.Lines.Count(l => l.StartsWith("ping matrix (", StringComparison.Ordinal)), Is.EqualTo(1), "one table, at the end; each wave says one line");

            // Nothing changed since: a second rollout touches no host, and says so.
            ws.Log.Lines.Clear();
            Assert.That(new ControlPlane(lab.Workspace, ws.Log).Rollout(waveSize: 2), Is.Empty);
            Assert.That(ws.Log.Lines, Has.Some.EqualTo("rollout: nothing to do: all 3 hosts run the bundle built for them now"));
            Assert.That(ws.Log.Lines, Has.None.Contains("deploying to"));
        });
    }

    [Test]
    public void ARolloutThatBreaksAWaveLeavesTheRestUntouched()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            // host-b's WSL2 is cut off: the wave that brings host-b in cannot complete.
            lab.Hosts.Single(h => h.Name == "host-b").WslNamespace.Run("ip", "link", "set", "eth0", "down");
            var e = Assert.Throws<FlatnetException>(() => new ControlPlane(lab.Workspace, ws.Log).Rollout(waveSize: 1))!;
            Assert.That(e.Message, Does.Contain("rollout stopped at wave 2/3 (host-b)").And.Contain("rolled out: host-a; failed in this wave: host-b; not touched: host-c"));
            Assert.That(Directory.Exists(Path.Combine(lab.Directory, "host-c", "flatnet", "config")), Is.False, "host-c was not touched");
            Assert.That(Reaches(lab, "host-a", "10.100.2.1"), Is.True, "the hosts rolled out stay as they are");
        });
    }
}
