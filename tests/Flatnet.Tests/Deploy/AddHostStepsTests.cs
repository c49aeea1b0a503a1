using System.Text.RegularExpressions;
using Flatnet.Deploy;

namespace Flatnet.Tests;

/// <summary>The AddHost chain exists once: the Cake graph in build/tasks/*.cake runs exactly <see cref="AddHostSteps"/>.</summary>
public class AddHostStepsTests
{
    private static Dictionary<string, (List<string> DependsOn, string Body)> CakeTasks()
    {
        var text = string.Join("\n", Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "build", "tasks"), "*.cake").Select(File.ReadAllText));
        var tasks = new Dictionary<string, (List<string>, string)>();
        foreach (Match m in Regex.Matches(text, @"Task\(""(\w+)""\)(.*?)(?=\nTask\(|\z)", RegexOptions.Singleline))
            tasks.Add(m.Groups[1].Value, (Regex.Matches(m.Groups[2].Value, @"IsDependentOn\(""(\w+)""\)").Select(d => d.Groups[1].Value).ToList(), m.Groups[2].Value));
        return tasks;
    }

    /// <summary>The order Cake runs a target's dependencies in: depth first, each dependency once, in the order declared.</summary>
    private static List<string> RunOrder(Dictionary<string, (List<string> DependsOn, string Body)> tasks, string target)
    {
        var order = new List<string>();
        void Visit(string name)
        {
            if (order.Contains(name)) return;
            foreach (var d in tasks[name].DependsOn) Visit(d);
            order.Add(name);
        }
        Visit(target);
        return order;
    }

    [Test]
    public void TheCakeGraphRunsTheAddHostStepsInTheirOrder()
    {
        var order = RunOrder(CakeTasks(), "AddHost");
        Assert.That(order.SkipLast(1), Is.EqualTo(AddHostSteps.All.Select(s => s.Name)));
    }

    [Test]
    public void EachStepsTaskCallsTheLibraryEntryPointOfTheSameName()
    {
        var tasks = CakeTasks();
        foreach (var step in AddHostSteps.All)
            Assert.That(tasks[step.Name].Body, Does.Contain($"flatnet.{step.Name}("), $"Task(\"{step.Name}\") must be one call to ControlPlane.{step.Name}");
    }

    [Test]
    public void EveryTaskBodyIsOneCallIntoTheLibrary()
    {
        foreach (var (name, task) in CakeTasks().Where(t => t.Key != "Test"))
        {
            var does = Regex.Match(task.Body, @"\.Does\(\(\) => (.*)\);\s*$", RegexOptions.Singleline);
            if (!does.Success) continue; // AddHost: dependencies only
            Assert.That(does.Groups[1].Value, Does.StartWith("flatnet.").Or.StartWith("lab.").Or.StartWith("Information(\"{0}\", flatnet."), $"{name}'s body");
        }
    }

    [Test]
    public void ProvisioningIsTheChainUpToUpdatePeers()
    {
        Assert.That(AddHostSteps.ProvisionSteps.Select(s => s.Name), Is.EqualTo(new[] { "GenerateCert", "PackageBundle", "DeployHost", "ConfigureRouting" }));
    }
}
