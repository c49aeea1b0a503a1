using System.Reflection;
using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>A task's name on the command line (--target=NAME), as Cake.Frosting's [TaskName].</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class TaskNameAttribute(string name) : Attribute
{
    public string Name => name;
}

/// <summary>A task's line in Help, as Cake.Frosting's [TaskDescription].</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class TaskDescriptionAttribute(string description) : Attribute
{
    public string Description => description;
}

/// <summary>A task that runs first, as Cake.Frosting's [IsDependentOn]: several run in the order declared.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class IsDependentOnAttribute(Type task) : Attribute
{
    public Type Task => task;
}

/// <summary>
/// One Cake task, shaped as Cake.Frosting's <c>FrostingTask&lt;TContext&gt;</c>: its name, description and what
/// runs before it are attributes on the class, and <see cref="Run"/> reads the arguments, calls one service of the
/// provisioning core and prints. <see cref="TaskGraph"/> finds every task by reflection; the .cake script registers
/// them in one loop: the graph is declared once, here, with types.
/// </summary>
public abstract class FlatnetTask
{
    public string Name => NameOf(GetType());

    public string Description => GetType().GetCustomAttribute<TaskDescriptionAttribute>()?.Description
        ?? throw new InvalidOperationException($"{GetType().Name} has no [TaskDescription]");

    /// <summary>The tasks that run first, in order (Cake's IsDependentOn).</summary>
    public IReadOnlyList<Type> Dependencies => GetType().GetCustomAttributes<IsDependentOnAttribute>().Select(d => d.Task).ToList();

    /// <summary>The names of <see cref="Dependencies"/>, as Cake registers them.</summary>
    public IReadOnlyList<string> DependsOn => Dependencies.Select(NameOf).ToList();

    public static string NameOf(Type task) => task.GetCustomAttribute<TaskNameAttribute>()?.Name
        ?? throw new InvalidOperationException($"{task.Name} has no [TaskName]");

    /// <summary>
    /// The arguments it reads, without dashes (--wave-size is "wave-size"): the command line accepts these for it and
    /// for the tasks it runs first, and refuses any other (<see cref="CommandLine"/>).
    /// </summary>
    public virtual IReadOnlyList<string> Options => [];

    /// <summary>
    /// What its options mean, for those only it reads (the lab's); an option several targets read is explained once,
    /// in <see cref="Help.Options"/>.
    /// </summary>
    public virtual IReadOnlyDictionary<string, string> OptionHelp => new Dictionary<string, string>();

    /// <summary>False for a task that only gathers its dependencies (AddHost).</summary>
    public virtual bool HasBody => true;

    /// <summary>
    /// Whether the task writes (artifacts, the inventory, the CA): such a task holds the artifacts' and the inventory's
    /// locks for the rest of the run (<see cref="Files.RunLock"/>). Read-only tasks (Plan, Status, VerifyPing, Doctor) never wait.
    /// </summary>
    public virtual bool Writes => true;

    /// <summary>Whether the inventory must be valid before the task starts (all but Join, which completes it).</summary>
    public virtual bool NeedsValidInventory => true;

    public abstract void Run(FlatnetContext context);
}

/// <summary>A task that works on one host (--host=NAME).</summary>
public abstract class HostTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["host"];

    public sealed override void Run(FlatnetContext context)
    {
        var host = context.Arguments.Host;
        if (!TakesAHostAwaitingItsReply && context.Plan.Hosts.FirstOrDefault(h => h.Name == host) is { Host.Deploy.AwaitingJoin: true })
            throw new UsageError($"{host} awaits its join reply: it has no address yet",
                $"run its join script on the PC, then ./build.sh --target=Join --host={host} --reply=\"flatnet-join ...\"", "--host");
        Run(context, host);
    }

    protected abstract void Run(FlatnetContext context, string host);

    /// <summary>Whether --host may name a host that awaits its join reply (RemoveHost: one joined by mistake goes again).</summary>
    protected virtual bool TakesAHostAwaitingItsReply => false;
}

/// <summary>A task that runs one step of <see cref="HostPipeline"/> for --host.</summary>
public abstract class HostStepTask(HostStep step) : HostTask
{
    public HostStep Step => step;

    protected sealed override void Run(FlatnetContext context, string host) => HostPipeline.Run(context, step, host);
}
