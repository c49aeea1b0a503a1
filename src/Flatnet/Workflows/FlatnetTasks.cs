namespace Flatnet.Workflows;

/// <summary>
/// Every task of the library, and the order the graph runs them in. build/tasks/*.cake registers these one line each;
/// the lab's tasks (Lab, LabClean, Benchmark, Test) live in Flatnet.Lab and are registered the same way.
/// </summary>
public static class FlatnetTasks
{
    public static IReadOnlyList<FlatnetTask> All { get; } =
    [
        new PlanTask(), new InitTask(), new JoinTask(), new InitCaTask(), new GenerateCertTask(), new RenewCertTask(), new CheckCertsTask(), new RevokeHostTask(), new RotateCaTask(),
        new PackageBundleTask(), new RenderAllTask(), new PackageAllTask(), new ReleaseTask(),
        new DeployHostTask(), new ConfigureRoutingTask(), new UpdatePeersTask(), new AddHostTask(), new RolloutTask(), new RemoveHostTask(),
        new VerifyPingTask(), new StatusTask(), new DoctorTask(), new FetchNebulaTask(),
    ];

    public static FlatnetTask Named(string name) =>
        All.SingleOrDefault(t => t.Name == name) ?? throw new InvalidOperationException($"no task named {name}");

    /// <summary>
    /// What running <paramref name="target"/> runs, in Cake's order: each dependency (depth first, in the order
    /// declared, each once) before the task that needs it, the target last.
    /// </summary>
    public static IReadOnlyList<FlatnetTask> Chain(string target)
    {
        var order = new List<FlatnetTask>();
        void Visit(FlatnetTask task)
        {
            if (order.Contains(task)) return;
            foreach (var dependency in task.DependsOn) Visit(Named(dependency));
            order.Add(task);
        }
        Visit(Named(target));
        return order;
    }
}
