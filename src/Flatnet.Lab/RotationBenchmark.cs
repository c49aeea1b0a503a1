using Flatnet.Provisioning;
using System.Diagnostics;
using Flatnet.Addressing;
using Flatnet.Output;

namespace Flatnet.Lab;

/// <summary>
/// Benchmark --part=rotation: RotateCa on a lab of three hosts and a lighthouse flatnet manages, timed, while one
/// WSL2 pings another every 0.2 s. Twice on the same lab: one host per wave (the default), then all in one wave.
/// </summary>
public static class RotationBenchmark
{
    public static IReadOnlyList<BenchFigure> Run(Workspace source, string dir, IReporter quiet, HostAddresses from, HostAddresses to)
    {
        using var lab = LabNetwork.Build(source, Path.Combine(dir, "lab-rotation"), quiet, new LabOptions { ManagedLighthouses = true });
        using var context = new FlatnetContext(lab.Workspace, quiet);
        foreach (var h in context.Plan.Hosts) HostPipeline.Provision(context, h.Name);
        MeshVerification.Verify(context);
        var figures = new List<BenchFigure>();
        var everyone = context.Plan.Hosts.Count;
        foreach (var (waveSize, startNew) in new[] { (1, false), (everyone, true) })
        {
            using var ping = ContinuousPing.Start(lab.Hosts.Single(h => h.Name == from.Name).WslNamespace, to.WslAddress!);
            var watch = Stopwatch.StartNew();
            using (var rotating = new FlatnetContext(lab.Workspace, quiet)) CaRotation.Rotate(rotating, startNew: startNew, waveSize: waveSize);
            var seconds = watch.Elapsed.TotalSeconds;
            var count = ping.Stop();
            var label = waveSize == 1 ? "waves of 1" : $"one wave of {waveSize}";
            figures.Add(new($"RotateCa, {everyone} lab nodes ({label}), wall time", seconds, "s", "hosts and the managed lighthouse, each wave verified"));
            figures.Add(new($"RotateCa ({label}), pings lost {from.Name} WSL2 -> {to.Name} WSL2", count.Lost, "pings", $"of {count.Sent}, one every 0.2 s"));
        }
        return figures;
    }
}
