using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>
/// The Windows path whole, over SSH, with real packets: host-c is a Windows stand-in (<see cref="LabWindows"/>) whose
/// sshd runs every command as Windows' OpenSSH does, through cmd.exe, then PowerShell with the fake Windows acting on
/// its namespaces. It starts bare and joins with join.ps1; AddHost makes its key there, installs with install.ps1, routes with setup-routing.ps1 and
/// wsl.exe, and the mesh is proved from it and to it; its watcher's tasks keep the route when WSL2 moves (its own direct-paths watcher behind NAT:
/// <see cref="WindowsBehindNatLabTests"/>). Needs root,
/// namespaces and pwsh (build.sh restores it).
/// </summary>
[Category("Lab")]
[Category("Windows")]
// Every command on the stand-in starts a PowerShell: it starts early, not last and alone (it was the run's serial tail).
[StartsEarly(4)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class WindowsStandInLabTests
{
    [Test]
    public void ABareWindowsPcJoinsWithJoinPs1AndAddHostPutsItInTheMeshThroughCmdExeAndPowerShell()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-c.yaml", "keygen_on_host:", "  keygen_on_host: true"); // made on the PC by the release's nebula-cert.exe
        LabTests.InLab(ws, lab =>
        {
            LabTests.DeployAll(lab, ws.Log);

            // host-c is a PC nobody prepared: no OpenSSH Server, no host key, no key authorized. Its join.ps1, run at
            // its console as an administrator, installs OpenSSH (whose first start makes the host key in
            // %ProgramData%\ssh), authorizes the build machine's key and prints the reply; Join --reply pins it.
            lab.Faults.MakeBare("host-c");
            lab.Enroll("host-c");
            var script = new ControlPlane(lab.Workspace, ws.Log).Join("host-c").Script!;
            Assert.That(script, Does.EndWith("join/host-c/join.ps1"));
            var c = lab.Hosts.Single(h => h.Name == "host-c");
            var powershell = Path.Combine(lab.Directory, "host-c", "windows", "bin", "powershell.exe");
            var joined = c.Host.Run(powershell, "-NoProfile", "-ExecutionPolicy", "Bypass", "-File", script);
            var reply = joined.StdOut.Trim().Split('\n')[^1];
            Assert.That(reply, Does.StartWith("flatnet-join host=host-c host_key=SHA256:").And.Contain($" address={c.Underlay} user=root"), joined.StdOut);
            Assert.That(joined.StdOut, Does.Contain("OpenSSH Server installed").And.Contain("deploy key added to administrators_authorized_keys"));
            Assert.That(new ControlPlane(lab.Workspace, ws.Log).JoinReply("host-c", reply).Pinned, Has.Some.StartWith("host key SHA256:"));

            var matrix = new ControlPlane(lab.Workspace, ws.Log).AddHost("host-c");
            Assert.That((matrix.Results.Count, matrix.Failures.Count), Is.EqualTo((18, 0)), matrix.ToTable());
            Assert.That(File.ReadAllLines(Path.Combine(lab.InventoryDirectory, "host-c.yaml")), Does.Contain("os: windows"));

            // The Windows chain, in order, on the stand-in: its key made there, install.ps1, setup-routing.ps1, WSL2 through wsl.exe.
            Assert.That(ws.Log.Lines, Does.Contain("host-c: key pair made on the host; fetched only its public key"));
            Assert.That(ws.Log.Lines, Does.Contain("host-c: started: service nebula (nebula)"));
            Assert.That(ws.Log.Lines, Does.Contain("host-c: set: forwarding on 'nebula1' (now)"));
            Assert.That(ws.Log.Lines, Does.Contain($"host-c: set: route 10.101.3.0/24 via {LabTopology.WslNetwork}.2"));
            Assert.That(ws.Log.Lines, Has.Some.StartsWith($"host-c: set: route 10.100.0.0/16 via {LabTopology.WslNetwork}.1 dev eth0"), "wsl-routing.sh ran inside its WSL2");
            Assert.That(ws.Log.Lines, Does.Contain("peers of host-c: updated host-a, host-b"));
            Assert.That(c.Host.Run("ip", "-4", "route", "show", "exact", "10.101.3.0/24").StdOut, Does.Contain($"via {LabTopology.WslNetwork}.2 dev veth-wsl"),
                "New-NetRoute changed the namespace's routing table");
            Assert.That(File.Exists(Path.Combine(lab.Directory, "host-c", "flatnet", "config", "nebula", "host.key")), Is.True, "the key stayed on the PC");

            // Its direct-paths watcher runs as SYSTEM's scheduled task, and reads its own Nebula through ssh.exe with the
            // key made there (the stand-in's ssh.exe is the real ssh): every tunnel direct, all three on the LAN.
            Assert.That(ws.Log.Lines, Does.Contain("host-c: registered: scheduled task 'flatnet direct paths' (relayed tunnels tried direct every 30 s, as SYSTEM; running now and from then on)"));
            var tunnels = c.Host.Run(powershell, "-NoProfile", "-ExecutionPolicy", "Bypass", "-File", Path.Combine(lab.Directory, "host-c", "flatnet", "scripts", "direct-paths.ps1"), "-Status").StdOut;
            Assert.That(tunnels, Does.Match(@"10\.100\.1\.1 direct [0-9.]+:4242").And.Match(@"10\.100\.2\.1 direct [0-9.]+:4242"), tunnels);

            // Every line sent went through cmd.exe, and each is short whatever the fleet (docs/windows-contract.md).
            var lines = File.ReadAllLines(Path.Combine(lab.Directory, "host-c", "windows", "state", "cmd.log"));
            Assert.That(lines, Is.Not.Empty);
            Assert.That(lines.Select(l => l[(l.IndexOf(' ') + 1)..]), Has.All.StartWith("powershell.exe ").Or.EndsWith("sftp-server"));
            Assert.That(lines.Max(l => int.Parse(l[..l.IndexOf(' ')])), Is.LessThan(8000));
            using (var context = new FlatnetContext(lab.Workspace, ws.Log))
            {
                var connection = context.Connection(context.Plan.Host("host-c"));
                // A line over cmd.exe's 8,191 characters fails there as it fails on Windows, and nothing runs.
                var tooLong = connection.Run("powershell.exe -File " + new string('x', 8200));
                Assert.That((tooLong.ExitCode, tooLong.StdErr.Trim()), Is.EqualTo((1, "The command line is too long.")));
                // What cmd.exe would take apart never passes for what it would run as written.
                Assert.That(connection.Run("powershell.exe -File a.ps1 & whoami").ExitCode, Is.Not.Zero);
                Assert.That(connection.Run("whoami").StdErr, Does.Contain("'whoami' is not recognized as an internal or external command"));
            }

            // Status reads the stand-in as it reads a PC: its service, its Nebula, its tunnels.
            var status = new ControlPlane(lab.Workspace, ws.Log).Status().Single(r => r.Host == "host-c");
            Assert.That((status.Reachable, status.Running), Is.EqualTo((true, true)));
            Assert.That(status.Tunnels.Values, Has.All.StartWith("direct"));

            // WSL2 restarts with a new address: the watcher's two tasks (WSL2's owner reports it, SYSTEM routes to it),
            // loops of their own on the stand-in, move the route; host-b reaches host-c's WSL2 again.
            var started = System.Diagnostics.Stopwatch.StartNew();
            lab.Faults.RestartWsl("host-c", 7);
            var b = lab.Hosts.Single(h => h.Name == "host-b");
            while (!c.Host.Run("ip", "-4", "route", "show", "exact", "10.101.3.0/24").StdOut.Contains($"via {LabTopology.WslNetwork}.7 ")
                   || b.Host.Try("ping", "-c", "1", "-W", "1", "10.101.3.1").ExitCode != 0)
            {
                Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(40)), "host-c's route never followed WSL2 to its new address");
                Thread.Sleep(200);
            }
            TestContext.Out.WriteLine($"WSL2 address change on the Windows stand-in repaired in {started.Elapsed.TotalSeconds:0.0} s");
        }, enrolled: ["host-a", "host-b"], windows: ["host-c"]);
    }
}
