using Flatnet.Verification;
using System.Text.Json;
using Flatnet.Lab;
using Flatnet.Tools;
using static Flatnet.Tests.LabTests;

namespace Flatnet.Tests;

/// <summary>
/// The lighthouse as the mesh lives with it, in the lab (LabTests.InLab): tunnels outlive it, a host joins when it is
/// back, and with two lighthouses the mesh forms while either is down.
/// Its own fixture, so it runs beside the other labs (each has namespaces of its own).
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(12)]
public class LighthouseLabTests
{
    [Test]
    public void TunnelsOutliveTheLighthouseAndANewHostJoinsWhenItIsBack()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            DeployAll(lab, ws.Log);

            lab.StopLighthouse("lighthouse");
            var withoutLighthouse = new ControlPlane(lab.Workspace, ws.Log).VerifyPing();
            Assert.That((withoutLighthouse.Results.Count, withoutLighthouse.Failures.Count), Is.EqualTo((6, 0)), "existing tunnels keep working");

            lab.StartLighthouse("lighthouse");
            lab.Enroll("host-c");
            var joined = new ControlPlane(lab.Workspace, ws.Log).AddHost("host-c");
            Assert.That((joined.Results.Count, joined.Failures.Count), Is.EqualTo((18, 0)), joined.ToTable());
        }, enrolled: ["host-a", "host-b"]);
    }

    [Test]
    public void WithTwoLighthousesTheMeshFormsWhileEitherIsDown()
    {
        using var ws = new TestWorkspace();
        File.WriteAllText(ws.HostsFile("network.yaml"), File.ReadAllText(ws.HostsFile("network.yaml")).Replace(
            "    endpoints: [\"198.18.0.1:4242\"]\n", "    endpoints: [\"198.18.0.1:4242\"]\n  - name: lighthouse-2\n    overlay_ip: 10.100.0.2\n    endpoints: [\"198.18.0.2:4242\"]\n"));
        InLab(ws, lab =>
        {
            Assert.That(lab.Lighthouses.Select(l => (l.Name, l.Underlay)), Is.EqualTo(new[] { ("lighthouse", $"{lab.Wires.Lan}.1"), ("lighthouse-2", $"{lab.Wires.Lan}.2") }));

            lab.StopLighthouse("lighthouse");
            var control = DeployAll(lab, ws.Log); // the mesh forms through lighthouse-2 alone
            Assert.That(File.ReadAllText(Path.Combine(lab.Directory, "host-a", "flatnet", "config", "nebula", "config.yaml")),
                Does.Contain($"\"10.100.0.2\": [\"{lab.Wires.Lan}.2:4242\"]"));

            lab.StartLighthouse("lighthouse");
            lab.StopLighthouse("lighthouse-2");
            foreach (var host in lab.Hosts)
            {
                host.Host.KillAll("nebula"); // every host starts over: new tunnels, found through the first lighthouse alone
                control.DeployHost(host.Name);
            }
            var matrix = new ControlPlane(lab.Workspace, ws.Log).VerifyPing();
            Assert.That((matrix.Results.Count, matrix.Failures.Count), Is.EqualTo((18, 0)), matrix.ToTable());
        });
    }
}
