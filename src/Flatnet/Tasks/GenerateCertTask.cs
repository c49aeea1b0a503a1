using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>GenerateCert: signs --host's certificate into artifacts/hosts/HOST/pki (<see cref="HostPipeline.Certify"/>).</summary>
[TaskName("GenerateCert")]
[TaskDescription("Sign --host's certificate (IP, groups, routed block as subnets) into artifacts/hosts/HOST/pki; --force re-signs, --pub=FILE signs a key made on the host.")]
public sealed class GenerateCertTask() : HostStepTask(HostStep.Certify)
{
    public override IReadOnlyList<string> Options => [.. base.Options, "force", "pub"];
}
