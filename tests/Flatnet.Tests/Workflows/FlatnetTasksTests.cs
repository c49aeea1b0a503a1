using System.Text.RegularExpressions;
using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>
/// The task graph is declared once, in the task classes (name, description, dependencies), and the .cake files only
/// register them, one line each: the AddHost chain that Rollout and the lab run is the one Cake runs.
/// </summary>
public class FlatnetTasksTests
{
    private static IEnumerable<FlatnetTask> Every => FlatnetTasks.All.Concat(LabTasks.All);

    [Test]
    public void AddHostRunsTheSpecsChainInOrderThenVerifyPing()
    {
        Assert.That(FlatnetTasks.Chain("AddHost").Select(t => t.Name),
            Is.EqualTo(new[] { "GenerateCert", "PackageBundle", "DeployHost", "ConfigureRouting", "UpdatePeers", "VerifyPing", "AddHost" }));
        Assert.That(AddHostTask.ProvisionSteps.Select(s => s.Name), Is.EqualTo(new[] { "GenerateCert", "PackageBundle", "DeployHost", "ConfigureRouting" }));
    }

    [Test]
    public void EveryTaskHasItsOwnNameAndDependsOnTasksThatExist()
    {
        Assert.That(Every.Select(t => t.Name), Is.Unique);
        foreach (var task in Every)
        {
            Assert.That(task.Description, Is.Not.Empty, task.Name);
            Assert.That(task.DependsOn, Is.SubsetOf(Every.Select(t => t.Name)), task.Name);
        }
    }

    [Test]
    public void TheCakeFilesRegisterEveryTaskOnceAndNothingElse()
    {
        var cake = Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "build", "tasks"), "*.cake").Select(File.ReadAllText).ToList();
        var registered = cake.SelectMany(text => Regex.Matches(text, @"^FlatnetTask\(new Flatnet\.(?:Workflows|Lab)\.(\w+)\(\)\);$", RegexOptions.Multiline))
            .Select(m => m.Groups[1].Value).ToList();
        Assert.That(registered, Is.EquivalentTo(Every.Select(t => t.GetType().Name)), "one line per task");
        foreach (var text in cake)
            Assert.That(text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal)),
                Has.All.Match(@"^FlatnetTask\(new Flatnet\.(Workflows|Lab)\.\w+\(\)\);$"), "a .cake file registers tasks and does nothing else");
        var main = File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, "build", "build.cake"));
        Assert.That(Regex.Matches(main, @"\bTask\(""(\w+)""\)").Select(m => m.Groups[1].Value), Is.EqualTo(new[] { "Help" }), "build.cake itself only lists them");
    }

    [Test]
    public void AHostTaskWithoutHostSaysHowToGiveOne()
    {
        using var ws = new TestWorkspace();
        var e = Assert.Throws<UsageError>(() => ws.ControlPlane().Run(new GenerateCertTask()))!;
        Assert.That(e.Message, Is.EqualTo("--host: this target works on one host\n    fix: add --host=NAME; ./build.sh --target=Plan lists the hosts"));
    }
}
