using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>PackageAll: every host's certificate and bundle, in parallel, with a summary (<see cref="FleetPackaging"/>): what CI runs.</summary>
[TaskName("PackageAll")]
[TaskDescription("Sign (where needed) and pack every host's bundle, in parallel; a summary of what changed (--json: as JSON on stdout): what CI runs.")]
public sealed class PackageAllTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["json"];

    public override void Run(FlatnetContext context) => FleetPackaging.PackageAll(context);
}
