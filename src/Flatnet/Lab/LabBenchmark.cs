using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flatnet.Inventory;
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
    public static IReadOnlyList<BenchFigure> Run(Workspace source, IReporter log, bool installPackages)
    {
        LabPrerequisites.Ensure(log, installPackages);
        if (LabPrerequisites.Which("iperf3") is null)
        {
            if (!installPackages) throw new FlatnetException("the benchmark needs iperf3.\n    fix: apt-get install -y iperf3");
            ProcessRunner.Run("apt-get", ["install", "-y", "-qq", "iperf3"], timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("apt-get install iperf3");
        }
        var quiet = new RecordingReporter();
        var figures = new List<BenchFigure>();
        var dir = Path.Combine(source.ArtifactsDirectory, "bench");
        SafeFiles.DeleteOwnedDirectory(dir);
        SafeFiles.CreateOwnedDirectory(dir);

        using (var lab = LabNetwork.Build(source, Path.Combine(dir, "lab"), quiet, enrolled: ["host-a", "host-b"]))
        {
            var control = new ControlPlane(lab.Workspace, quiet);
            foreach (var h in new[] { "host-a", "host-b" }) control.Provision(h);
            control.VerifyPing();
            var a = lab.Hosts.Single(h => h.Name == "host-a");
            var b = lab.Hosts.Single(h => h.Name == "host-b");
            b.Host.Run("iperf3", "-s", "-D");
            b.WslNamespace.Run("iperf3", "-s", "-D");

            log.Info("bench: throughput and latency (iperf3 3 s, 200 pings)");
            var underlay = Iperf(a.Host, b.Underlay);
            var ours = Iperf(a.Host, "10.100.2.1");
            var wsl = Iperf(a.WslNamespace, "10.101.2.1");
            figures.Add(new("throughput host->host, underlay", underlay.Mbps, "Mbit/s", $"{underlay.Retransmits} retransmits"));
            figures.Add(new("throughput host->host, flatnet config", ours.Mbps, "Mbit/s", $"{ours.Retransmits} retransmits"));
            figures.Add(new("throughput WSL->remote WSL, flatnet config", wsl.Mbps, "Mbit/s", $"{wsl.Retransmits} retransmits"));
            var (underMedian, underP99) = Latency(a.Host, b.Underlay);
            var (nebMedian, nebP99) = Latency(a.Host, "10.100.2.1");
            figures.Add(new("ping latency added by the tunnel, median", nebMedian - underMedian, "ms", $"underlay {underMedian:0.000}, nebula {nebMedian:0.000}"));
            figures.Add(new("ping latency added by the tunnel, p99", nebP99 - underP99, "ms", $"underlay {underP99:0.000}, nebula {nebP99:0.000}"));

            // The same two hosts with Nebula's own data-path defaults, restarted in place.
            var plan = control.Plan();
            foreach (var host in new[] { a, b })
            {
                var model = HostModel.ForHost(plan, plan.Host(host.Name));
                File.WriteAllText(model.Paths.Config, control.Renderer.RenderConfig(model with { Tuning = Tuning.NebulaDefaults }));
                host.Host.KillAll("nebula");
                host.Host.Start(model.Paths.Log, model.Paths.NebulaBinary, "-config", model.Paths.Config);
            }
            WaitForPing(a.Host, "10.100.2.1");
            var defaults = Iperf(a.Host, "10.100.2.1");
            figures.Add(new("throughput host->host, Nebula defaults", defaults.Mbps, "Mbit/s", $"{defaults.Retransmits} retransmits"));
            figures.Add(new("flatnet config / Nebula defaults", ours.Mbps / defaults.Mbps, "x"));
            figures.Add(new("flatnet config / underlay", ours.Mbps / underlay.Mbps, "x"));

            log.Info("bench: AddHost and WSL2 repair");
            a.Host.KillAll("nebula"); // started by hand above; the redeploy below starts flatnet's own again
            b.Host.KillAll("nebula");
            lab.Enroll("host-c");
            var watch = Stopwatch.StartNew();
            new ControlPlane(lab.Workspace, quiet).AddHost("host-c");
            figures.Add(new("AddHost host-c, start to verified mesh", watch.Elapsed.TotalSeconds, "s", "3 hosts, includes UpdatePeers"));
            figures.Add(new("WSL2 address change repair", WslRepair(lab), "s", "watch interval 5 s"));
        }

        log.Info("bench: Rollout of 3 and 10 lab hosts");
        figures.Add(new("Rollout, 3 lab hosts (waves of 1)", TimeRollout(source, dir, 3, quiet), "s"));
        figures.Add(new("Rollout, 10 lab hosts (waves of 5)", TimeRollout(source, dir, 10, quiet, waveSize: 5), "s"));

        log.Info("bench: RenderAll and PackageAll of 1,000 generated hosts");
        var big = GeneratedInventory(source, Path.Combine(dir, "inventory-1000"), 1000);
        var bigControl = new ControlPlane(big, quiet);
        var timer = Stopwatch.StartNew();
        bigControl.RenderAll();
        figures.Add(new("RenderAll, 1,000 hosts", timer.Elapsed.TotalSeconds, "s"));
        timer.Restart();
        bigControl.PackageAll();
        figures.Add(new("PackageAll, 1,000 hosts (sign + nebula -test + zip)", timer.Elapsed.TotalSeconds, "s"));
        SafeFiles.DeleteOwnedDirectory(big.Root);

        Write(dir, figures, log);
        return figures;
    }

    private static (double Mbps, long Retransmits) Iperf(NetworkNamespace from, string target)
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
    private static double WslRepair(LabNetwork lab)
    {
        var a = lab.Hosts.Single(h => h.Name == "host-a");
        var b = lab.Hosts.Single(h => h.Name == "host-b");
        var watch = Stopwatch.StartNew();
        lab.RestartWsl("host-a", 9);
        while (!a.Host.Run("ip", "-4", "route", "show", "exact", "10.101.1.0/24").StdOut.Contains($"via {LabNetwork.WslNetwork}.9 ")
               || b.Host.Try("ping", "-c", "1", "-W", "1", "10.101.1.1").ExitCode != 0)
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
            new ControlPlane(lab.Workspace, log).Rollout(waveSize: waveSize);
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
        var network = File.ReadAllText(Path.Combine(source.InventoryDirectory, InventoryLoader.NetworkFileName));
        if (count > 250)
            network = network.Replace("overlay: 10.100.0.0/16", "overlay: 10.100.0.0/14").Replace("routed_pool: 10.101.0.0/16", "routed_pool: 10.104.0.0/14");
        File.WriteAllText(Path.Combine(hosts, InventoryLoader.NetworkFileName), network);
        for (var i = 1; i <= count; i++)
            File.WriteAllText(Path.Combine(hosts, $"pc-{i:0000}.yaml"),
                $"name: pc-{i:0000}\nindex: {i}\nos: windows\ndeploy:\n  transport: ssh\n  address: 198.18.0.{10 + i % 240}\n  user: flatnet\n");
        foreach (var template in Directory.GetFiles(source.TemplatesDirectory))
        {
            Directory.CreateDirectory(Path.Combine(root, "templates"));
            File.Copy(template, Path.Combine(root, "templates", Path.GetFileName(template)));
        }
        return Workspace.At(root);
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
        log.Info($"benchmark ({InventoryLoader.Display(Path.Combine(dir, "results.md"))}):\n" + md.ToString().TrimEnd());
    }
}
