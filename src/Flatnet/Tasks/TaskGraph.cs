using System.Reflection;
using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>
/// The task graph: every <see cref="FlatnetTask"/> of the library (and of the assemblies given, the lab's), found by
/// reflection, and what running one target runs, in Cake's order.
/// </summary>
public static class TaskGraph
{
    /// <summary>Every task, by name: the library's and those of <paramref name="more"/>.</summary>
    public static IReadOnlyList<FlatnetTask> Discover(params Assembly[] more) =>
        new[] { typeof(FlatnetTask).Assembly }.Concat(more).Distinct()
            .SelectMany(a => a.GetTypes())
            .Where(t => t.IsSubclassOf(typeof(FlatnetTask)) && !t.IsAbstract)
            .Select(t => (FlatnetTask)Activator.CreateInstance(t)!)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// What running <paramref name="target"/> runs, in Cake's order: each dependency (depth first, in the order
    /// declared, each once) before the task that needs it, the target last.
    /// </summary>
    public static IReadOnlyList<FlatnetTask> Chain(IReadOnlyList<FlatnetTask> tasks, string target)
    {
        var order = new List<FlatnetTask>();
        FlatnetTask Named(string name) => tasks.SingleOrDefault(t => t.Name == name) ?? throw new InvalidOperationException($"no task named {name}");
        void Visit(FlatnetTask task)
        {
            if (order.Contains(task)) return;
            foreach (var dependency in task.DependsOn) Visit(Named(dependency));
            order.Add(task);
        }
        Visit(Named(target));
        return order;
    }

    /// <summary>Runs one task's body as the graph does (Cake runs its dependencies first); a writing task holds the locks first.</summary>
    public static void Run(FlatnetContext context, FlatnetTask task)
    {
        Files.TempFolders.StopRunOnSignal(); // Ctrl-C stops the run, also before it has anything to clean up
        try
        {
            if (task.Writes) context.ForWriting(task.Name, task.NeedsValidInventory);
            task.Run(context);
        }
        catch (Exception) when (Files.TempFolders.Stopping)
        {
            Files.TempFolders.AwaitStopIfStopping(); // a stopped run ends with the stop's own line and code, not this
            throw;
        }
        catch (Exception e) when (SystemRefusals.Plain(e) is { } plain)
        {
            throw plain;
        }
    }

    /// <summary>
    /// <see cref="Run"/> for a person at a console (the Cake script): a failure's details are printed in full, and the
    /// run ends on one short line that points up to them (<see cref="FinalError"/>).
    /// </summary>
    public static void RunAtConsole(FlatnetContext context, FlatnetTask task) =>
        FinalError.Guard(context.Log, task.Name + " stopped", () => Run(context, task));
}
