using System.Text.Json;
using Flatnet.Lab;
using Flatnet.Tools;
using static Flatnet.Tests.LabTests;

namespace Flatnet.Tests;

/// <summary>
/// Taking a host out, in the lab: RevokeHost (its certificate refused everywhere, also by a peer that was away) and
/// RemoveHost (Nebula and routing gone from it, no route to its block left anywhere).
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(1)]
public class RevocationLabTests
{
    [Test]
    public void ARevokedHostReachesNobodyAndTheOthersCarryOn()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            DeployAll(lab, ws.Log);
            var fingerprint = new ControlPlane(lab.Workspace, ws.Log).RevokeHost("host-b");

            Assert.That(File.ReadAllText(Path.Combine(lab.InventoryDirectory, "blocklist.txt")), Does.Contain($"{fingerprint}  host-b  "));
            Assert.That(File.ReadAllText(Path.Combine(lab.Directory, "host-a", "flatnet", "config", "nebula", "config.yaml")), Does.Contain($"    - \"{fingerprint}\""));
            Assert.That(Reaches(lab, "host-b", "10.100.1.1"), Is.False, "host-b -> host-a");
            Assert.That(Reaches(lab, "host-b", "10.100.3.1"), Is.False, "host-b -> host-c");
            Assert.That(Reaches(lab, "host-a", "10.100.2.1"), Is.False, "host-a -> host-b");
            var others = new ControlPlane(lab.Workspace, ws.Log).VerifyPing();
            Assert.That(others.Results.Select(r => r.From.Split('/')[0]).Distinct(), Is.EquivalentTo(new[] { "host-a", "host-c" }), "revoked hosts are left out");
            Assert.That((others.Results.Count, others.Failures.Count), Is.EqualTo((6, 0)));
            Assert.That(ws.Log.Lines, Has.Some.Contains("the lighthouse must refuse it too"));
            Assert.That(others.Lighthouses.Single(), Does.StartWith("lighthouse: reached by 2 of 2 hosts;")
                .And.Contain("not flatnet's: it refuses the 1 revoked certificate(s) only if its pki.blocklist lists them (see "), "CheckLighthouse says what it cannot prove");
        });
    }

    [Test]
    public void RemoveHostTakesAHostOutAndNoRouteToItsBlockRemainsAnywhere()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            DeployAll(lab, ws.Log);
            var b = lab.Hosts.Single(h => h.Name == "host-b");
            var outcome = new ControlPlane(lab.Workspace, ws.Log).RemoveHost("host-b");

            Assert.That((outcome.Uninstalled, outcome.InventoryDeleted), Is.EqualTo((true, false)));
            Assert.That(outcome.Peers!.Updated, Is.EquivalentTo(new[] { "host-a", "host-c" }), "their configs and WSL2 routes drop host-b's block");
            Assert.That(ws.Log.Lines, Has.Some.EqualTo("host-b: gone from the mesh: no host reaches 10.100.2.1; the other 2 reach each other (6 pings)"),
                string.Join("\n", ws.Log.Lines.TakeLast(30)));
            Assert.That(b.Host.Runs("nebula"), Is.False, "host-b's nebula is stopped");
            Assert.That(Directory.Exists(Path.Combine(lab.Directory, "host-b", "flatnet", "config", "nebula")), Is.False, "its key and config are gone");
            Assert.That(Reaches(lab, "host-a", "10.100.2.1"), Is.False, "host-a -> host-b");
            var namespaces = lab.Hosts.SelectMany(h => new[] { h.Host, h.Wsl }).OfType<NetworkNamespace>().Concat(lab.Lighthouses.Select(l => l.Namespace));
            foreach (var ns in namespaces)
                Assert.That(ns.Run("ip", "-4", "route", "show", "table", "all").StdOut, Does.Not.Contain("10.101.2."), $"a route to host-b's block in {ns.Name}");
            Assert.That(b.WslNamespace.Run("ip", "-4", "addr").StdOut, Does.Not.Contain("10.101.2.1"), "host-b's WSL2 gave its stable address back");
            Assert.That(File.ReadAllText(Path.Combine(lab.Directory, "host-b", "wsl-etc", "wsl.conf")), Does.Not.Contain("wsl-routing.sh"));
            Assert.That(File.Exists(Path.Combine(lab.InventoryDirectory, "host-b.yaml")), Is.True, "the inventory file stays unless asked");

            // Again, now deleting the inventory file: nothing left to do on any host.
            ws.Log.Lines.Clear();
            new ControlPlane(lab.Workspace, ws.Log).RemoveHost("host-b", deleteInventory: true);
            Assert.That(ws.Log.Lines, Has.Some.EqualTo("peers of host-b: all up to date"));
            Assert.That(ws.Log.Lines, Has.Some.EqualTo("host-b: nothing to remove: flatnet's Nebula is not installed on host-b"));
            Assert.That(File.Exists(Path.Combine(lab.InventoryDirectory, "host-b.yaml")), Is.False);
            Assert.That(Directory.Exists(lab.Workspace.HostDirectory("host-b")), Is.False, "its key, certificate and bundle went with it");

            ws.Log.Lines.Clear();
            new ControlPlane(lab.Workspace, ws.Log).RemoveHost("host-b");
            Assert.That(ws.Log.Lines, Is.EqualTo(new[] { "host-b: not in the inventory, and its certificate is on the blocklist: already removed, nothing to do" }));
        });
    }

    [Test]
    public void ARevocationReachesAPeerThatWasUnreachableWhenRevokeHostIsRunAgain()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            DeployAll(lab, ws.Log);
            lab.Faults.StopSsh("host-a"); // host-a is off the admin's network; its nebula runs on

            var first = Assert.Throws<PendingHosts>(() => new ControlPlane(lab.Workspace, ws.Log).RevokeHost("host-c"))!;
            Assert.That(first.Problem, Does.StartWith("the revocation of host-c is recorded; rolled out to 1 of 2 peers; pending: host-a (cannot connect to"));
            Assert.That(first.Fix, Does.Contain("re-run ./build.sh --target=RevokeHost --host=host-c"));
            Assert.That(Reaches(lab, "host-c", "10.100.1.1"), Is.True, "host-a has not got the blocklist, so it still accepts host-c");
            Assert.That(Reaches(lab, "host-c", "10.100.2.1"), Is.False, "host-b has it");

            lab.Faults.StartSsh("host-a");
            ws.Log.Lines.Clear();
            new ControlPlane(lab.Workspace, ws.Log).RevokeHost("host-c");
            Assert.That(ws.Log.Lines, Has.Some.Contains("is already revoked; making sure every peer has it"));
            Assert.That(ws.Log.Lines, Has.Some.EqualTo("peers of host-c: updated host-a; already current host-b"));
            Assert.That(Reaches(lab, "host-c", "10.100.1.1"), Is.False, "host-a refuses host-c now");

            ws.Log.Lines.Clear();
            new ControlPlane(lab.Workspace, ws.Log).RevokeHost("host-c");
            Assert.That(ws.Log.Lines, Has.Some.EqualTo("peers of host-c: all up to date"), "a third run has nothing left to do");
        });
    }
}
