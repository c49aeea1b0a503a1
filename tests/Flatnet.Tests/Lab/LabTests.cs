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
[StartsEarly(7)]
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

    /// <summary>The report.html the last VerifyPing or Status wrote, and how it draws one link.</summary>
    internal static string Report(LabNetwork lab) => File.ReadAllText(Path.Combine(lab.Workspace.ArtifactsDirectory, "verify", "report.html"));
    internal static string Link(string from, string to, string state) => $"data-from=\"{from}\" data-to=\"{to}\" data-state=\"{state}\"";

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
