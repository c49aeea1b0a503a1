using System.Diagnostics;
using Flatnet.Provisioning;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Lab;

/// <summary>
/// Benchmark --part=verify: VerifyPing and Status on labs of 3, 8 and 16 hosts with WSL2, rolled out first. Each is
/// timed twice, the tunnels already up: the time a person waits after a change. Figures, never assertions.
/// </summary>
public static class VerifyBenchmark
{
    public static readonly IReadOnlyList<int> Sizes = [3, 8, 16];

    public static IReadOnlyList<BenchFigure> Run(Workspace source, string dir, IReporter quiet, IReporter log)
    {
        var figures = new List<BenchFigure>();
        foreach (var size in Sizes)
        {
            log.Info($"bench: VerifyPing and Status on {size} lab hosts");
            var inventory = PackagingBenchmark.GeneratedInventory(source, Path.Combine(dir, $"inventory-verify-{size}"), size);
            using var lab = LabNetwork.Build(inventory, Path.Combine(dir, $"lab-verify-{size}"), quiet);
            using var context = new FlatnetContext(lab.Workspace, quiet);
            Rollouts.Roll(context, waveSize: size);
            var pings = MeshVerification.Verify(context).Results.Count;
            var verify = Timed(() => { using var fresh = new FlatnetContext(lab.Workspace, quiet); MeshVerification.Verify(fresh); });
            var status = Timed(() => { using var fresh = new FlatnetContext(lab.Workspace, quiet); FleetStatus.Read(fresh); });
            figures.Add(new($"VerifyPing, {size} lab hosts", verify, "s", $"{pings} pings; goal on 8 hosts < 10 s"));
            figures.Add(new($"Status, {size} lab hosts", status, "s", "goal on 8 hosts < 4 s"));
            SafeFiles.DeleteOwnedDirectory(inventory.Root);
        }
        return figures;
    }

    /// <summary>The faster of two runs, in seconds.</summary>
    private static double Timed(Action run) => Enumerable.Range(0, 2).Min(_ =>
    {
        var watch = Stopwatch.StartNew();
        run();
        return watch.Elapsed.TotalSeconds;
    });
}
