using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>InitCa: the CA at the paths network.yaml names, made only when none exists (<see cref="CaSetup"/>).</summary>
[TaskName("InitCa")]
[TaskDescription("Create the CA at the paths hosts/network.yaml names, only when none exists (never overwrites).")]
public sealed class InitCaTask : FlatnetTask
{
    public override void Run(FlatnetContext context) => CaSetup.Init(context);
}
