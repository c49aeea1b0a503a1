using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>
/// The command line is checked before anything runs: an argument no task of the target reads is an error naming it
/// and the nearest that fits, every such argument at once; a mistyped target gets the nearest target.
/// </summary>
public class CommandLineTests
{
    private static readonly IReadOnlyList<FlatnetTask> Registered = [.. TaskRuns.Registered];

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
        var sources = Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories);
        foreach (var task in Registered)
        {
            var declaration = new System.Text.RegularExpressions.Regex($@"class {task.GetType().Name}\b");
            var file = sources.FirstOrDefault(f => declaration.IsMatch(File.ReadAllText(f)));
            Assert.That(file, Is.Not.Null, $"{task.Name}: its class is in src/");
            var body = File.ReadAllText(file!);
            var start = declaration.Match(body).Index;
            var end = body.IndexOf("\n}", start, StringComparison.Ordinal);
            Assert.That(CommandLine.Accepted(task.Name, Registered), Is.SupersetOf(ArgumentsRead(body[start..end])), task.Name);
        }
    }

    [Test]
    public void EveryArgumentTheCoreReadsIsOneATaskDeclares()
    {
        // The core reads a few for the tasks that reach it (a host step's --force, --pub and --manual-steps-done,
        // Init's choices): each is an option of a task, or one every target takes.
        var declared = Registered.SelectMany(t => t.Options).Concat(CommandLine.Common).ToHashSet();
        var core = Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "src", "Flatnet", "Provisioning"), "*.cs")
            .SelectMany(f => ArgumentsRead(File.ReadAllText(f)).Select(name => (File: Path.GetFileName(f), Name: name))).ToList();
        Assert.That(core, Is.Not.Empty, "the core reads --manual-steps-done, --force, --lock-wait");
        Assert.That(core.Where(r => !declared.Contains(r.Name)).Select(r => $"{r.File}: --{r.Name}"), Is.Empty);
        var init = ArgumentsRead(File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, "src", "Flatnet", "Provisioning", "FleetInit.cs")));
        Assert.That(CommandLine.Accepted("Init", Registered), Is.SupersetOf(init), "what Init's choices read, Init takes");
    }

    private static IEnumerable<string> ArgumentsRead(string source) =>
        System.Text.RegularExpressions.Regex.Matches(source, @"(?:Arguments|\ba)\.(?:Flag|Value|Int|List|Has)\(""([a-z-]+)""").Select(m => m.Groups[1].Value).Distinct();

    /// <summary>An argument given twice would quietly mean its last value: --host=h1 --host=h2 acted on h2.</summary>
    [Test]
    public void AnArgumentGivenTwiceIsRefused()
    {
        var e = Assert.Throws<UsageError>(() => Check("DeployHost", "host", "host"))!;
        Assert.That(e.Message, Does.Contain("--host: given 2 times; a target reads it once").And.Contain("--hosts=a,b"));
        e = Assert.Throws<UsageError>(() => Check("Plan", "inventory", "inventory"))!;
        Assert.That(e.Message, Does.Contain("--inventory: given 2 times"));
        Assert.DoesNotThrow(() => Check("DeployHost", "host"));
        // Cake's dictionary of arguments ignores case and keeps one of --HOST=a --host=b: the command line as typed says both.
        e = Assert.Throws<UsageError>(() => CommandLine.Check("GenerateCert", ["host"], Registered, ["Help"], ["build/build.cake", "--target=GenerateCert", "--HOST=host-z", "--host=host-a"]))!;
        Assert.That(e.Message, Does.Contain("given 2 times"));
        // Battery 12: Cake also takes --host:pc-9 for --host=pc-9, and ---host for --host; --target:RenderAll ran RenderAll.
        e = Assert.Throws<UsageError>(() => CommandLine.Check("Join", ["host"], Registered, ["Help"], ["build/build.cake", "--target=Join", "--host=pc-2", "--host:pc-9"]))!;
        Assert.That(e.Message, Does.Contain("--host: given 2 times"));
        e = Assert.Throws<UsageError>(() => CommandLine.Check("Plan", [], Registered, ["Help"], ["build/build.cake", "--target=Plan", "--target:RenderAll"]))!;
        Assert.That(e.Message, Does.Contain("--target: given 2 times"));
        e = Assert.Throws<UsageError>(() => CommandLine.Check("Plan", ["json"], Registered, ["Help"], ["build/build.cake", "--target=Plan", "---json"]))!;
        Assert.That(e.Message, Does.Contain("'---json' has 3 dashes").And.Contain("write it with two: --json"));
    }
}
