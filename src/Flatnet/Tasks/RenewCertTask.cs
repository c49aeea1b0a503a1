using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>RenewCert: re-signs a host's certificate; AddHost then deploys it.</summary>
[TaskName("RenewCert")]
[TaskDescription("Re-sign --host's certificate (then AddHost deploys it).")]
public sealed class RenewCertTask : HostTask
{
    protected override void Run(FlatnetContext context, string host) => HostPipeline.Certify(context, host, force: true);
}
