namespace Flatnet.Workflows;

/// <summary>
/// One Cake task, shaped as Cake.Frosting's <c>FrostingTask&lt;TContext&gt;</c>: its name ([TaskName]), what runs
/// before it ([IsDependentOn]), its line in Help, and <see cref="Run"/>. build/tasks/*.cake registers each with one
/// line, FlatnetTask(new XTask()), reading all of this from here: the graph is declared once, in the library.
/// </summary>
public abstract class FlatnetTask
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>The tasks that run first, in order (Cake's IsDependentOn).</summary>
    public virtual IReadOnlyList<string> DependsOn => [];

    /// <summary>
    /// The arguments it reads, without dashes (--wave-size is "wave-size"): the command line accepts these for it and
    /// for the tasks it runs first, and refuses any other (<see cref="CommandLine"/>).
    /// </summary>
    public virtual IReadOnlyList<string> Options => [];

    /// <summary>False for a task that only gathers its dependencies (AddHost).</summary>
    public virtual bool HasBody => true;

    /// <summary>
    /// Whether the task writes (artifacts, the inventory, the CA): such a task holds the artifacts' and the inventory's
    /// locks for the rest of the run (<see cref="RunLock"/>). Read-only tasks (Plan, Status, VerifyPing, Doctor) never wait.
    /// </summary>
    public virtual bool Writes => true;

    /// <summary>Whether the inventory must be valid before the task starts (all but Join, which completes it).</summary>
    public virtual bool NeedsValidInventory => true;

    public abstract void Run(FlatnetContext context);
}

/// <summary>A task that works on one host (--host=NAME), and runs for any host when another task composes it.</summary>
public abstract class HostTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["host"];

    public sealed override void Run(FlatnetContext context)
    {
        var host = context.Arguments.Host;
        if (context.Plan.Hosts.FirstOrDefault(h => h.Name == host) is { Host.Deploy.AwaitingJoin: true })
            throw new UsageError($"{host} awaits its join reply: it has no address yet",
                $"run its join script on the PC, then ./build.sh --target=Join --host={host} --reply=\"flatnet-join ...\"", "--host");
        Run(context, host);
    }

    public abstract void Run(FlatnetContext context, string host);
}
