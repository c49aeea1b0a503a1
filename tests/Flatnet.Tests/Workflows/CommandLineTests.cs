using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>
/// The command line is checked before anything runs: an argument no task of the target reads is an error naming it
/// and the nearest that fits, every such argument at once; a mistyped target gets the nearest target.
/// </summary>
public class CommandLineTests
{
    private static readonly IReadOnlyList<FlatnetTask> Registered = [.. FlatnetTasks.All, .. LabTasks.All];

    private static void Check(string target, params string[] given) => CommandLine.Check(target, given, Registered, ["Help"]);

    [Test]
    public void RolloutWithHostInsteadOfHostsIsRefusedBeforeAnyHostIsTouched()
    {
        var e = Assert.Throws<UsageError>(() => Check("Rollout", "target", "host"))!;
        Assert.That(e.Message, Is.EqualTo("--host: not an argument of Rollout\n    fix: did you mean --hosts? Rollout takes --hosts, --wave-size"));
    }

    [Test]
    public void AMistypedFlagNamesTheOneItMeant()
    {
        Assert.That(Assert.Throws<UsageError>(() => Check("AddHost", "hots"))!.Fix, Does.StartWith("did you mean --host?"));
        Assert.That(Assert.Throws<UsageError>(() => Check("Lab", "manged-lighthouse"))!.Fix, Does.StartWith("did you mean --managed-lighthouse?"));
    }

    [Test]
    public void CakesOwnOptionMisspeltPointsAtCakes()
    {
        var e = Assert.Throws<UsageError>(() => Check("PackageAll", "dry-run"))!;
        Assert.That(e.Fix, Does.StartWith("did you mean Cake's own --dryrun?"));
    }

    [Test]
    public void AnArgumentOfAnotherTargetSaysWhichTargetReadsIt()
    {
        var e = Assert.Throws<UsageError>(() => Check("Status", "include-keys"))!;
        Assert.That(e.Fix, Does.StartWith("--include-keys is read by Release; Status takes --json, --wide"));
    }

    [Test]
    public void EveryBadArgumentIsNamedAtOnce()
    {
        var e = Assert.Throws<UsageErrors>(() => Check("Rollout", "host", "dry-run", "wave-sise"))!;
        Assert.That(e.Errors.Select(x => x.Field), Is.EqualTo(new[] { "--host", "--dry-run", "--wave-sise" }));
        Assert.That(e.Message, Does.StartWith("3 arguments that Rollout does not read; nothing ran:"));
    }

    [Test]
    public void ATargetTakesTheArgumentsOfTheTasksItRunsFirstAndTheCommonOnes()
    {
        Assert.DoesNotThrow(() => Check("AddHost", "target", "host", "force", "pub", "inventory", "artifacts", "lock-wait"));
        Assert.DoesNotThrow(() => Check("addhost", "HOST"), "Cake's names are case-insensitive");
        Assert.DoesNotThrow(() => Check("Help", "settings_skipverification", "paths_tools"), "Cake's configuration passes through");
        Assert.DoesNotThrow(() => Check("Lab", "keep", "nebula", "lighthouse-nebula", "ca-version", "managed-lighthouse"));
    }

    [Test]
    public void AMistypedTargetSuggestsTheNearest()
    {
        var e = Assert.Throws<UsageError>(() => Check("Rolout"))!;
        Assert.That(e.Message, Does.StartWith("--target: there is no target named 'Rolout'").And.Contain("fix: did you mean --target=Rollout?"));
        Assert.That(Assert.Throws<UsageError>(() => Check("Frobnicate"))!.Fix, Is.EqualTo("./build.sh --target=Help lists the targets"));
    }

    [Test]
    public void EveryArgumentATaskReadsIsOneItDeclares()
    {
        // The names each task passes to Arguments.Flag/Value/Int/List, read from its source, are among its Options.
        var sources = Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "src"), "*Task*.cs", SearchOption.AllDirectories);
        foreach (var task in Registered)
        {
            var file = sources.FirstOrDefault(f => File.ReadAllText(f).Contains($"class {task.GetType().Name} "));
            Assume.That(file, Is.Not.Null, task.Name);
            var body = File.ReadAllText(file!);
            var start = body.IndexOf($"class {task.GetType().Name} ", StringComparison.Ordinal);
            var end = body.IndexOf("\n}", start, StringComparison.Ordinal);
            var read = System.Text.RegularExpressions.Regex.Matches(body[start..end], @"Arguments\.(?:Flag|Value|Int|List)\(""([a-z-]+)""")
                .Select(m => m.Groups[1].Value);
            Assert.That(CommandLine.Accepted(task.Name, Registered), Is.SupersetOf(read), task.Name);
        }
    }

    /// <summary>An argument given twice would quietly mean its last value: --host=h1 --host=h2 acted on h2.</summary>
    [Test]
    public void AnArgumentGivenTwiceIsRefused()
    {
        var e = Assert.Throws<UsageError>(() => Check("DeployHost", "host", "host"))!;
        Assert.That(e.Message, Does.Contain("--host: given 2 times; a target reads it once").And.Contain("--hosts=a,b"));
        e = Assert.Throws<UsageError>(() => Check("Plan", "inventory", "inventory"))!;
        Assert.That(e.Message, Does.Contain("--inventory: given 2 times"));
        Assert.DoesNotThrow(() => Check("DeployHost", "host"));
    }
}
