namespace Flatnet.Tests;

/// <summary>
/// Help lists the targets grouped as a person meets them, and one target's help (./build.sh --target=X --help) names
/// each of its options with its default, what runs first and an example; every line fits 120 columns.
/// </summary>
public class HelpTests
{
    private static readonly IReadOnlyList<FlatnetTask> Registered = TaskRuns.Registered;

    [Test]
    public void EveryTargetIsInExactlyOneGroupAndStartHereComesFirst()
    {
        var grouped = Help.Groups.SelectMany(g => g.Targets).ToList();
        Assert.That(grouped, Is.Unique);
        Assert.That(grouped.Where(t => t != "Help"), Is.EquivalentTo(Registered.Select(t => t.Name)));
        var list = Help.List(Registered).Split('\n');
        Assert.That(list.First(l => l.EndsWith(':')), Is.EqualTo("Start here:"));
        Assert.That(list.SkipWhile(l => l != "Start here:").Skip(1).First().Trim(), Does.StartWith("Init "));
    }

    [Test]
    public void EveryOptionOfEveryTargetSaysWhatItMeans()
    {
        var unexplained = Registered.SelectMany(t => t.Options.Select(o => (Task: t.Name, Option: o)))
            .Where(x => Help.Meaning(Registered, x.Task, x.Option).Length == 0).Select(x => $"{x.Task} --{x.Option}");
        Assert.That(unexplained, Is.Empty);
        Assert.That(CommandLine.Common.Append("topic").Where(o => !Help.Options.ContainsKey(o)), Is.Empty);
    }

    [Test]
    public void PlansOwnHelpNamesDiffWithAnExample()
    {
        var help = Help.For(Registered, "Plan");
        Assert.That(help, Does.StartWith("Plan: Validate the inventory"));
        Assert.That(help, Does.Contain("--diff ").And.Contain("--against ").And.Contain("--json "));
        Assert.That(help, Does.Contain("--lock-wait=SECONDS: how long to wait for another run's lock (default 10)"));
        Assert.That(help, Does.Contain("example: ./build.sh --target=Plan --diff --format=md"));
    }

    [Test]
    public void AHostTargetsHelpSaysWhatRunsFirstAndTakesEveryOptionOfItsChain()
    {
        var help = Help.For(Registered, "addhost");
        Assert.That(help, Does.Contain("runs first: GenerateCert -> PackageBundle -> DeployHost -> ConfigureRouting -> UpdatePeers"));
        Assert.That(help, Does.Contain("--host ").And.Contain("--force ").And.Contain("--manual-steps-done "));
        Assert.That(help, Does.Contain("example: ./build.sh --target=AddHost --host=pc-1"));
    }

    [Test]
    public void EveryLineOfEveryHelpFitsOneHundredTwentyColumns()
    {
        var texts = Registered.Select(t => Help.For(Registered, t.Name)).Append(Help.List(Registered)).Append(Help.For(Registered, "Help"));
        Assert.That(texts.SelectMany(t => t.Split('\n')).Where(l => l.Length > 120), Is.Empty);
    }

    [Test]
    public void AMistypedTopicGetsTheNearestTarget()
    {
        var e = Assert.Throws<UsageError>(() => Help.For(Registered, "Rolout"))!;
        Assert.That(e.Fix, Does.StartWith("did you mean --target=Rollout?"));
    }
}
