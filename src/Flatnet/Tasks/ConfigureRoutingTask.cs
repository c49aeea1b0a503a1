using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>ConfigureRouting: the routing scripts inside --host's WSL2 and on the host (<see cref="HostPipeline.ConfigureRouting"/>).</summary>
[TaskName("ConfigureRouting")]
[TaskDescription("Run wsl-routing.sh inside --host's WSL2 and setup-routing.ps1 (host-routing.sh on Linux) on the host.")]
[IsDependentOn(typeof(DeployHostTask))]
public sealed class ConfigureRoutingTask() : HostStepTask(HostStep.Route)
{
}
