using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>CheckCerts: every certificate with its days left (<see cref="CertificateExpiry"/>).</summary>
[TaskName("CheckCerts")]
[TaskDescription("List every certificate with its days left; fail when any has fewer than --days (default 30).")]
public sealed class CheckCertsTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["days", "json"];
    public override bool Writes => false;

    public override void Run(FlatnetContext context) => CertificateExpiry.Check(context, context.Arguments.Int("days", 30, min: 0, max: 36500));
}
