using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>RotateCa: the CA replaced with no outage, in four resumable phases (<see cref="CaRotation"/>).</summary>
[TaskName("RotateCa")]
[TaskDescription("Replace the CA with no outage, in four phases recorded in hosts/ca-rotation.json (a re-run continues): a new CA; every config trusts both; every host re-signed; the old CA dropped. " +
                 "--wave-size=N hosts at a time (default 1), each wave verified; --manual-steps-done once the printed steps for an unmanaged lighthouse are done; --start-new for another rotation.")]
public sealed class RotateCaTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["manual-steps-done", "start-new", "wave-size"];

    public override void Run(FlatnetContext context) =>
        CaRotation.Rotate(context, context.Arguments.Flag("manual-steps-done"), context.Arguments.Flag("start-new"), context.Arguments.Int("wave-size", 1));
}
