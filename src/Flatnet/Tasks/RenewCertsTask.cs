using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>RenewCerts: every host certificate due, re-signed and rolled out (<see cref="CertificateRenewal"/>); what a scheduled job runs.</summary>
[TaskName("RenewCerts")]
[TaskDescription("Re-sign every host certificate with fewer than --within=DAYS days left (default 30; keys made on a host stay there) and roll them out in verified waves of --wave-size (default 1); nothing to do is said, not done. A host installed by hand stays pending until --manual-steps-done says its renewed bundle is installed. For a weekly scheduled job.")]
public sealed class RenewCertsTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["within", "wave-size", "manual-steps-done"];

    public override void Run(FlatnetContext context) =>
        CertificateRenewal.Renew(context, context.Arguments.Int("within", CertificateRenewal.WarnDays, min: 1, max: 36500), context.Arguments.Int("wave-size", 1));
}
