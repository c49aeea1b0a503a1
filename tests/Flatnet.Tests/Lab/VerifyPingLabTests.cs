using Flatnet.Verification;
using System.Text.Json;
using Flatnet.Lab;
using Flatnet.Tools;
using static Flatnet.Tests.LabTests;

namespace Flatnet.Tests;

/// <summary>
/// What VerifyPing says when the mesh is not whole, in the lab (LabTests.InLab): whose Nebula is down, no host reaching the
/// lighthouse, a lighthouse that does not relay for hosts with no direct path.
/// Its own fixture, so it runs beside the other labs (each has namespaces of its own).
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(11)]
public class VerifyPingLabTests
{
    [Test]
    public void VerifyPingSaysWhoseNebulaIsDownAndWhenNoHostReachesTheLighthouse()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-c.yaml", "wsl:", "wsl: false"); // host-c has no WSL2: no namespace, no rows, no routes to it
        InLab(ws, lab =>
        {
            Assert.That(lab.Hosts.Single(h => h.Name == "host-c").Wsl, Is.Null);
            var control = DeployAll(lab, ws.Log);
            var matrix = control.VerifyPing();
            Assert.That((matrix.Results.Count, matrix.Failures.Count), Is.EqualTo((12, 0)), matrix.ToTable());
            Assert.That(matrix.Results.Select(r => r.From).Concat(matrix.Results.Select(r => r.To)), Has.None.EqualTo("host-c/wsl"));
            var a = lab.Hosts.Single(h => h.Name == "host-a");
            Assert.That(a.Host.Run("ip", "-4", "route").StdOut + a.WslNamespace.Run("ip", "-4", "route").StdOut, Does.Not.Contain("10.101.3."),
                "nobody routes to a block host-c does not have");

            // Status: every host reachable and running, and the tunnels the pings made, direct.
            var status = new ControlPlane(lab.Workspace, ws.Log).Status();
            Assert.That(status.Select(s => (s.Host, s.Reachable)), Is.EqualTo(new[] { ("host-a", true), ("host-b", true), ("host-c", true) }));
            Assert.That(status, Has.All.Property("Service").EqualTo("running"));
            Assert.That(status.Select(s => s.Routing), Is.EqualTo(new[] { "ok", "ok", "-" }), "host-c has no WSL2 to route to");
            Assert.That(status.Single(s => s.Host == "host-a").Tunnels["host-b"], Does.StartWith($"direct {lab.Wires.Lan}.12:"));
            Assert.That(status.Single(s => s.Host == "host-a").CertificateDaysLeft, Is.InRange(360, 366));
            Assert.That(status.Single(s => s.Host == "host-a").LastHandshakes["host-b"], Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(5)),
                "the last handshake, from host-a's Nebula log");
            Assert.That(ws.Log.Lines, Has.Some.Match(@"\n  host-a\s+ok\s+1\.\d+\.\d+\s.*\s3 direct, 0 relayed, 0 idle, 0 down\n"), "one line per host, its peers summed up");
            Assert.That(ws.Log.Lines, Has.Some.Contains("3 of 3 host(s) healthy"));
            // The metrics for the office's monitoring: promtool reads them, and --metrics=FILE puts them where a textfile collector looks.
            var textfile = Path.Combine(Directory.CreateDirectory(Path.Combine(ws.Root, "textfile")).FullName, "flatnet.prom");
            new ControlPlane(new FlatnetContext(lab.Workspace, ws.Log) { Arguments = TaskArguments.Of(("metrics", textfile)) }).Run(new StatusTask());
            var metrics = File.ReadAllText(textfile);
            var promtool = global::Flatnet.Processes.ProcessRunner.Run(global::Flatnet.Lab.LabPrerequisites.Which("promtool") ?? "promtool", ["check", "metrics"], stdin: metrics);
            Assert.That(promtool.ExitCode, Is.Zero, promtool.StdOut + promtool.StdErr);
            Assert.That(metrics, Does.Contain("flatnet_nebula_running{host=\"host-c\"} 1\n").And.Contain("flatnet_tunnels{host=\"host-a\",kind=\"direct\"} 3\n"));
            Assert.That(File.ReadAllText(Path.Combine(lab.Workspace.ArtifactsDirectory, "verify", "status.prom")), Does.Contain("flatnet_hosts_healthy 3\n"));
            // --json: one document, its time first, to where build.sh takes stdout from; the task passes (all healthy).
            var jsonTo = Path.Combine(ws.Root, "status-stdout.json");
            new ControlPlane(new FlatnetContext(lab.Workspace, ws.Log) { Arguments = TaskArguments.Of(("json", "true")), JsonTo = jsonTo }).Run(new StatusTask());
            using (var printed = JsonDocument.Parse(File.ReadAllText(jsonTo)))
            {
                Assert.That(printed.RootElement.GetProperty("generated_at").GetString(), Does.EndWith("Z"));
                Assert.That((printed.RootElement.GetProperty("healthy").GetInt32(), printed.RootElement.GetProperty("hosts").GetArrayLength()), Is.EqualTo((3, 3)));
                Assert.That(printed.RootElement.GetProperty("ca").GetProperty("days_left").GetInt32(), Is.GreaterThan(300), "days as a number");
                var toB = printed.RootElement.GetProperty("hosts")[0].GetProperty("tunnels").EnumerateArray().Single(t => t.GetProperty("peer").GetString() == "host-b");
                Assert.That((toB.GetProperty("kind").GetString(), toB.GetProperty("endpoint").GetString()), Is.EqualTo(("direct", $"{lab.Wires.Lan}.12:4242")));
            }
            // --host: that host alone (its peers still all listed), and a mistyped name gets the nearest.
            new ControlPlane(new FlatnetContext(lab.Workspace, ws.Log) { Arguments = TaskArguments.Of(("host", "host-b"), ("json", "true")), JsonTo = jsonTo }).Run(new StatusTask());
            using (var printed = JsonDocument.Parse(File.ReadAllText(jsonTo)))
                Assert.That(printed.RootElement.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("host").GetString()), Is.EqualTo(new[] { "host-b" }));
            using (var kept = JsonDocument.Parse(File.ReadAllText(Path.Combine(lab.Workspace.ArtifactsDirectory, "verify", "status.json"))))
                Assert.That(kept.RootElement.GetProperty("hosts").GetArrayLength(), Is.EqualTo(3), "status.json keeps the whole mesh");
            Assert.That(Assert.Throws<FlatnetException>(() => new ControlPlane(new FlatnetContext(lab.Workspace, ws.Log) { Arguments = TaskArguments.Of(("host", "host-bb")) }).Run(new StatusTask()))!.Message,
                Does.Contain("host-b"));
            Assert.That(Report(lab), Does.Contain("measured by Status at").And.Contain(Link("host-a", "host-b", "direct")).And.Contain(Link("host-a", "lighthouse", "direct")));

            // The doctor of a healthy host: every check ok, the WSL ones included (host-c has none to check).
            var healthy = new ControlPlane(lab.Workspace, ws.Log).Doctor("host-a");
            Assert.That(healthy.Select(f => f.Check), Is.EqualTo(new[]
                { "root", "nebula-version", "nebula-running", "adapter", "lighthouse", "names", "direct-paths", "forwarding", "route", "source-nat", "wsl-ping", "wsl-mtu" }));
            Assert.That(healthy, Has.All.Property("Status").EqualTo("ok"), string.Join("\n", healthy));
            Assert.That(new ControlPlane(lab.Workspace, ws.Log).Doctor("host-c").Select(f => f.Check), Has.None.StartWith("wsl"));

            // The lighthouse goes down: tunnels carry on, and the report says why new ones would not form.
            lab.StopLighthouse("lighthouse");
            var withoutLighthouse = new ControlPlane(lab.Workspace, ws.Log).VerifyPing();
            Assert.That(withoutLighthouse.Failures, Is.Empty, withoutLighthouse.ToTable());
            Assert.That(withoutLighthouse.Diagnoses, Has.One.StartWith(
                "lighthouse (10.100.0.1) unreachable from every host - new tunnels cannot form; existing ones keep working"));
            Assert.That(withoutLighthouse.ToTable(), Does.Contain("unreachable from every host"));
            lab.StartLighthouse("lighthouse");

            // host-b's nebula dies: the report says so, and no failed row claims a tunnel.
            lab.Hosts.Single(h => h.Name == "host-b").Host.KillAll("nebula");
            var e = Assert.Throws<VerificationFailed>(() => new ControlPlane(lab.Workspace, ws.Log).VerifyPing())!;
            Assert.That(e.Message, Does.Contain("host-b: nebula is not running (pid file stale: process"));
            Assert.That(e.Message, Does.Contain("every ping from or to host-b fails").And.Contain("fix: look at").And.Contain("--target=DeployHost --host=host-b"));
            var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(lab.Workspace.ArtifactsDirectory, "verify", "ping-matrix.json"))).RootElement;
            var rows = json.GetProperty("results").EnumerateArray().ToList();
            var failedTunnels = rows.Where(r => !r.GetProperty("ok").GetBoolean()).Select(r => r.GetProperty("tunnel").GetString()).ToList();
            Assert.That(failedTunnels, Has.Count.EqualTo(9), "every ping from or to host-b");
            Assert.That(failedTunnels, Has.All.EqualTo("-"), "a failed pair never shows a tunnel");
            Assert.That(json.GetProperty("diagnoses").EnumerateArray().Select(d => d.GetString()), Has.Some.StartWith("host-b: nebula is not running"));

            // Status shows it in host-b's row, and host-b's peers have no tunnel to it (the pings above failed).
            var down = new ControlPlane(lab.Workspace, ws.Log).Status();
            Assert.That(down.Single(s => s.Host == "host-b").Service, Does.StartWith("not running (pid file stale"));
            Assert.That(down.Single(s => s.Host == "host-b").Tunnels.Values, Has.All.EqualTo("-"));
            var unhealthy = Assert.Throws<FlatnetException>(() => new ControlPlane(lab.Workspace, ws.Log).Run(new StatusTask()))!;
            Assert.That(unhealthy.Message, Does.StartWith("1 of 3 host(s) unhealthy: host-b: nebula is not running"), "Status's exit code says a host is down");
            Assert.That(ws.Log.Lines, Has.Some.Match(@"fix: \./build\.sh --target=Doctor( --(inventory|artifacts)=\S+)* --host=host-b"), "the table above the failure has the fix (with the lab's folders); the failure does not repeat it");
            Assert.That(Report(lab), Does.Contain(Link("host-a", "host-b", "down")).And.Contain(Link("host-b", "host-c", "down")).And.Contain(Link("host-a", "host-c", "direct")));

            // Its doctor names the cause first, with what to do.
            var sick = Assert.Throws<FlatnetException>(() => new ControlPlane(lab.Workspace, ws.Log).Doctor("host-b"))!;
            Assert.That(sick.Problem, Does.StartWith("host-b: ").And.Contain("checks failed: nebula-running, adapter"));
            Assert.That(sick.Fix, Does.StartWith("start with the first, nebula-running: look at"));
            Assert.That(File.Exists(Path.Combine(lab.Workspace.ArtifactsDirectory, "verify", "doctor-host-b.json")), Is.True);
        });
    }

    [Test]
    public void WhenTheLighthouseDoesNotRelayVerifyPingSaysSoForHostsWithNoDirectPath()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            var control = new ControlPlane(lab.Workspace, ws.Log);
            foreach (var host in control.Context.Plan.Hosts.Select(h => h.Name)) control.Provision(host);
            var e = Assert.Throws<VerificationFailed>(() => control.VerifyPing())!;
            // The path is the workspace's artifacts folder, as the user would type it (here the test's own, absolute).
            Assert.That(e.Message, Does.Contain("host-a: no direct path to host-b and the lighthouse does not relay - set relay.am_relay: true on lighthouse (see ")
                .And.Contain("artifacts/lighthouses/lighthouse/config.yaml)"));
            // (host-c, on the LAN, may or may not get through to a symmetric-NAT host without a relay: that depends on
            // who sends first, so nothing is asserted about it.)
            Assert.That(File.ReadAllText(Path.Combine(lab.Workspace.ArtifactsDirectory, "lighthouses", "lighthouse", "config.yaml")), Does.Contain("  am_relay: true"),
                "the config the diagnosis points at is there, and says what the lighthouse needs");
        }, nat: new Dictionary<string, LabNat> { ["host-a"] = LabNat.Symmetric, ["host-b"] = LabNat.Symmetric }, lighthousesRelay: false);
    }
}
