using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>Init: from the lab's example to a real fleet in one step (<see cref="FleetInit"/>).</summary>
[TaskName("Init")]
[TaskDescription("Turn the example inventory into a real fleet's: --lighthouse=LAN-IP[:PORT] (required; port 4242 when left out), --lighthouse-ip=OVERLAY-IP, --ca-crt=FILE and --ca-key=FILE (Stage 1's, copied; the key owner-only), " +
                 "--windows-release=ZIP, --root=C:\\flatnet (default; the spec's is F:\\flatnet). Removes the lab's example hosts (--keep-examples: clears their addresses); Plan then says what is still missing.")]
public sealed class InitTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["lighthouse", "lighthouse-ip", "ca-crt", "ca-key", "windows-release", "root", "keep-examples"];

    public override void Run(FlatnetContext context) => FleetInit.Init(context, FleetInit.Choices(context));
}
