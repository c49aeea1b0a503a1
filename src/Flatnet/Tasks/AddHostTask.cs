using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>AddHost: the one command that puts a host in the mesh, declared as its dependencies only, as Cake runs them;
/// the same steps, in the core, are <see cref="HostPipeline.Add"/> (what Rollout, the lab and the benchmark run).</summary>
[TaskName("AddHost")]
[TaskDescription("Put --host in the mesh: GenerateCert -> PackageBundle -> DeployHost -> ConfigureRouting -> UpdatePeers -> VerifyPing.")]
[IsDependentOn(typeof(UpdatePeersTask))]
[IsDependentOn(typeof(VerifyPingTask))]
public sealed class AddHostTask : HostTask
{
    public override bool HasBody => false;

    protected override void Run(FlatnetContext context, string host) => HostPipeline.Add(context, host);
}
