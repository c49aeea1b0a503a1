using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>RemoveHost: the reverse of AddHost (<see cref="HostRemoval"/>).</summary>
[TaskName("RemoveHost")]
[TaskDescription("The reverse of AddHost: revoke --host, bring every other host to a config without its block's route, take Nebula and routing off it if reachable (else print the steps by hand), prove the rest with VerifyPing; --delete-inventory also deletes hosts/HOST.yaml and its artifacts.")]
public sealed class RemoveHostTask : HostTask
{
    // --manual-steps-done: the peers installed by hand are, as the pending list's fix says (PeerConvergence.Update).
    public override IReadOnlyList<string> Options => [.. base.Options, "delete-inventory", "manual-steps-done"];

    protected override bool TakesAHostAwaitingItsReply => true;

    protected override void Run(FlatnetContext context, string host) => HostRemoval.Remove(context, host, context.Arguments.Flag("delete-inventory"));
}
