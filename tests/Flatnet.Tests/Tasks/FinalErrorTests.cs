namespace Flatnet.Tests;

/// <summary>
/// A failed run ends on one short line (Cake prints it after "Error: ") that fits 160 columns and points up to the
/// details; the details, every problem with its fix, are printed above it.
/// </summary>
public class FinalErrorTests
{
    [Test]
    public void AnInventoryWithManyProblemsEndsOnOneShortLineWithEveryProblemAbove()
    {
        var problems = Enumerable.Range(1, 12).Select(i => $"hosts/pc-{i}.yaml: line 3: deploy.address: '198.18.0.{i}:99999' is not ADDRESS:PORT\n    fix: write it as 192.0.2.10:22").ToList();
        var log = new RecordingReporter();

        var headline = Assert.Throws<FailureHeadline>(() => FinalError.Guard(log, "Plan stopped", () => throw new InventoryProblem("hosts", problems)))!;

        Assert.That(headline.Message, Is.EqualTo("Plan stopped: the inventory in hosts has 12 problem(s); nothing was written (details above)"));
        Assert.That(("Error: " + headline.Message).Length, Is.LessThanOrEqualTo(160));
        foreach (var problem in problems)
            Assert.That(string.Join("\n", log.Lines), Does.Contain(problem.Replace("\n", "\nerror: ")), "every problem and fix is printed above the final line");
    }

    [Test]
    public void AProblemWithAFixPrintsBothAboveAndEndsOnWhereAndWhat()
    {
        var log = new RecordingReporter();

        var headline = Assert.Throws<FailureHeadline>(() => FinalError.Guard(log, "AddHost stopped",
            () => throw new FlatnetException("70000 is not a TCP port", "use a port from 1 to 65535", "hosts/host-b.yaml", "deploy.port", 4)))!;

        Assert.That(headline.Message, Is.EqualTo("AddHost stopped: hosts/host-b.yaml: line 4: deploy.port: 70000 is not a TCP port (details above)"));
        Assert.That(log.Lines, Is.EqualTo(new[] { "error: hosts/host-b.yaml: line 4: deploy.port: 70000 is not a TCP port", "error:     fix: use a port from 1 to 65535" }));
        Assert.That(headline.Details.Fix, Is.EqualTo("use a port from 1 to 65535"), "the typed problem is kept for a program");
    }

    [Test]
    public void AVeryLongFirstLineIsCutAtAWordWithinTheWidth()
    {
        var words = string.Join(" ", Enumerable.Range(1, 60).Select(i => $"host-{i}"));
        var log = new RecordingReporter();

        var headline = Assert.Throws<FailureHeadline>(() => FinalError.Guard(log, "Status stopped", () => throw new FlatnetException($"unreachable: {words}")))!;

        Assert.That(headline.Message.Length, Is.LessThanOrEqualTo(FinalError.Width));
        Assert.That(headline.Message, Does.Match(@"^Status stopped: unreachable: host-1 host-2 .* host-\d+\.\.\. \(details above\)$"));
        Assert.That(log.Lines.Single(), Does.Contain("host-60"), "the whole text is above");
        Assert.That(log.Lines.Single().Split('\n'), Has.All.Length.LessThanOrEqualTo(Flatnet.Output.TextWidth.Columns), "wrapped at words, within 120 columns");
    }

    [Test]
    public void AShortOneLineProblemIsTheFinalLineAsItIs()
    {
        var log = new RecordingReporter();
        var problem = new FlatnetException("another run holds the lock");

        Assert.That(Assert.Throws<FlatnetException>(() => FinalError.Guard(log, "Plan stopped", () => throw problem)), Is.SameAs(problem));
        Assert.That(log.Lines, Is.Empty, "nothing is said twice");
    }
}
