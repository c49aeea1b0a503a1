using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>DeployHost: pushes --host's bundle and installs it there (<see cref="HostPipeline.Deploy"/>).</summary>
[TaskName("DeployHost")]
[TaskDescription("Push --host's bundle over its transport (SSH; host key checked) and run its install script there.")]
[IsDependentOn(typeof(PackageBundleTask))]
public sealed class DeployHostTask() : HostStepTask(HostStep.Install)
{
    // --manual-steps-done: a host installed by hand (transport: none) has its bundle installed, as a person says.
    public override IReadOnlyList<string> Options => [.. base.Options, "manual-steps-done"];
}
