namespace Flatnet.Tests;

/// <summary>Long work shows progress: one line rewritten in place on a terminal, a plain line now and then elsewhere.</summary>
public class ProgressTests
{
    [Test]
    public void OnATerminalOneLineIsRewrittenInPlaceAndClearedAtTheEnd()
    {
        var live = new StringWriter();
        var log = new RecordingReporter();
        using (var progress = new Progress("PackageAll", 3, log, live, TimeSpan.FromSeconds(5)))
            foreach (var host in new[] { "pc-1", "pc-2", "pc-10" }) progress.Step(host);
        var text = live.ToString();
        Assert.That(text, Does.StartWith("\rPackageAll: 1 of 3, 0 s: pc-1").And.Contain("\rPackageAll: 3 of 3, 0 s: pc-10"));
        Assert.That(text, Does.EndWith("\r"), "cleared, so the summary starts on a clean line");
        Assert.That(log.Lines, Is.Empty, "nothing in the log");
    }

    [Test]
    public void ElsewhereAPlainLineEveryFewSecondsNeverOnePerHost()
    {
        var log = new RecordingReporter();
        using (var progress = new Progress("RenderAll", 300, log, live: null, TimeSpan.FromHours(1)))
            for (var i = 0; i < 300; i++) progress.Step($"pc-{i}");
        Assert.That(log.Lines, Is.Empty, "a run shorter than the interval says nothing");

        using (var every = new Progress("RenderAll", 3, log, live: null, TimeSpan.Zero))
            for (var i = 1; i <= 3; i++) every.Step($"pc-{i}");
        Assert.That(log.Lines, Is.EqualTo(new[] { "  RenderAll: 1 of 3, 0 s: pc-1", "  RenderAll: 2 of 3, 0 s: pc-2" }), "the last step is the summary's to say");
    }

    private sealed class WriterReporter(TextWriter to) : IReporter
    {
        public void Info(string message) => to.WriteLine(message);
        public void Warn(string message) => to.WriteLine("warning: " + message);
        public void Verbose(string message) { }
        public void Error(string message) => to.WriteLine(message);
    }

    /// <summary>Rollout, RotateCa and the lab print lines as they go: each clears the live line first and draws it again after, on the same terminal.</summary>
    [Test]
    public void ALineThatIsPrintedMovesTheLiveLineBelowIt()
    {
        var terminal = new StringWriter();
        var log = new CleanReporter(new WriterReporter(terminal));
        using (var progress = new Progress("rollout", 2, log, terminal, TimeSpan.FromSeconds(5)))
        {
            progress.Step("pc-1");
            log.Info("pc-2: installed");
            progress.Step("pc-2");
        }
        var erase = "\r" + new string(' ', "\rrollout: 1 of 2, 0 s: pc-1".Length) + "\r";
        Assert.That(terminal.ToString(), Does.StartWith("\rrollout: 1 of 2, 0 s: pc-1" + erase + "pc-2: installed" + Environment.NewLine + "\rrollout: 1 of 2, 0 s: pc-1"));
        Assert.That(terminal.ToString(), Does.Contain("\rrollout: 2 of 2, 0 s: pc-2").And.EndWith("\r"));
        log.Info("after");
        Assert.That(terminal.ToString(), Does.EndWith("\rafter" + Environment.NewLine), "no live line is drawn again once the work ended");
    }
}
