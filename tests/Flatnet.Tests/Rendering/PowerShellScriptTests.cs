using Flatnet.Rendering;

namespace Flatnet.Tests;

/// <summary>The Windows scripts under pwsh and Pester (Windows PowerShell 5.1 syntax, the fake Windows of tests/powershell).</summary>
[Category("Windows")]
[StartsEarly(3)]
public class PowerShellScriptTests
{
    private static string RenderHostB(TestWorkspace ws)
    {
        var control = ws.ControlPlane();
        var plan = control.Context.Plan;
        var dir = Path.Combine(ws.Root, "rendered-host-b");
        foreach (var f in control.Context.Render(TestWorkspace.Platforms.Model(plan, plan.Host("host-b"))))
        {
            var path = Path.Combine(dir, f.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, f.Content);
        }
        return dir;
    }

    [Test]
    public void SetupRoutingPassesItsPesterTestsAgainstAFakeWindows()
    {
        using var ws = new TestWorkspace();
        var script = Path.Combine(RenderHostB(ws), "scripts", "setup-routing.ps1");
        var passed = PowerShell.Pester("setup-routing.Tests.ps1", new Dictionary<string, string> { ["ScriptPath"] = script });
        Assert.That(passed, Is.EqualTo(22));
    }

    [Test]
    public void TheJoinScriptPassesItsPesterTestsAgainstAFakeWindows()
    {
        using var ws = new TestWorkspace();
        var (script, key) = JoinTests.RenderJoin(ws);
        var passed = PowerShell.Pester("join.Tests.ps1", new Dictionary<string, string> { ["ScriptPath"] = script, ["DeployKey"] = key });
        Assert.That(passed, Is.EqualTo(11));
    }

    [Test]
    public void UninstallPassesItsPesterTestsAgainstAFakeWindows()
    {
        using var ws = new TestWorkspace();
        var passed = PowerShell.Pester("uninstall.Tests.ps1", new Dictionary<string, string> { ["ScriptsDir"] = Path.Combine(RenderHostB(ws), "scripts") });
        Assert.That(passed, Is.EqualTo(6));
    }

    [Test]
    public void TheDoctorPassesItsPesterTestsAgainstAFakeWindows()
    {
        using var ws = new TestWorkspace();
        var script = Path.Combine(RenderHostB(ws), "scripts", "flatnet-doctor.ps1");
        var passed = PowerShell.Pester("doctor.Tests.ps1", new Dictionary<string, string> { ["ScriptPath"] = script });
        Assert.That(passed, Is.EqualTo(5));
    }

    [Test]
    public void InstallScriptPassesItsPesterTestsAgainstAFakeWindows()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        control.GenerateCert("host-b");
        control.PackageBundle("host-b");
        using var nssm = new TestWorkspace();
        nssm.Edit("network.yaml", "service:", "    service: nssm");
        var nssmControl = nssm.ControlPlane();
        nssmControl.GenerateCert("host-b");
        nssmControl.PackageBundle("host-b");

        using var release = new TestWorkspace();
        FakeWindowsRelease.UseIn(release, FakeWindowsRelease.Write(Path.Combine(release.Root, "nebula-windows-amd64.zip")));
        release.ControlPlane().GenerateCert("host-b");
        release.ControlPlane().PackageBundle("host-b");

        // WSL is another account's (wsl_user: kh) than the one flatnet logs in as (deploy.user: flatnet).
        using var owner = new TestWorkspace();
        owner.Edit("host-b.yaml", "os:", "os: windows\nwsl_user: kh");
        owner.ControlPlane().GenerateCert("host-b");
        owner.ControlPlane().PackageBundle("host-b");

        var passed = PowerShell.Pester("install.Tests.ps1", new Dictionary<string, string>
        {
            ["OwnerBundleDir"] = owner.Workspace.BundleDirectory("host-b"),
            ["BundleDir"] = ws.Workspace.BundleDirectory("host-b"),
            ["NssmBundleDir"] = nssm.Workspace.BundleDirectory("host-b"),
            ["ReleaseBundleDir"] = release.Workspace.BundleDirectory("host-b"),
        });
        Assert.That(passed, Is.EqualTo(33));
    }

    [Test]
    public void EveryPowerShellScriptStaysWindowsPowerShell51()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        var plan = control.Context.Plan;
        var files = new List<string> { Path.Combine(TestWorkspace.RepoRoot, "build.ps1") };
        foreach (var host in plan.Hosts)
            foreach (var f in control.Context.Render(TestWorkspace.Platforms.Model(plan, host)).Where(f => f.Path.EndsWith(".ps1")))
            {
                var path = Path.Combine(ws.Root, "ps1", host.Name, f.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, f.Content);
                files.Add(path);
            }
        files.Add(JoinTests.RenderJoin(ws).Script);
        Assert.That(files, Has.Count.EqualTo(14), "build.ps1, install.ps1, setup-routing.ps1, flatnet-doctor.ps1 and uninstall.ps1 of each Windows host, and a join.ps1");
        var result = Check(files);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.StdOut + result.StdErr);
        Assert.That(result.StdOut, Does.Contain("14 checked, 0 problem(s)"));
    }

    [Test]
    public void TheSyntaxCheckCatchesPowerShell7OnlySyntax()
    {
        using var ws = new TestWorkspace();
        var bad = Path.Combine(ws.Root, "bad.ps1");
        File.WriteAllText(bad, "git status && echo ok\n$a = $b ?? 'x'\n$c = $true ? 1 : 2\n$d = ${e}?.Name\n" +
                               "$ErrorActionPreference = 'Stop'\nicacls.exe x 2>&1\nfunction g { $ErrorActionPreference = 'Continue'; icacls.exe x 2>&1 }\n");
        var result = Check([bad]);
        Assert.That(result.ExitCode, Is.EqualTo(5), result.StdOut);
        Assert.That(result.StdOut, Does.Contain("bad.ps1:1: PowerShell 7 only").And.Contain("bad.ps1:2:").And.Contain("bad.ps1:3:").And.Contain("bad.ps1:4:"));
        // A native command's stderr redirected under Stop (5.1 throws on its first line), but not under a function's own Continue.
        Assert.That(result.StdOut, Does.Contain("bad.ps1:6: a native command's stderr redirected").And.Not.Contain("bad.ps1:7:"));
    }

    private static ProcessResult Check(IEnumerable<string> files) =>
        PowerShell.Command($"& {PowerShell.Quote(Path.Combine(PowerShell.TestsDirectory, "Test-PowerShell51.ps1"))} -Path @({string.Join(", ", files.Select(PowerShell.Quote))}); exit $LASTEXITCODE");
}
