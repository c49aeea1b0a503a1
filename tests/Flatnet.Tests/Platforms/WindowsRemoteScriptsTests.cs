using Flatnet.Platforms;
using Flatnet.Rendering;
using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>
/// The scripts flatnet sends to a Windows host (templates/remote/windows/, and WinRM's in templates/remote/winrm/),
/// decoded from the command lines as the host receives them, parsed as Windows PowerShell 5.1 and run under pwsh
/// against stand-ins that answer as Windows does.
/// </summary>
[Category("Windows")]
public class WindowsRemoteScriptsTests
{
    private static WindowsPlatform Windows => TestWorkspace.Platforms.Windows;

    private static HostModel HostB(Action<TestWorkspace>? edit = null)
    {
        using var ws = new TestWorkspace();
        edit?.Invoke(ws);
        var plan = ws.ControlPlane().Context.Plan;
        return TestWorkspace.Platforms.Model(plan, plan.Host("host-b"));
    }

    /// <summary>host-b where WSL is kh's and flatnet logs in as flatnet (deploy.user).</summary>
    /// <summary>A PC's own root (root: in its file) is where its files go, as on Linux; the network's is the default. The lab's stand-in found it ignored.</summary>
    [Test]
    public void AHostsOwnRootIsWhereItsFilesGo()
    {
        Assert.That(HostB().Paths.Root, Is.EqualTo("F:/flatnet"), "network.yaml's nebula.windows.root");
        var own = HostB(ws => ws.Edit("host-b.yaml", "os:", "os: windows\nroot: D:\\data\\flatnet"));
        Assert.That((own.Paths.Root, own.Paths.ConfigDir, own.Paths.NebulaBinary, own.Paths.WslScriptsDir), Is.EqualTo(("D:/data/flatnet", "D:/data/flatnet/config/nebula", "D:/data/flatnet/nebula/nebula.exe", "/mnt/d/data/flatnet/scripts")));
    }

    private static HostModel OwnedByKh() => HostB(ws => ws.Edit("host-b.yaml", "os:", "os: windows\nwsl_user: kh"));

    /// <summary>Every command flatnet sends to a Windows host, decoded to the script PowerShell runs.</summary>
    private static IReadOnlyList<string> EveryScript()
    {
        var model = HostB();
        var nssm = HostB(ws => ws.Edit("network.yaml", "service:", "    service: nssm"));
        var c = new RecordingConnection();
        Windows.Deploy(model, "/tmp/bundle", c);
        Windows.ConfigureRouting(model, c);
        Windows.RoutingState(model, c);
        Windows.RecordInstalled(model, c);
        Windows.Uninstall(model, "/tmp/scripts", c);
        Windows.Ping(c, model, fromWsl: false, "10.100.1.1");
        Windows.Ping(c, model, fromWsl: true, "10.101.1.1");
        Windows.NebulaState(model, c);
        Windows.Read(model, c);
        Windows.Probe(model, c, [new ProbeTarget("10.100.1.1", 4)], [new ProbeTarget("10.101.1.1", 4)]);
        Windows.ConfigureRouting(OwnedByKh(), c); // as WSL's owner: two scripts through the scheduled-task runner
        Windows.HandshakeLines(model, c);
        Windows.HandshakeLines(nssm, c);
        Windows.InstalledNebula(model, c);
        Windows.MakeKeyPair(model, c);
        Windows.Doctor(model, c);
        return c.Scripts;
    }

    [Test]
    public void EveryScriptSentToAWindowsHostStaysWindowsPowerShell51()
    {
        using var ws = new TestWorkspace();
        var winrm = new WinRmScripts(new TemplateRenderer(Path.Combine(TestWorkspace.RepoRoot, "templates")));
        var target = new WinRmTarget("192.168.1.12", 5986, @"HOST-B\admin", new string('a', 64));
        var scripts = EveryScript().Concat([winrm.Run(target, "powershell.exe -EncodedCommand QQA="), winrm.Upload(target, "/b", "F:/flatnet/incoming"),
            winrm.ReadFile(target with { CertificateSha256 = null }, "F:/flatnet/installed-manifest.json")]).ToList();
        Assert.That(scripts, Has.Count.EqualTo(23));
        var files = scripts.Select((s, i) => { var p = Path.Combine(ws.Root, $"remote-{i}.ps1"); File.WriteAllText(p, s); return p; }).ToList();
        var check = PowerShell.Command($"& {PowerShell.Quote(Path.Combine(PowerShell.TestsDirectory, "Test-PowerShell51.ps1"))} -Path @({string.Join(", ", files.Select(PowerShell.Quote))}); exit $LASTEXITCODE");
        Assert.That(check.StdOut, Does.Contain($"{files.Count} checked, 0 problem(s)"), check.StdOut + check.StdErr);
    }

    /// <summary>Get-Service as Windows answers it: nothing for an unknown service, else its Status (ServiceControllerStatus).</summary>
    [TestCase("$null", 1, "the nebula service is not installed")]
    [TestCase("[pscustomobject]@{ Status = 'Stopped' }", 1, "the nebula service is Stopped")]
    [TestCase("[pscustomobject]@{ Status = 'Running' }", 0, "running")]
    public void NebulaStateIsTheServicesAsWindowsReportsIt(string service, int exit, string said)
    {
        var c = new RecordingConnection();
        Windows.NebulaState(HostB(), c);
        var script = c.Scripts.Single();
        var run = PowerShell.Command("function Get-Service { param($Name, $ErrorAction) if ($Name -ne 'nebula') { throw \"not Nebula's service: $Name\" }; " + service + " }\n" + script);
        Assert.That((run.ExitCode, run.StdOut.Trim()), Is.EqualTo((exit, said)), run.StdErr);
    }

    [Test]
    public void TheInstalledManifestIsRecordedOnlyWhenAnInstallLeftOne()
    {
        using var ws = new TestWorkspace();
        var root = Path.Combine(ws.Root, "flatnet");
        Directory.CreateDirectory(root);
        var model = HostB() is var m ? m with { Paths = HostPaths.Under(root, root + "/nebula/nebula.exe", "/mnt/f/flatnet/scripts") } : null!;
        var c = new RecordingConnection();
        Windows.RecordInstalled(model, c);
        var script = c.Scripts.Single();
        Assert.That(PowerShell.Command(script).ExitCode, Is.EqualTo(0));
        Assert.That(File.Exists(Path.Combine(root, "installed-manifest.json")), Is.False, "nothing pending, nothing recorded");
        File.WriteAllText(Path.Combine(root, "installed-manifest.pending.json"), "{}\n");
        Assert.That(PowerShell.Command(script).ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllText(Path.Combine(root, "installed-manifest.json")), Is.EqualTo("{}\n"));
    }

    /// <summary>
    /// Status asks a Windows host everything in one command: each part a script file run by a PowerShell of its own, so
    /// its `exit` ends only itself. The parts meet Windows' commands as a module the child PowerShells load on first use.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void StatusReadsEverythingFromAHostInOneCommand()
    {
        using var ws = new TestWorkspace();
        var root = Path.Combine(ws.Root, "flatnet");
        var model = HostB() is var m ? m with { Paths = HostPaths.Under(root, root + "/nebula/nebula.exe", "/mnt/f/flatnet/scripts") } : null!;
        Directory.CreateDirectory(Path.Combine(root, "nebula"));
        Directory.CreateDirectory(Path.Combine(root, "scripts"));
        File.WriteAllText(model.Paths.NebulaBinary, "#!/bin/sh\necho 'Version: 1.9.3'\n");
        File.SetUnixFileMode(model.Paths.NebulaBinary, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(root, "scripts", "setup-routing.ps1"), "param([switch]$Check)\n'missing: route 10.101.2.0/24 via WSL2'\nexit 1\n");
        var module = Path.Combine(ws.Root, "modules", "FakeWindowsServices");
        Directory.CreateDirectory(module);
        // Get-Service as Windows answers for a stopped service; the Application log as Nebula's service fills it.
        File.WriteAllText(Path.Combine(module, "FakeWindowsServices.psm1"),
            "function Get-Service { param($Name, $ErrorAction) [pscustomobject]@{ Name = $Name; Status = 'Stopped' } }\n" +
            "function Get-WinEvent { param($FilterHashtable, $MaxEvents, $ErrorAction) [pscustomobject]@{ Message = 'level=info msg=\"Handshake message received\" vpnIp=10.100.1.1' } }\n");
        // powershell.exe is pwsh here.
        var bin = Path.Combine(ws.Root, "bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "powershell.exe"), "#!/bin/sh\nexec dotnet pwsh \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "powershell.exe"), (UnixFileMode)0b111_101_101);
        var c = new RecordingConnection();
        Windows.Read(model, c);
        var script = c.Scripts.Single();
        var run = PowerShell.Command($"$env:PSModulePath = {PowerShell.Quote(Path.Combine(ws.Root, "modules"))} + [IO.Path]::PathSeparator + $env:PSModulePath\n" +
                                     $"$env:PATH = {PowerShell.Quote(bin)} + [IO.Path]::PathSeparator + $env:PATH\n" + script);
        var answer = new RecordingConnection(_ => new RemoteResult("", run.ExitCode, run.StdOut, run.StdErr));
        var read = Windows.Read(model, answer);
        Assert.That((read.Running, read.State, read.Nebula?.ToString(), read.Routing),
            Is.EqualTo((false, "the nebula service is Stopped", "1.9.3", "missing: route 10.101.2.0/24 via WSL2")), run.StdOut + run.StdErr);
        Assert.That(read.HandshakeLines, Does.Contain("vpnIp=10.100.1.1"));
    }

    /// <summary>
    /// Before an upload: the root (new, so SFTP would have made it with the drive root's ACL) made right, incoming\
    /// Administrators and SYSTEM only, and an upload an install never got to (it may hold host.key) removed.
    /// </summary>
    /// <summary>keygen_on_host: the key's folder is made Administrators and SYSTEM only in the call that creates it (a
    /// folder restricted after its creation had its parent's ACL for a moment), and nothing is made before Nebula's
    /// tools are there (the install root comes with the bundle's install, made right by it).</summary>
    [Test]
    public void AKeyPairIsMadeOnlyInAFolderNeverOpenToOthersAndNothingIsMadeBeforeNebulasTools()
    {
        using var ws = new TestWorkspace();
        var root = Path.Combine(ws.Root, "flatnet");
        var model = HostB() is var m ? m with { Paths = HostPaths.Under(root, root + "/nebula/nebula.exe", "/mnt/f/flatnet/scripts") } : null!;
        var c = new RecordingConnection();
        Windows.MakeKeyPair(model, c);
        var script = c.Scripts.Single();
        global::Flatnet.Processes.ProcessResult Run() => PowerShell.Command($". {PowerShell.Quote(PowerShell.FakeWindows)}\nReset-FakeWindows\n" +
            "try {\n& {\n" + script + "\n}\n} finally { $FakeWindows.Changes | ForEach-Object { \"change: $_\" }; Remove-FakeWindows }");

        var early = Run();
        Assert.That(early.ExitCode, Is.EqualTo(2), early.StdOut + early.StdErr);
        Assert.That(early.StdErr, Does.Contain("nebula-cert.exe is missing: install the bundle's Nebula first"));
        Assert.That(Directory.Exists(root), Is.False, "nothing made before the install made the root");

        Directory.CreateDirectory(Path.Combine(root, "nebula"));
        File.Copy(TestWorkspace.Nebula("1.11.0", "nebula-cert"), Path.Combine(root, "nebula", "nebula-cert.exe"));
        var made = Run();
        Assert.That(made.ExitCode, Is.EqualTo(0), made.StdOut + made.StdErr);
        Assert.That(made.StdOut, Does.Contain($"change: DirectoryInfo.Create {root}/config/nebula O:BAD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"));
        Assert.That(File.Exists(Path.Combine(root, "config", "nebula", "host.key")), Is.True, made.StdOut + made.StdErr);
    }

    [Test]
    public void BeforeAnUploadTheRootIsMadeRightAndIncomingAdminOnlyAndLeftoversRemoved()
    {
        using var ws = new TestWorkspace();
        var root = Path.Combine(ws.Root, "flatnet");
        var left = Path.Combine(root, "incoming", "bundle");
        Directory.CreateDirectory(left);
        File.WriteAllText(Path.Combine(left, "host.key"), "a key an install never got to");
        var model = HostB() is var m ? m with { Paths = HostPaths.Under(root, root + "/nebula/nebula.exe", "/mnt/f/flatnet/scripts") } : null!;
        var c = new RecordingConnection();
        Windows.Deploy(model, "/tmp/bundle", c);
        var prepare = c.ScriptOf(c.Log[0]);
        var run = PowerShell.Command($". {PowerShell.Quote(PowerShell.FakeWindows)}\nReset-FakeWindows\n" +
                                     "try {\n& {\n" + prepare + "\n}\n} finally {\n" +
                                     $"foreach ($p in @({PowerShell.Quote(root)}, {PowerShell.Quote(Path.Combine(root, "incoming"))})) {{ $a = Get-FakeAcl $p; \"acl: $($a.Protected) $($a.Owner) $(@($a.Aces.Keys) -join ',')\" }}\n" +
                                     "Remove-FakeWindows }");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.StdOut + run.StdErr);
        Assert.That(run.StdOut, Does.Contain($"removed: {left} (an upload that was never installed; it may have held host.key)"));
        Assert.That(Directory.Exists(left), Is.False);
        var acls = run.StdOut.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("acl: ", StringComparison.Ordinal)).ToList();
        Assert.That(acls, Is.EqualTo(new[]
        {
            "acl: True S-1-5-32-544 S-1-5-32-544,S-1-5-18,S-1-5-32-545", // the root: users read and run
            "acl: True S-1-5-32-544 S-1-5-32-544,S-1-5-18",              // incoming\: no users' read
        }));
    }

    /// <summary>
    /// WSL keeps its distros per account (microsoft/WSL: the Lxss key of the user's registry hive), so what talks to
    /// WSL runs as its owner: a one-shot scheduled task in the owner's session. Run under pwsh against the fake
    /// Windows, whose wsl.exe sees no distro for any account but the owner's.
    /// </summary>
    [TestCase(true, 0, "172.29.1.2")]
    [TestCase(false, 1, "WSL belongs to kh, who is not logged on to this PC")]
    public void WhatTalksToWslRunsAsItsOwner(bool ownerLoggedOn, int exit, string said)
    {
        using var ws = new TestWorkspace();
        var root = Path.Combine(ws.Root, "flatnet");
        Directory.CreateDirectory(root);
        var model = OwnedByKh() is var m ? m with { Paths = HostPaths.Under(root, root + "/nebula/nebula.exe", "/mnt/f/flatnet/scripts") } : null!;
        Assert.That(model.WslOwnerNamed, Is.True);
        var script = Windows.InWsl(model, "hostname -I");
        var run = PowerShell.Command($". {PowerShell.Quote(PowerShell.FakeWindows)}\n$env:USERNAME = 'flatnet'\nReset-FakeWindows\n" +
                                     $"$FakeWindows.WslOwner = 'kh'\n$FakeWindows.LoggedOn = @({(ownerLoggedOn ? "'flatnet', 'kh'" : "'flatnet'")})\n" +
                                     "try {\n" + script + "\n} finally { $FakeWindows.Changes | Where-Object { $_ -like 'Register-ScheduledTask*' } | ForEach-Object { [Console]::Error.WriteLine(\"change: $_\") }; Remove-FakeWindows }");
        Assert.That(run.ExitCode, Is.EqualTo(exit), run.StdOut + run.StdErr);
        Assert.That(run.StdOut + run.StdErr, Does.Contain(said));
        // Staged under the install root's run\, never under %ProgramData% (where any user can make the folder first);
        // the owner's task ran unelevated and left nothing behind.
        // The owner's exit code is written under a temporary name, then renamed: never read half-written ([int]"" is 0).
        Assert.That(script, Does.Contain("\"Set-Content -LiteralPath '$done.tmp' -Value `$code\"").And.Contain("\"Move-Item -Force -LiteralPath '$done.tmp' -Destination '$done'\""));
        if (!ownerLoggedOn) { Assert.That(Directory.Exists(Path.Combine(root, "run")), Is.False, "nothing staged for an owner who cannot run it"); return; }
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(root, "run")), Is.Empty);
        Assert.That(run.StdErr, Does.Match("change: Register-ScheduledTask TaskName=flatnet as WSL owner [0-9a-f]{32} .* User=kh LogonType=Interactive RunLevel=Limited "));
    }
}
