using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>Rollout: every host (or --hosts) deployed in verified waves (<see cref="Rollouts"/>).</summary>
[TaskName("Rollout")]
[TaskDescription("Deploy every host (or --hosts=a,b) in waves of --wave-size (default 1), verifying after each; stops at the first failing wave.")]
public sealed class RolloutTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["hosts", "wave-size"];

    public override void Run(FlatnetContext context) => Rollouts.Roll(context, context.Arguments.List("hosts"), context.Arguments.Int("wave-size", 1));
}
