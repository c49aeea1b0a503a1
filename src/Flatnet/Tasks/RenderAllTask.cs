using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>RenderAll: every host's rendered files in artifacts/render/ (<see cref="FleetRendering"/>).</summary>
[TaskName("RenderAll")]
[TaskDescription("Render every host's files (no certificates or keys) into artifacts/render/, for review and CI diffs.")]
public sealed class RenderAllTask : FlatnetTask
{
    public override void Run(FlatnetContext context) => FleetRendering.RenderAll(context);
}
