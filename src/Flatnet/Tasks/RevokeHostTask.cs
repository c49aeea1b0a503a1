using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>RevokeHost: --host's certificate on the blocklist, and every other host brought to it (<see cref="Revocation"/>).</summary>
[TaskName("RevokeHost")]
[TaskDescription("Revoke --host's certificate: add it to hosts/blocklist.txt (every config's pki.blocklist) and bring every other host to it; unreachable ones stay pending until a re-run.")]
public sealed class RevokeHostTask : HostTask
{
    // --manual-steps-done: the peers installed by hand are, as the pending list's fix says (PeerConvergence.Update).
    public override IReadOnlyList<string> Options => [.. base.Options, "manual-steps-done"];

    protected override void Run(FlatnetContext context, string host) => Revocation.Revoke(context, host);
}
