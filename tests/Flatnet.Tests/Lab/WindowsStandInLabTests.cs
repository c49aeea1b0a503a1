using Flatnet.Lab;
using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>
/// The Windows path whole, over SSH, with real packets: host-c is a Windows stand-in (<see cref="LabWindows"/>) whose
/// sshd runs every command as Windows' OpenSSH does, through cmd.exe, then PowerShell with the fake Windows acting on
/// its namespaces. AddHost makes its key there, installs with install.ps1, routes with setup-routing.ps1 and
/// wsl.exe, and the mesh is proved from it and to it. Needs root, namespaces and pwsh (build.sh restores it).
/// </summary>
[Category("Lab")]
[Category("Windows")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class WindowsStandInLabTests
{
    [Test]
    public void AWindowsStandInJoinsTheMeshThroughCmdExeAndPowerShell()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-c.yaml", "keygen_on_host:", "  keygen_on_host: true"); // made on the PC by the release's nebula-cert.exe
        var lab = Path.Combine(ws.Root, "artifacts", "lab");
        string? labId = null;
        try
        {
            var (matrix, id) = LabRunner.Run(ws.Workspace, ws.Log, keep: true, installPackages: false, windows: ["host-c"]);
            labId = id;
            Assert.That(matrix.Results, Has.Count.EqualTo(18));
            Assert.That(matrix.Failures, Is.Empty, matrix.ToTable());
            Assert.That(File.ReadAllLines(Path.Combine(lab, "hosts", "host-c.yaml")), Does.Contain("os: windows"));

            // The Windows chain, in order, on the stand-in: its key made there, install.ps1, setup-routing.ps1, WSL2 through wsl.exe.
            Assert.That(ws.Log.Lines, Does.Contain("host-c: key pair made on the host; fetched only its public key"));
            Assert.That(ws.Log.Lines, Does.Contain("host-c: started: service nebula (nebula)"));
            Assert.That(ws.Log.Lines, Does.Contain("host-c: set: forwarding on 'nebula1' (now)"));
            Assert.That(ws.Log.Lines, Does.Contain("host-c: set: route 10.101.3.0/24 via 172.29.16.2"));
            Assert.That(ws.Log.Lines, Has.Some.StartsWith("host-c: set: route 10.100.0.0/16 via 172.29.16.1 dev eth0"), "wsl-routing.sh ran inside its WSL2");
            var route = ProcessRunner.Run("ip", ["netns", "exec", $"fn-{id}-h3", "ip", "-4", "route", "show", "10.101.3.0/24"]).EnsureSuccess("ip route");
            Assert.That(route.StdOut, Does.Contain("via 172.29.16.2 dev veth-wsl"), "New-NetRoute changed the namespace's routing table");
            Assert.That(File.Exists(Path.Combine(lab, "host-c", "flatnet", "config", "nebula", "host.key")), Is.True, "the key stayed on the PC");

            // Every line sent went through cmd.exe, and each is short whatever the fleet (docs/windows-contract.md).
            var lines = File.ReadAllLines(Path.Combine(lab, "host-c", "windows", "state", "cmd.log"));
            Assert.That(lines, Is.Not.Empty);
            Assert.That(lines.Select(l => l[(l.IndexOf(' ') + 1)..]), Has.All.StartWith("powershell.exe ").Or.EndsWith("sftp-server"));
            Assert.That(lines.Max(l => int.Parse(l[..l.IndexOf(' ')])), Is.LessThan(8000));

            var labWorkspace = ws.Workspace with { InventoryDirectory = Path.Combine(lab, "hosts"), ArtifactsDirectory = Path.Combine(lab, "artifacts") };
            using (var context = new FlatnetContext(labWorkspace, ws.Log))
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
            var rows = new ControlPlane(labWorkspace, ws.Log).Status();
            var c = rows.Single(r => r.Host == "host-c");
            Assert.That((c.Reachable, c.Running), Is.EqualTo((true, true)));
            Assert.That(c.Tunnels.Values, Has.All.StartWith("direct"));
        }
        finally
        {
            // A lab kept by a run that failed half-way says its namespaces in the log; it goes too.
            labId ??= ws.Log.Lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"ip netns exec fn-(\w+)-h1 ")).FirstOrDefault(m => m.Success)?.Groups[1].Value;
            if (labId is not null) LabNetwork.Remove(labId);
            LabChecks.AssertNothingLeft(lab, labId);
        }
    }
}
