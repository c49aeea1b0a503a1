using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>
/// The Windows stand-in (<see cref="LabWindows"/>) behind a NAT router: what its own watcher does between runs. Unlike
/// <see cref="WindowsStandInLabTests"/>, most of it is waiting for the watcher's next look, so it runs beside the
/// other labs (each has namespaces of its own). Needs root, namespaces and pwsh (build.sh restores it).
/// </summary>
[Category("Lab")]
[Category("Windows")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(9)]
public class WindowsBehindNatLabTests
{
    /// <summary>
    /// Direct by itself on Windows: the stand-in behind cone NAT, host-a behind another, host-b on the LAN. After a
    /// power cut that took the routers too, with the others reaching out first and no flatnet command, the stand-in's
    /// own watcher (direct-paths.ps1 -Watch, SYSTEM's scheduled task; ssh.exe to its Nebula's admin interface) gets
    /// both of its tunnels direct within 60 s, read on the stand-in with direct-paths.ps1 -Status.
    /// </summary>
    [Test]
    public void BehindConeNatTheWindowsHostsOwnWatcherGetsItsTunnelsDirectAfterAPowerCut()
    {
        using var ws = new TestWorkspace();
        LabTests.InLab(ws, lab =>
        {
            LabTests.DeployAll(lab, ws.Log);
            var direct = new DirectByItself(lab);
            // Only the stand-in's watcher acts: the Linux hosts' own, quicker than a PowerShell, would otherwise move
            // the tunnels first in the same slot, and prove nothing of Windows' (seen under CI's load).
            direct.StopWatcher("host-a");
            direct.StopWatcher("host-b");
            var restarted = direct.PowerCut([("host-a", "host-c"), ("host-b", "host-c")]);
            var watch = direct.UntilDirect(restarted, [("host-c", "host-a"), ("host-c", "host-b")], TimeSpan.FromSeconds(60));
            TestContext.Out.WriteLine(watch);
            Assert.That(watch.AllDirect, $"both of the stand-in's tunnels direct on both ends within 60 s: {watch}");
            Assert.That(watch.CameUpRelayed, $"they came up relayed, as after a real power cut: {watch}");
            Assert.That(direct.Moved("host-c", "host-a") || direct.Moved("host-c", "host-b"), $"the stand-in's own watcher moved its tunnels: {watch}");
            Assert.That(direct.Moved("host-a", "host-c") || direct.Moved("host-b", "host-c"), Is.False, $"no other watcher ran: {watch}");
        }, nat: new Dictionary<string, LabNat> { ["host-c"] = LabNat.Cone, ["host-a"] = LabNat.Cone }, windows: ["host-c"]);
    }
}
