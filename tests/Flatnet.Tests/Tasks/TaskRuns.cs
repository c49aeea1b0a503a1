using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>The task graph as Cake registers it (the library's tasks and the lab's), and a task run as Cake runs it.</summary>
internal static class TaskRuns
{
    public static IReadOnlyList<FlatnetTask> Registered { get; } = TaskGraph.Discover(typeof(LabTask).Assembly);

    public static FlatnetTask Named(string name) => Registered.Single(t => t.Name == name);

    public static IReadOnlyList<FlatnetTask> Chain(string target) => TaskGraph.Chain(Registered, target);

    /// <summary>One task's body in this control plane's run, as the Cake script runs it (the locks first when it writes).</summary>
    public static void Run(this ControlPlane control, FlatnetTask task) => TaskGraph.Run(control.Context, task);
}
