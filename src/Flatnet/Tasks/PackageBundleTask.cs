using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>PackageBundle: renders, checks and packs --host's bundle (<see cref="HostPipeline.Package"/>).</summary>
[TaskName("PackageBundle")]
[TaskDescription("Render --host's config.yaml and scripts, check them with nebula -test, pack artifacts/bundles/HOST.zip.")]
[IsDependentOn(typeof(GenerateCertTask))]
public sealed class PackageBundleTask() : HostStepTask(HostStep.Package)
{
}
