using Flatnet.Provisioning;
using Flatnet.Addressing;
using Flatnet.Verification;
using Flatnet.Versions;
using Flatnet.Output;

namespace Flatnet.Lab;

/// <summary>
/// Relays cost: per Nebula release, two hosts behind cone NAT (what most home and office routers do) with
/// use_relays: true, and a third on the LAN. After the pings that make the tunnels, and time for hole punching to
/// win or lose against the relay, it reads from host-a's Nebula whether its tunnel to host-b ended direct or relayed,
/// and measures that pair's throughput against the host-a - host-c pair. Then every Nebula restarts behind routers that
/// forgot their mappings, and it reads on the hosts how long their own watchers take to get both pairs direct with no
/// flatnet command (<see cref="DirectByItself"/>). Figures, never assertions.
/// </summary>
public static class RelayBenchmark
{
    /// <summary>How long the tunnels get to settle after the first pings (punchy retries, relay handover).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    /// <summary>How long the watchers get after the restart before a pair is called still relayed.</summary>
    public static readonly TimeSpan AfterRestartLimit = TimeSpan.FromSeconds(120);

    public static IReadOnlyList<BenchFigure> Run(Workspace source, string dir, IReporter quiet, Func<NetworkNamespace, string, (double Mbps, long Retransmits)> iperf)
    {
        var plan = AddressPlan.Load(source.InventoryDirectory);
        var trio = plan.Pcs.Take(3).ToList();
        if (trio.Count < 3) throw new FlatnetException("the relay benchmark needs three hosts in the inventory", fix: "run it on the example inventory (hosts/)");
        var (a, b, c) = (trio[0], trio[1], trio[2]);
        var figures = new List<BenchFigure>();
        foreach (var version in NebulaVersion.Tested)
        {
            var options = new LabOptions
            {
                Enrolled = [a.Name, b.Name, c.Name], Versions = new LabVersions([version], version),
                Nat = new Dictionary<string, LabNat> { [a.Name] = LabNat.Cone, [b.Name] = LabNat.Cone },
            };
            using var lab = LabNetwork.Build(source, Path.Combine(dir, $"relays-{version}"), quiet, options);
            using var context = new FlatnetContext(lab.Workspace, quiet);
            foreach (var h in trio) HostPipeline.Provision(context, h.Name);
            MeshVerification.Verify(context);
            Thread.Sleep(Settle);
            MeshVerification.Verify(context, [a.Name]); // traffic again: a tunnel that can go direct has had every chance
            var tunnels = Tunnels(context, a.Name);
            var labB = lab.Hosts.Single(h => h.Name == b.Name);
            var labC = lab.Hosts.Single(h => h.Name == c.Name);
            labB.Host.Run("iperf3", "-s", "-D");
            labC.Host.Run("iperf3", "-s", "-D");
            var labA = lab.Hosts.Single(h => h.Name == a.Name);
            var conePair = iperf(labA.Host, b.OverlayAddress);
            var lanPair = iperf(labA.Host, c.OverlayAddress);
            var coneState = tunnels.Of(b.OverlayAddress);
            figures.Add(new($"Nebula {version}: cone-NAT pair, use_relays: true", conePair.Mbps, "Mbit/s", $"ends {Kind(coneState)} ({coneState})"));
            figures.Add(new($"Nebula {version}: NAT host to LAN host", lanPair.Mbps, "Mbit/s", $"{Kind(tunnels.Of(c.OverlayAddress))} ({tunnels.Of(c.OverlayAddress)})"));
            // Then a power cut, the hosts' own traffic, and no flatnet command: the hosts' watchers alone.
            var direct = new DirectByItself(lab);
            var restarted = direct.PowerCut([(b.Name, a.Name), (c.Name, a.Name)]);
            var watch = direct.UntilDirect(restarted, [(a.Name, b.Name), (a.Name, c.Name)], AfterRestartLimit);
            foreach (var (pair, label) in new[] { ($"{a.Name} - {b.Name}", "cone-NAT pair"), ($"{a.Name} - {c.Name}", "NAT-to-LAN pair") })
                figures.Add(watch.DirectAt.TryGetValue(pair, out var at)
                    ? new($"Nebula {version}: {label}, after a restart, no flatnet command", at.TotalSeconds, "s", $"direct within {at.TotalSeconds:F0} s{(watch.CameUpRelayed ? " (came up relayed)" : "")}")
                    : new($"Nebula {version}: {label}, after a restart, no flatnet command", watch.Elapsed.TotalSeconds, "s", $"still relayed after {watch.Elapsed.TotalSeconds:F0} s"));
        }
        return figures;
    }

    private static TunnelStates Tunnels(FlatnetContext context, string host)
    {
        var connection = context.Connection(context.Plan.Host(host));
        return context.Admin is { } admin ? TunnelStates.Read(connection, admin).States ?? TunnelStates.Unknown : TunnelStates.Unknown;
    }

    private static string Kind(string state) =>
        state.StartsWith("relayed", StringComparison.Ordinal) ? "relayed" : state.StartsWith("direct", StringComparison.Ordinal) ? "direct" : "unknown";
}
