using Flatnet.Provisioning;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Output;
using Flatnet.Processes;
using Flatnet.Files;

namespace Flatnet.Lab;

public sealed record BenchFigure(string Name, double Value, string Unit, string Note = "");

/// <summary>
/// Target Benchmark: figures from the lab, side by side, printed and written to artifacts/bench/. A benchmark,
/// never a test: nothing here passes or fails on a number. Method: docs/benchmark.md.
/// </summary>
public static partial class LabBenchmark
{
    /// <summary>The benchmark's parts, each a lab (or a workspace) of its own; --part=NAME runs one.</summary>
    public static readonly IReadOnlyList<string> Parts = ["data-path", "rollout", "verify", "packaging", "relays", "rotation", "join"];

    public static IReadOnlyList<BenchFigure> Run(Workspace source, IReporter log, bool installPackages, string? part = null)
    {
        if (part is not null && !Parts.Contains(part))
            throw new FlatnetException($"--part: '{part}' is not a part of the benchmark", fix: $"one of {string.Join(", ", Parts)}, or leave it out for all", field: "--part");
        bool Runs(string name) => part is null || part == name;
        LabPrerequisites.Ensure(log, installPackages);
        if (LabPrerequisites.Which("iperf3") is null)
        {
            if (!installPackages) throw new FlatnetException("the benchmark needs iperf3.", fix: "apt-get install -y iperf3");
            ProcessRunner.Run("apt-get", ["install", "-y", "-qq", "iperf3"], timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("apt-get install iperf3");
        }
        var quiet = new RecordingReporter();
        var figures = new List<BenchFigure>();
        var dir = Path.Combine(source.ArtifactsDirectory, "bench");
        SafeFiles.DeleteOwnedDirectory(dir);
        SafeFiles.CreateOwnedDirectory(dir);

        // Three hosts with WSL2 from the inventory: two to measure between, a third to add.
        var sourcePlan = AddressPlan.Load(source.InventoryDirectory);
        var trio = sourcePlan.Pcs.Where(h => h.Host.Wsl).Take(3).ToList();
        if (trio.Count < 3)
            throw new FlatnetException($"the benchmark needs three hosts with WSL2 in {Workspace.Relative(source.InventoryDirectory)}, it has {trio.Count}",
                fix: "run it on the example inventory (hosts/), or add hosts with wsl: true");
        var (first, second, third) = (trio[0], trio[1], trio[2]);
        if (Runs("data-path"))
        using (var lab = LabNetwork.Build(source, Path.Combine(dir, "lab"), quiet, new LabOptions { Enrolled = [first.Name, second.Name] }))
        {
            using var context = new FlatnetContext(lab.Workspace, quiet);
            foreach (var h in new[] { first.Name, second.Name }) HostPipeline.Provision(context, h);
            MeshVerification.Verify(context);
            var a = lab.Hosts.Single(h => h.Name == first.Name);
            var b = lab.Hosts.Single(h => h.Name == second.Name);
            b.Host.Run("iperf3", "-s", "-D");
            b.WslNamespace.Run("iperf3", "-s", "-D");

            log.Info("bench: throughput and latency (iperf3 3 s, 200 pings)");
            var underlay = Iperf(a.Host, b.Underlay);
            var ours = Iperf(a.Host, second.OverlayAddress);
            var wsl = Iperf(a.WslNamespace, second.WslAddress!);
            figures.Add(new("throughput host->host, underlay", underlay.Mbps, "Mbit/s", $"{underlay.Retransmits} retransmits"));
            figures.Add(new("throughput host->host, flatnet config", ours.Mbps, "Mbit/s", $"{ours.Retransmits} retransmits"));
            figures.Add(new("throughput WSL->remote WSL, flatnet config", wsl.Mbps, "Mbit/s", $"{wsl.Retransmits} retransmits"));
            var (underMedian, underP99) = Latency(a.Host, b.Underlay);
            var (nebMedian, nebP99) = Latency(a.Host, second.OverlayAddress);
            figures.Add(new("ping latency added by the tunnel, median", nebMedian - underMedian, "ms", $"underlay {underMedian:0.000}, nebula {nebMedian:0.000}"));
            figures.Add(new("ping latency added by the tunnel, p99", nebP99 - underP99, "ms", $"underlay {underP99:0.000}, nebula {nebP99:0.000}"));

            // The same two hosts with Nebula's own data-path defaults, restarted in place.
            var plan = context.Plan;
            foreach (var host in new[] { a, b })
            {
                var model = context.Platforms.Model(plan, plan.Host(host.Name));
                File.WriteAllText(model.Paths.Config, context.Renderer.RenderConfig(model with { Tuning = Tuning.NebulaDefaults }));
                host.Host.KillAll("nebula");
                host.Host.Start(model.Paths.Log, model.Paths.NebulaBinary, "-config", model.Paths.Config);
            }
            WaitForPing(a.Host, second.OverlayAddress);
            var defaults = Iperf(a.Host, second.OverlayAddress);
            figures.Add(new("throughput host->host, Nebula defaults", defaults.Mbps, "Mbit/s", $"{defaults.Retransmits} retransmits"));
            figures.Add(new("flatnet config / Nebula defaults", ours.Mbps / defaults.Mbps, "x"));
            figures.Add(new("flatnet config / underlay", ours.Mbps / underlay.Mbps, "x"));

            log.Info("bench: AddHost and WSL2 repair");
            a.Host.KillAll("nebula"); // started by hand above; the redeploy below starts flatnet's own again
            b.Host.KillAll("nebula");
            lab.Enroll(third.Name);
            var watch = Stopwatch.StartNew();
            using (var adding = new FlatnetContext(lab.Workspace, quiet)) HostPipeline.Add(adding, third.Name);
            figures.Add(new($"AddHost {third.Name}, start to verified mesh", watch.Elapsed.TotalSeconds, "s", "3 hosts, includes UpdatePeers"));
            figures.Add(new("WSL2 address change repair", WslRepair(lab, first, second), "s", "watch interval 5 s"));
        }

        if (Runs("rollout"))
        {
            log.Info("bench: Rollout of 3 and 10 lab hosts");
            figures.Add(new("Rollout, 3 lab hosts (waves of 1)", TimeRollout(source, dir, 3, quiet), "s"));
            figures.Add(new("Rollout, 10 lab hosts (waves of 5)", TimeRollout(source, dir, 10, quiet, waveSize: 5), "s"));
        }
        if (Runs("verify")) figures.AddRange(VerifyBenchmark.Run(source, dir, quiet, log));
        if (Runs("relays"))
        {
            log.Info("bench: relays per Nebula release (a cone-NAT pair with use_relays: true)");
            figures.AddRange(RelayBenchmark.Run(source, dir, quiet, Iperf));
        }
        if (Runs("rotation"))
        {
            log.Info("bench: RotateCa on the lab with a managed lighthouse, a ping running");
            figures.AddRange(RotationBenchmark.Run(source, dir, quiet, first, third));
        }
        if (Runs("packaging")) PackagingBenchmark.Run(source, dir, quiet, figures, log);
        if (Runs("join"))
        {
            log.Info("bench: join to first ping (a bare PC: its join script, the reply, AddHost step by step)");
            figures.AddRange(JoinBenchmark.Run(source, dir, quiet, first, second, third));
        }

        Write(dir, figures, log);
        return figures;
    }

    internal static (double Mbps, long Retransmits) Iperf(NetworkNamespace from, string target)
    {
        var json = from.TryWithTimeout(TimeSpan.FromSeconds(30), "iperf3", "-c", target, "-t", "3", "-J").EnsureSuccess($"iperf3 to {target}").StdOut;
        var end = JsonDocument.Parse(json).RootElement.GetProperty("end");
        return (end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e6,
                end.GetProperty("sum_sent").TryGetProperty("retransmits", out var r) ? r.GetInt64() : 0);
    }

    private static (double Median, double P99) Latency(NetworkNamespace from, string target)
    {
        var output = from.TryWithTimeout(TimeSpan.FromSeconds(30), "ping", "-c", "200", "-i", "0.005", target).StdOut;
        var times = Rtt().Matches(output).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order().ToList();
        if (times.Count == 0) throw new FlatnetException($"bench: no ping replies from {target}");
        return (times[times.Count / 2], times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.99) - 1)]);
    }

    [GeneratedRegex(@"time=([\d.]+) ms")]
    private static partial Regex Rtt();

    private static void WaitForPing(NetworkNamespace from, string target)
    {
        for (var i = 0; i < 30; i++)
            if (from.Try("ping", "-c", "1", "-W", "1", target).ExitCode == 0) return;
        throw new FlatnetException($"bench: {target} did not answer after the restart");
    }

    /// <summary>WSL2 restarts with a new address and MAC; seconds until host-b reaches it again.</summary>
    private static double WslRepair(LabNetwork lab, HostAddresses first, HostAddresses second)
    {
        var a = lab.Hosts.Single(h => h.Name == first.Name);
        var b = lab.Hosts.Single(h => h.Name == second.Name);
        var watch = Stopwatch.StartNew();
        lab.Faults.RestartWsl(first.Name, 9);
        while (!a.Host.Run("ip", "-4", "route", "show", "exact", first.RoutedBlock!.Value.ToString()).StdOut.Contains($"via {LabTopology.WslNetwork}.9 ")
               || b.Host.Try("ping", "-c", "1", "-W", "1", first.WslAddress!).ExitCode != 0)
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(60)) throw new FlatnetException("bench: the route did not follow WSL2 within 60 s");
            Thread.Sleep(100);
        }
        return watch.Elapsed.TotalSeconds;
    }

    private static double TimeRollout(Workspace source, string dir, int hosts, IReporter log, int waveSize = 1)
    {
        var inventory = PackagingBenchmark.GeneratedInventory(source, Path.Combine(dir, $"inventory-{hosts}"), hosts);
        using (var lab = LabNetwork.Build(inventory, Path.Combine(dir, $"lab-{hosts}"), log))
        {
            var watch = Stopwatch.StartNew();
            using (var context = new FlatnetContext(lab.Workspace, log)) Rollouts.Roll(context, waveSize: waveSize);
            return watch.Elapsed.TotalSeconds;
        }
    }

    private static void Write(string dir, IReadOnlyList<BenchFigure> figures, IReporter log)
    {
        var md = new StringBuilder("| figure | value | unit | note |\n|---|---:|---|---|\n");
        foreach (var f in figures) md.Append($"| {f.Name} | {f.Value.ToString("0.###", CultureInfo.InvariantCulture)} | {f.Unit} | {f.Note} |\n");
        SafeFiles.WriteAllText(Path.Combine(dir, "results.md"), md.ToString());
        SafeFiles.WriteAllText(Path.Combine(dir, "results.json"), JsonSerializer.Serialize(new
        {
            machine = $"{Environment.ProcessorCount} cores",
            figures = figures.Select(f => new { name = f.Name, value = Math.Round(f.Value, 3), unit = f.Unit, note = f.Note }),
        }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        log.Info($"benchmark ({Workspace.Relative(Path.Combine(dir, "results.md"))}):\n" + md.ToString().TrimEnd());
    }
}
