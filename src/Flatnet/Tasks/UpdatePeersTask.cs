using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>UpdatePeers: every other host brought to the bundle built for it now (<see cref="PeerConvergence"/>).</summary>
[TaskName("UpdatePeers")]
[TaskDescription("Bring every other host to the bundle built for it now (a new block is their new unsafe route); hosts that already run it are left alone.")]
[IsDependentOn(typeof(ConfigureRoutingTask))]
public sealed class UpdatePeersTask : HostTask
{
    public override IReadOnlyList<string> Options => [.. base.Options, "manual-steps-done"];

    protected override void Run(FlatnetContext context, string host) => PeerConvergence.Update(context, host);
}
