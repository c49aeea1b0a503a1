using Flatnet.Verification;
using System.Text.Json;
using Flatnet.Lab;
using Flatnet.Tools;

namespace Flatnet.Tests;

/// <summary>
/// The real thing, in network namespaces: lighthouse, three hosts with sshd, their WSL2 behind NAT, real nebula.
/// Needs root (CI runs as root); without it these fail with the reason, they do not skip.
/// </summary>
[Category("Lab")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class LabTests
{
    [Test]
    public void ThreeHostsJoinOneByOneAndEveryHostAndWslReachesEveryOther()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-b.yaml", "keygen_on_host:", "  keygen_on_host: true"); // host-b's private key never leaves it
        PingMatrix matrix;
        List<string> firstRun;
        var lab = Path.Combine(ws.Root, "artifacts", "lab");
        string? labId = null;
        try
        {
            (matrix, labId) = LabRunner.Run(ws.Workspace, ws.Log, keep: true, installPackages: false);

            // Names: every host and WSL2 by name, from every host and WSL2 (the namespaces resolve with their own hosts files).
            Assert.That((matrix.Names.Count, matrix.NameFailures), Is.EqualTo((30, Array.Empty<NameCheck>())), "5 names from each of 3 hosts and 3 WSL2s");
            foreach (var (ns, name) in new[] { ("w1", "host-c-wsl"), ("h2", "host-a-wsl"), ("w3", "host-b"), ("h1", "host-c") })
            {
                var ping = ProcessRunner.Run("ip", ["netns", "exec", $"fn-{labId}-{ns}", "ping", "-c", "1", "-W", "3", name]);
                Assert.That(ping.ExitCode, Is.EqualTo(0), $"ping {name} from {ns}: {ping.StdOut}{ping.StdErr}");
            }
            Assert.That(File.ReadAllText(Path.Combine(lab, "host-a", "etc", "hosts")), Does.EndWith(LabEtc.LinuxHosts).And.StartWith("# BEGIN flatnet names"), "the user's own lines stay as they were, after flatnet's block");
            Assert.That(File.ReadAllText(Path.Combine(lab, "host-a", "wsl-etc", "hosts")), Does.EndWith(LabEtc.LinuxHosts).And.Contain("10.101.3.1 host-c-wsl"));

            // Running AddHost again on the finished mesh changes nothing anywhere.
            firstRun = ws.Log.Lines.ToList();
            ws.Log.Lines.Clear();
            var again = new ControlPlane(ws.Workspace with { InventoryDirectory = Path.Combine(lab, "hosts"), ArtifactsDirectory = Path.Combine(lab, "artifacts") }, ws.Log).AddHost("host-b");
            Assert.That(again.Failures, Is.Empty);
            Assert.That(ws.Log.Lines, Does.Contain("host-b: unchanged: host-b already has this bundle"));
            Assert.That(ws.Log.Lines, Does.Contain("host-b: unchanged: WSL2 routing for host-b was already in place"));
            Assert.That(ws.Log.Lines, Does.Contain("host-b: unchanged: host routing for host-b was already in place"));
            Assert.That(ws.Log.Lines, Does.Contain("peers of host-b: all up to date"));
            Assert.That(ws.Log.Lines, Has.None.Contains(": signed ").And.None.Contains(": set: ").And.None.Contains("installed: config"));
        }
        finally
        {
            if (labId is not null) LabNetwork.Remove(labId); // a kept lab stays until asked
            LabChecks.AssertNothingLeft(lab, labId);
        }

        Assert.That(matrix.Results, Has.Count.EqualTo(18));
        Assert.That(matrix.Failures, Is.Empty, matrix.ToTable());
        foreach (var (from, to) in new[] { ("host-a", "host-b"), ("host-a/wsl", "host-c"), ("host-c/wsl", "host-b/wsl"), ("host-b", "host-c") })
            Assert.That(matrix.Results.Single(r => r.From == from && r.To == to).Ok, Is.True, $"{from} -> {to}");
        Assert.That(matrix.Results.Where(r => r.From.StartsWith("host-a") && r.To.StartsWith("host-b")).Select(r => r.Tunnel),
            Has.All.Match(@"^direct 198\.18\.\d+\.12:4242$"), "hosts on one LAN talk directly, not through the relay\n" + matrix.ToTable());

        // host-c joined a running two-host mesh: AddHost redeployed the others with its block, nobody by hand.
        Assert.That(firstRun, Does.Contain("peers of host-b: updated host-a"));
        Assert.That(firstRun, Does.Contain("peers of host-c: updated host-a, host-b"));
        Assert.That(firstRun, Has.Some.Contains("host-a: set: route 10.101.0.0/16 via"), "host-a's WSL2 routes the whole pool through Windows");
        Assert.That(firstRun.Where(l => !l.StartsWith("host-c: ")), Has.None.Contains("route 10.101.3.0/24"),
            "so host-c's block needs no route inside the others' WSL2s (host-c itself routes its block to its own WSL2)");
        Assert.That(firstRun, Does.Contain("host-b: key pair made on the host; fetched only its public key"));

        // keygen_on_host: the key was made on host-b; its bundle carries none, and the mesh works with it.
        using (var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(lab, "artifacts", "bundles", "host-b.zip")))
            Assert.That(zip.Entries.Select(e => e.FullName), Has.None.EndsWith(".key"));
        Assert.That(File.Exists(Path.Combine(lab, "host-b", "flatnet", "config", "nebula", "host.key")), Is.True);

        // The JSON report says what the table says.
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(lab, "artifacts", "verify", "ping-matrix.json"))).RootElement;
        Assert.That((json.GetProperty("passed").GetInt32(), json.GetProperty("failed").GetInt32()), Is.EqualTo((18, 0)));
        var rows = json.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("from").GetString(), r.GetProperty("to").GetString(), r.GetProperty("ok").GetBoolean())).ToList();
        Assert.That(rows, Is.EqualTo(matrix.Results.Select(r => ((string?)r.From, (string?)r.To, r.Ok)).ToList()));
        Assert.That(matrix.ToTable(), Does.EndWith("18 of 18 pairs reach each other\n  names: 30 of 30 resolve"));
    }

    [Test]
    public void AHostSignedByAnotherCaIsRefusedAndTheRestOfTheMeshCarriesOn()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            var control = DeployAll(lab, ws.Log);

            // The lab's hosts run commands for the lab alone: the shell sshd starts there has a home of its own, so no
            // rc file of this machine's account (a slow or stuck ~/.bashrc) is read.
            using (var hostA = new FlatnetContext(lab.Workspace, ws.Log))
                Assert.That(hostA.Connection(hostA.Plan.Host("host-a")).Run("printf %s \"$HOME\"").StdOut, Is.EqualTo(Path.Combine(lab.Directory, "host-a", "home")));

            // host-c gets a certificate from a CA of its own: a stranger with a plausible name and IP.
            var pki = Path.Combine(lab.Directory, "pki");
            Directory.Move(pki, pki + ".real");
            var rogue = new ControlPlane(lab.Workspace, ws.Log);
            rogue.InitCa();
            rogue.GenerateCert("host-c", force: true);
            rogue.PackageBundle("host-c");
            rogue.DeployHost("host-c");
            Directory.Delete(pki, recursive: true);
            Directory.Move(pki + ".real", pki);

            var checker = new ControlPlane(lab.Workspace, ws.Log);
            var e = Assert.Throws<VerificationFailed>(() => checker.VerifyPing())!;
            Assert.That(e.Message, Does.Contain("host-c -> host-a").And.Contain("host-a -> host-c").And.Contain("pings failed"));
            Assert.That(e.Message, Does.Not.Contain("host-a -> host-b").And.Not.Contain("host-b -> host-a"));
            var survivors = new ControlPlane(lab.Workspace, ws.Log).VerifyPing(["host-a", "host-b"]);
            Assert.That((survivors.Results.Count, survivors.Failures.Count), Is.EqualTo((6, 0)));
        });
    }

    /// <summary>Builds a lab for one test, hands it over, and proves afterwards that nothing of it is left.</summary>
    internal static void InLab(TestWorkspace ws, Action<LabNetwork> body, IEnumerable<string>? enrolled = null,
        IReadOnlyDictionary<string, LabNat>? nat = null, bool lighthousesRelay = true, bool managedLighthouses = false, IReadOnlyCollection<string>? windows = null)
    {
        LabPrerequisites.Ensure(ws.Log, install: false);
        string? labId = null;
        try
        {
            using var lab = LabNetwork.Build(ws.Workspace, Path.Combine(ws.Root, "lab"), ws.Log,
                new LabOptions
                {
                    Enrolled = enrolled, Nat = nat ?? new Dictionary<string, LabNat>(), LighthousesRelay = lighthousesRelay,
                    ManagedLighthouses = managedLighthouses, Windows = windows ?? [],
                });
            labId = lab.Id;
            try
            {
                body(lab);
            }
            catch
            {
                // What the run said before it failed (a host's own output is "above" in its message): CI keeps only this.
                TestContext.Out.WriteLine("the lab's last lines:\n" + string.Join("\n", ws.Log.Lines.TakeLast(60)));
                throw;
            }
        }
        finally
        {
            LabChecks.AssertNothingLeft(Path.Combine(ws.Root, "lab"), labId);
        }
    }

    /// <summary>Deploys every enrolled host and checks the mesh, the way the scenario tests start.</summary>
    internal static ControlPlane DeployAll(LabNetwork lab, IReporter log)
    {
        var control = new ControlPlane(lab.Workspace, log);
        foreach (var host in control.Context.Plan.Hosts.Select(h => h.Name)) control.Provision(host);
        Assert.That(control.VerifyPing().Failures, Is.Empty);
        return control;
    }

    internal static bool Reaches(LabNetwork lab, string from, string target) =>
        lab.Hosts.Single(h => h.Name == from).Host.Try("ping", "-c", "1", "-W", "1", target).ExitCode == 0
        || lab.Hosts.Single(h => h.Name == from).Host.Try("ping", "-c", "2", "-W", "2", target).ExitCode == 0;

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
            Assert.That(ws.Log.Lines, Has.Some.Contains("fix: ./build.sh --target=Doctor --host=host-b"), "the table above the failure has the fix; the failure does not repeat it");
            Assert.That(Report(lab), Does.Contain(Link("host-a", "host-b", "down")).And.Contain(Link("host-b", "host-c", "down")).And.Contain(Link("host-a", "host-c", "direct")));

            // Its doctor names the cause first, with what to do.
            var sick = Assert.Throws<FlatnetException>(() => new ControlPlane(lab.Workspace, ws.Log).Doctor("host-b"))!;
            Assert.That(sick.Problem, Does.StartWith("host-b: ").And.Contain("checks failed: nebula-running, adapter"));
            Assert.That(sick.Fix, Does.StartWith("start with the first, nebula-running: look at"));
            Assert.That(File.Exists(Path.Combine(lab.Workspace.ArtifactsDirectory, "verify", "doctor-host-b.json")), Is.True);
        });
    }

    /// <summary>The report.html the last VerifyPing or Status wrote, and how it draws one link.</summary>
    internal static string Report(LabNetwork lab) => File.ReadAllText(Path.Combine(lab.Workspace.ArtifactsDirectory, "verify", "report.html"));
    internal static string Link(string from, string to, string state) => $"data-from=\"{from}\" data-to=\"{to}\" data-state=\"{state}\"";

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

    [Test]
    public void WhenWslRestartsWithANewAddressTheRouteFollowsIt()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            DeployAll(lab, ws.Log);
            Assert.That(ws.Log.Lines, Has.Some.StartsWith("host-a: watching: every 5s"));
            var a = lab.Hosts.Single(h => h.Name == "host-a");

            // WSL2 restarts: a new VM with a new MAC and address; the old route's next hop now answers nobody.
            var started = System.Diagnostics.Stopwatch.StartNew();
            lab.Faults.RestartWsl("host-a", 7);

            // host-a's watcher moves the route; then host-b reaches host-a's WSL2 again.
            var deadline = TimeSpan.FromSeconds(30);
            var b = lab.Hosts.Single(h => h.Name == "host-b");
            while (!a.Host.Run("ip", "-4", "route", "show", "exact", "10.101.1.0/24").StdOut.Contains($"via {LabTopology.WslNetwork}.7 ")
                   || b.Host.Try("ping", "-c", "1", "-W", "1", "10.101.1.1").ExitCode != 0)
            {
                Assert.That(started.Elapsed, Is.LessThan(deadline), "host-a's route never followed WSL2 to its new address");
                Thread.Sleep(100);
            }
            TestContext.Out.WriteLine($"WSL2 address change repaired in {started.Elapsed.TotalSeconds:0.0} s (watch interval 5 s)");

            Assert.That(a.Host.Run("ip", "-4", "route", "show", "exact", "10.101.1.0/24").StdOut, Does.Contain($"via {LabTopology.WslNetwork}.7"));
            // The watcher logs a pass once the pass is over, a moment after its route changed: read until it has.
            var log = Path.Combine(lab.Directory, "host-a", "flatnet", "logs", "routing.log");
            var logged = $"set: route 10.101.1.0/24 via {LabTopology.WslNetwork}.7 (was: 10.101.1.0/24 via {LabTopology.WslNetwork}.2";
            for (var i = 0; i < 50 && !File.ReadAllText(log).Contains(logged); i++) Thread.Sleep(100);
            Assert.That(File.ReadAllText(log), Does.Contain(logged));
            Assert.That(new ControlPlane(lab.Workspace, ws.Log).VerifyPing().Failures, Is.Empty);
        });
    }

    // Cone NAT: hole punching works; with relays off (use_relays: false) the tunnel is direct, through both NATs. With
    // relays on, Nebula's relay wins the first handshake (DirectPaths says why, from Nebula's source); VerifyPing asks
    // the relayed tunnel to handshake again, and it ends direct.
    // Symmetric NAT: punching cannot work; the lighthouse relays, and every ping still passes.
    [TestCase(LabNat.Cone, false, "direct LAN.1")] // LAN: the lab's own, 198.18.N
    [TestCase(LabNat.Cone, true, "direct LAN.1")]
    [TestCase(LabNat.Symmetric, true, "relayed via 10.100.0.1")]
    public void BehindNatRoutersHostsPunchThroughOrRelay(LabNat kind, bool useRelays, string tunnel)
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "use_relays:", $"use_relays: {useRelays.ToString().ToLowerInvariant()}");
        InLab(ws, lab =>
        {
            tunnel = tunnel.Replace("LAN", lab.Wires.Lan);
            var matrix = DeployAll(lab, ws.Log).VerifyPing();
            Assert.That((matrix.Results.Count, matrix.Failures.Count), Is.EqualTo((18, 0)), matrix.ToTable());
            TestContext.Out.WriteLine(matrix.ToTable());
            foreach (var r in matrix.Results.Where(r => r.From.StartsWith("host-a") && r.To.StartsWith("host-b") || r.From.StartsWith("host-b") && r.To.StartsWith("host-a")))
                Assert.That(r.Tunnel, Does.StartWith(tunnel), $"{r.From} -> {r.To}");
            Assert.That(Report(lab), Does.Contain("measured by VerifyPing at").And.Contain(Link("host-a", "host-b", kind == LabNat.Cone ? "direct" : "relayed")));
            if (kind == LabNat.Symmetric) // VerifyPing says what a relayed tunnel costs, as a note, not a failure
            {
                Assert.That(matrix.Notes, Has.Some.Match("host-a - host-b.* relayed through lighthouse: it works, but every byte crosses lighthouse; " +
                                                         "a direct handshake was tried again and did not get through"));
                Assert.That(matrix.ToTable(), Does.Contain("\n  note: "), "the table marks a note as one");
            }
            else
            {
                Assert.That(matrix.Notes, Has.None.Contain("relayed through"), matrix.ToTable());
            }
            // Status, read from the live daemons, sees the same tunnel.
            var status = new ControlPlane(lab.Workspace, ws.Log).Status();
            Assert.That(status.Single(s => s.Host == "host-a").Tunnels["host-b"], Does.StartWith(tunnel));
            if (kind == LabNat.Cone)
                Assert.That(matrix.Results.Where(r => r.To.StartsWith("host-b")).Select(r => r.Tunnel), Has.None.Contains("100.64."),
                    "host-b is reached at its router's address, never its inside one: the packets really crossed both NATs");
            if (kind == LabNat.Cone && useRelays) AfterEveryNebulaRestartsTheTunnelsGoDirectByThemselves(lab);
        }, nat: new Dictionary<string, LabNat> { ["host-a"] = kind, ["host-b"] = kind });
    }

    // Direct by itself: every host's Nebula restarts and the NAT routers forget their mappings (as after a power cut),
    // the hosts' own traffic follows (the LAN host reaching out first, as an office server would), and no flatnet
    // command runs. Each host's watcher (scripts/direct-paths.sh, started by its install) finds its relayed tunnels
    // and gets them direct: the cone-NAT pair (host-a - host-b) and the NAT-to-LAN pair (host-a - host-c), within
    // 60 s (the watcher looks every 30 s), read on the hosts themselves.
    private static void AfterEveryNebulaRestartsTheTunnelsGoDirectByThemselves(LabNetwork lab)
    {
        var direct = new DirectByItself(lab);
        var restarted = direct.PowerCut([("host-b", "host-a"), ("host-c", "host-a"), ("host-c", "host-b")]);
        var watch = direct.UntilDirect(restarted, [("host-a", "host-b"), ("host-a", "host-c")], TimeSpan.FromSeconds(60));
        TestContext.Out.WriteLine(watch);
        Assert.That(watch.AllDirect, $"both pairs direct on both ends within 60 s: {watch}");
        Assert.That(watch.CameUpRelayed, $"the tunnels came up relayed, as after a real power cut: {watch}");
        Assert.That(direct.Moved("host-a", "host-b") && direct.Moved("host-a", "host-c"), $"host-a's own watcher moved both: {watch}");
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

    [Test]
    public void AHostKeyThatIsNotPinnedOrDiffersIsRefused()
    {
        using var ws = new TestWorkspace();
        InLab(ws, lab =>
        {
            var file = Path.Combine(lab.InventoryDirectory, "host-a.yaml");
            var pinned = File.ReadAllLines(file).Single(l => l.TrimStart().StartsWith("host_key:")).Split(':', 2)[1].Trim();
            File.WriteAllText(file, File.ReadAllText(file).Replace(pinned, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
            var wrong = Assert.Throws<FlatnetException>(() => new ControlPlane(lab.Workspace, ws.Log).ConfigureRouting("host-a"))!;
            Assert.That(wrong.Message, Does.Contain($"host-a presented host key {pinned}, not the pinned SHA256:AAAA").And.Contain("refusing to connect"));

            File.WriteAllText(file, string.Join("\n", File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith("host_key:"))) + "\n");
            var unknown = Assert.Throws<FlatnetException>(() => new ControlPlane(lab.Workspace, ws.Log).ConfigureRouting("host-a"))!;
            Assert.That(unknown.Message, Does.Contain("is neither pinned nor in").And.Contain($"pin it: host_key: \"{pinned}\""));
        });
    }
}
