using Flatnet.Workflows;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Verification;
using Flatnet.Rendering;
using Flatnet.Tools;

namespace Flatnet.Lab;

public sealed record BenchFigure(string Name, double Value, string Unit, string Note = "");

/// <summary>
/// Target Benchmark: figures from the lab, side by side, printed and written to artifacts/bench/. A benchmark,
/// never a test: nothing here passes or fails on a number. Method: docs/benchmark.md.
/// </summary>
public static partial class LabBenchmark
{
    /// <summary>The benchmark's parts, each a lab (or a workspace) of its own; --part=NAME runs one.</summary>
    public static readonly IReadOnlyList<string> Parts = ["data-path", "rollout", "packaging", "relays", "rotation"];

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
        var sourcePlan = AddressPlan.Build(InventoryLoader.Load(source.InventoryDirectory));
        var trio = sourcePlan.Pcs.Where(h => h.Host.Wsl).Take(3).ToList();
        if (trio.Count < 3)
            throw new FlatnetException($"the benchmark needs three hosts with WSL2 in {Workspace.Relative(source.InventoryDirectory)}, it has {trio.Count}",
                fix: "run it on the example inventory (hosts/), or add hosts with wsl: true");
        var (first, second, third) = (trio[0], trio[1], trio[2]);
        if (Runs("data-path"))
        using (var lab = LabNetwork.Build(source, Path.Combine(dir, "lab"), quiet, new LabOptions { Enrolled = [first.Name, second.Name] }))
        {
            var context = new FlatnetContext(lab.Workspace, quiet);
            foreach (var h in new[] { first.Name, second.Name }) AddHostTask.Provision(context, h);
            VerifyPingTask.Verify(context);
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
            AddHostTask.Add(new FlatnetContext(lab.Workspace, quiet), third.Name);
            figures.Add(new($"AddHost {third.Name}, start to verified mesh", watch.Elapsed.TotalSeconds, "s", "3 hosts, includes UpdatePeers"));
            figures.Add(new("WSL2 address change repair", WslRepair(lab, first, second), "s", "watch interval 5 s"));
        }

        if (Runs("rollout"))
        {
            log.Info("bench: Rollout of 3 and 10 lab hosts");
            figures.Add(new("Rollout, 3 lab hosts (waves of 1)", TimeRollout(source, dir, 3, quiet), "s"));
            figures.Add(new("Rollout, 10 lab hosts (waves of 5)", TimeRollout(source, dir, 10, quiet, waveSize: 5), "s"));
        }
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
        if (Runs("packaging")) Packaging(source, dir, quiet, figures, log);

        Write(dir, figures, log);
        return figures;
    }

    private static void Packaging(Workspace source, string dir, IReporter quiet, List<BenchFigure> figures, IReporter log)
    {
        log.Info("bench: RenderAll and PackageAll of 1,000 generated hosts");
        var big = GeneratedInventory(source, Path.Combine(dir, "inventory-1000"), 1000);
        var bigControl = new ControlPlane(big, quiet);
        var timer = Stopwatch.StartNew();
        bigControl.RenderAll();
        var rendered = Directory.GetFiles(Path.Combine(big.ArtifactsDirectory, "render"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        figures.Add(new("RenderAll, 1,000 hosts, cold", timer.Elapsed.TotalSeconds, "s", $"{rendered / 1e6:0} MB written"));
        timer.Restart();
        new ControlPlane(big, quiet).RenderAll();
        figures.Add(new("RenderAll, 1,000 hosts, warm (nothing changed)", timer.Elapsed.TotalSeconds, "s", "nothing written"));
        timer.Restart();
        bigControl.PackageAll();
        figures.Add(new("PackageAll, 1,000 hosts, cold (sign + nebula -test + zip)", timer.Elapsed.TotalSeconds, "s"));
        // Each run below is a new run, as a CI job or a person typing it would be: nothing is remembered but the artifacts.
        timer.Restart();
        new ControlPlane(big, quiet).PackageAll();
        figures.Add(new("PackageAll, 1,000 hosts, warm (nothing changed)", timer.Elapsed.TotalSeconds, "s", "goal < 3 s"));
        var changed = Path.Combine(big.InventoryDirectory, "pc-0500.yaml");
        File.WriteAllText(changed, File.ReadAllText(changed).Replace("index: 500", "groups: [flatnet, gateway, printers]\nindex: 500"));
        timer.Restart();
        new ControlPlane(big, quiet).PackageAll();
        figures.Add(new("PackageAll, 1,000 hosts, one host's groups changed", timer.Elapsed.TotalSeconds, "s", "its certificate and bundle only; goal < 5 s"));
        SafeFiles.DeleteOwnedDirectory(big.Root);
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
        var inventory = GeneratedInventory(source, Path.Combine(dir, $"inventory-{hosts}"), hosts);
        using (var lab = LabNetwork.Build(inventory, Path.Combine(dir, $"lab-{hosts}"), log))
        {
            var watch = Stopwatch.StartNew();
            RolloutTask.Roll(new FlatnetContext(lab.Workspace, log), waveSize: waveSize);
            return watch.Elapsed.TotalSeconds;
        }
    }

    /// <summary>
    /// A throw-away workspace of its own (root = <paramref name="root"/>, never the source's): the source's
    /// network.yaml, widened for big fleets, and N generated hosts. Templates still come from the source.
    /// </summary>
    private static Workspace GeneratedInventory(Workspace source, string root, int count)
    {
        SafeFiles.DeleteOwnedDirectory(root);
        SafeFiles.CreateOwnedDirectory(root);
        var hosts = Path.Combine(root, "hosts");
        Directory.CreateDirectory(hosts);
        var network = InventoryWriter.ReadNetwork(source.InventoryDirectory);
        var plan = AddressPlan.Build(InventoryLoader.Load(source.InventoryDirectory));
        if (count > 250)
        {
            // Index N takes the overlay's third octet and the Nth routed block: widen both by two bits (up to 1,023 hosts).
            network.Overlay = Widen(plan.Overlay, 2);
            network.RoutedPool = Widen(plan.Inventory.Network.RoutedPool, 2, awayFrom: plan.Overlay);
        }
        InventoryWriter.WriteNetwork(hosts, network, $"network.yaml of {Workspace.Relative(source.InventoryDirectory)}, widened for {count} generated hosts (Benchmark).");
        for (var i = 1; i <= count; i++)
            InventoryWriter.WriteHost(hosts, new HostDocument
            {
                Name = $"pc-{i:0000}", Index = i, Os = "windows",
                Deploy = new DeployDocument { Transport = "ssh", Address = $"{LabTopology.Lan}.{10 + i % 240}", User = "flatnet" },
            }, "generated by the Benchmark");
        foreach (var template in Directory.GetFiles(source.TemplatesDirectory))
        {
            Directory.CreateDirectory(Path.Combine(root, "templates"));
            File.Copy(template, Path.Combine(root, "templates", Path.GetFileName(template)));
        }
        return Workspace.At(root);
    }

    /// <summary>The network <paramref name="bits"/> wider, aligned; moved past <paramref name="awayFrom"/> when the two would overlap.</summary>
    private static string Widen(Ipv4Network network, int bits, Ipv4Network? awayFrom = null)
    {
        var prefix = network.PrefixLength - bits;
        var size = 1u << (32 - prefix);
        var start = network.Network & ~(size - 1);
        if (awayFrom is { } other)
            while (new Ipv4Network(start, prefix).Overlaps(other)) start += size;
        return new Ipv4Network(start, prefix).ToString();
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
