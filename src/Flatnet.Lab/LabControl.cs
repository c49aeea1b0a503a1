using Flatnet.Deploy;

namespace Flatnet.Lab;

/// <summary>
/// The entry points of the lab's Cake tasks (Lab, LabClean, Benchmark, Test), one line each, as
/// <see cref="ControlPlane"/> is for the library's: the lab is a project of its own, which the library never references.
/// </summary>
public sealed class LabControl(Workspace workspace, IReporter log)
{
    public PingMatrix Lab(bool keep, string? nebula, string? lighthouseNebula, string? caVersion, bool managedLighthouse = false) =>
        LabRunner.Run(workspace, log, keep, installPackages: true, LabVersions.Parse(nebula, lighthouseNebula, caVersion), managedLighthouse);

    public void LabClean() => LabNetwork.Clean(log);

    public IReadOnlyList<BenchFigure> Benchmark(string? part = null) => LabBenchmark.Run(workspace, log, installPackages: true, part);

    /// <summary>What the tests need on a fresh machine: the lab's Debian packages, chromium for the report, the tested Nebula releases.</summary>
    public void PrepareTests()
    {
        LabPrerequisites.Ensure(log, install: true, browser: true);
        new Versions.NebulaReleases(workspace.ToolsDirectory).FetchAll(string.Join(",", Versions.NebulaVersion.Tested), log);
    }
}
