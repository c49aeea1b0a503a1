using Flatnet.Lab;
using static Flatnet.Tests.LabTests;

namespace Flatnet.Tests;

/// <summary>
/// A lighthouse flatnet manages (managed: true): its namespace runs sshd like a host's, AddHost deploys it over SSH,
/// and every rollout reaches it before any peer, so a revoked host loses the lighthouse and its relay too.
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(10)]
public class ManagedLighthouseLabTests
{
    [Test]
    public void AManagedLighthouseIsDeployedFirstRelaysAndRefusesARevokedHost()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            var control = new ControlPlane(lab.Workspace, ws.Log);
            control.AddHost("lighthouse");
            var config = File.ReadAllText(Path.Combine(lab.Directory, "lighthouse", "flatnet", "config", "nebula", "config.yaml"));
            Assert.That(config, Does.Contain("  am_lighthouse: true").And.Contain("  am_relay: true"), "flatnet rendered and deployed it");
            Assert.That(lab.Lighthouses.Single().Namespace.Runs("nebula"), Is.True);

            // host-a and host-b sit behind symmetric NAT: only the lighthouse's relay joins them.
            var matrix = DeployAll(lab, ws.Log).VerifyPing();
            Assert.That(matrix.Failures, Is.Empty, matrix.ToTable());
            Assert.That(matrix.Results.Single(r => r.From == "host-a" && r.To == "host-b").Tunnel, Does.StartWith("relayed via 10.100.0.1"), matrix.ToTable());
            Assert.That(Report(lab), Does.Contain(Link("host-a", "host-b", "relayed")));
            // CheckLighthouse: reached by every host, relaying the pair, running the bundle (and blocklist) built for it.
            Assert.That(matrix.Lighthouses.Single(), Does.StartWith("lighthouse: reached by 3 of 3 hosts; relays ").And.Contain("host-a - host-b")
                .And.EndWith("runs the bundle built for it, so it refuses the 0 revoked certificate(s)"));

            // RevokeHost: the lighthouse is the first to get the blocklist; then host-b reaches nobody, not even through the relay.
            ws.Log.Lines.Clear();
            var fingerprint = new ControlPlane(lab.Workspace, ws.Log).RevokeHost("host-b");
            Assert.That(ws.Log.Lines, Has.Some.EqualTo("peers of host-b: updated lighthouse, host-a, host-c"));
            Assert.That(ws.Log.Lines, Has.None.Contains("the lighthouse must refuse it too"), "nothing is left for a person to do");
            Assert.That(File.ReadAllText(Path.Combine(lab.Directory, "lighthouse", "flatnet", "config", "nebula", "config.yaml")), Does.Contain($"    - \"{fingerprint}\""));
            Assert.That(Reaches(lab, "host-b", "10.100.0.1"), Is.False, "host-b -> the lighthouse");
            Assert.That(Reaches(lab, "host-b", "10.100.1.1"), Is.False, "host-b -> host-a, through the relay");
            Assert.That(Reaches(lab, "host-b", "10.100.3.1"), Is.False, "host-b -> host-c");
            var others = new ControlPlane(lab.Workspace, ws.Log).VerifyPing();
            Assert.That(others.Failures, Is.Empty, others.ToTable());
            Assert.That(others.Lighthouses.Single(), Does.StartWith("lighthouse: reached by 2 of 2 hosts;")
                .And.EndWith("runs the bundle built for it, so it refuses the 1 revoked certificate(s)"));
        }, nat: new Dictionary<string, LabNat> { ["host-a"] = LabNat.Symmetric, ["host-b"] = LabNat.Symmetric }, managedLighthouses: true);
    }
}
