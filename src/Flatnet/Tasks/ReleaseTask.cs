using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>Release: PackageAll, then a reproducible release zip (<see cref="FleetRelease"/>).</summary>
[TaskName("Release")]
[TaskDescription("PackageAll, then artifacts/releases/flatnet-VERSION.zip (--release=1.2.0; Cake owns --version): every bundle, the inventory, a changelog; --include-keys if bundles carry keys.")]
public sealed class ReleaseTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["release", "include-keys"];

    public override void Run(FlatnetContext context) => FleetRelease.Release(context, context.Arguments.Value("release"), context.Arguments.Flag("include-keys"));
}
