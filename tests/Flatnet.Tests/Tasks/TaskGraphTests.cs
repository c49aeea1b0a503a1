using System.Reflection;
using System.Text.RegularExpressions;

namespace Flatnet.Tests;

/// <summary>
/// The task graph is declared once, with types: each task class carries its name, description and dependencies as
/// attributes (Frosting's [TaskName], [TaskDescription], [IsDependentOn(typeof(...))]); the Cake script registers
/// every task it finds in one loop. A task reads its arguments, calls the core and prints: it never calls another.
/// </summary>
public class TaskGraphTests
{
    [Test]
    public void AddHostRunsTheSpecsChainInOrderThenVerifyPing()
    {
        var chain = TaskRuns.Chain("AddHost");
        Assert.That(chain.Select(t => t.Name),
            Is.EqualTo(new[] { "GenerateCert", "PackageBundle", "DeployHost", "ConfigureRouting", "UpdatePeers", "VerifyPing", "AddHost" }));
        Assert.That(chain.OfType<HostStepTask>().Select(t => t.Step), Is.EqualTo(HostPipeline.Steps),
            "the graph's host steps are the core's named steps, in the core's order");
    }

    [Test]
    public void EveryTaskHasItsOwnNameAndDependsOnTasksThatExist()
    {
        var every = TaskRuns.Registered;
        Assert.That(every.Select(t => t.Name), Is.Unique);
        Assert.That(every.Select(t => t.Name), Is.SupersetOf(new[] { "Plan", "Init", "Join", "AddHost", "Release", "Status", "Lab", "Test" }));
        foreach (var task in every)
        {
            Assert.That(task.Description, Is.Not.Empty, task.Name);
            Assert.That(task.DependsOn, Is.SubsetOf(every.Select(t => t.Name)), task.Name);
        }
    }

    [Test]
    public void TheCakeScriptRegistersEveryTaskItFindsInOneLoop()
    {
        Assert.That(Directory.Exists(Path.Combine(TestWorkspace.RepoRoot, "build", "tasks")), Is.False, "no list of tasks beside the graph");
        var adapter = File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, "build", "flatnet.cake"));
        Assert.That(adapter, Does.Contain("Flatnet.Tasks.TaskGraph.Discover(typeof(Flatnet.Lab.LabTask).Assembly)"));
        Assert.That(Regex.Matches(adapter, @"\bTask\(").Count, Is.EqualTo(1), "one registration, in the loop");
        var main = File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, "build", "build.cake"));
        Assert.That(Regex.Matches(main, @"\bTask\(""(\w+)""\)").Select(m => m.Groups[1].Value), Is.EqualTo(new[] { "Help" }), "build.cake itself only lists them");
    }

    /// <summary>A task may name another only to say it runs first ([IsDependentOn(typeof(X))]); nothing else of a task is another's.</summary>
    [Test]
    public void NoTaskClassReferencesAnother()
    {
        var tasks = TaskRuns.Registered.Select(t => t.GetType().Name).ToList();
        var files = Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "src", "Flatnet", "Tasks"), "*.cs")
            .Append(Path.Combine(TestWorkspace.RepoRoot, "src", "Flatnet.Lab", "LabTasks.cs"));
        var references = files.SelectMany(f => File.ReadAllLines(f).Select((l, i) => (File: Path.GetFileName(f), Line: i + 1, Text: l)))
            .Where(l => !l.Text.TrimStart().StartsWith("[IsDependentOn(typeof(", StringComparison.Ordinal) && !l.Text.TrimStart().StartsWith("///", StringComparison.Ordinal))
            .SelectMany(l => tasks.Where(t => Regex.IsMatch(l.Text, $@"\b{t}\b") && !Regex.IsMatch(l.Text, $@"class {t}\b")).Select(t => $"{l.File}:{l.Line}: {t}: {l.Text.Trim()}"));
        Assert.That(references, Is.Empty);
        var helpers = TaskRuns.Registered.SelectMany(t => t.GetType().GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Select(m => $"{t.GetType().Name}.{m.Name}"));
        Assert.That(helpers, Is.Empty, "no task is a library for others: what they share is in the core");
    }

    [Test]
    public void AHostTaskWithoutHostSaysHowToGiveOne()
    {
        using var ws = new TestWorkspace();
        var e = Assert.Throws<UsageError>(() => ws.ControlPlane().Run(new GenerateCertTask()))!;
        Assert.That(e.Message, Is.EqualTo("--host: this target works on one host\n    fix: add --host=NAME; ./build.sh --target=Plan lists the hosts"));
    }
}
