using Flatnet.Verification;
using Flatnet.Provisioning;
using Flatnet.Output;

namespace Flatnet.Lab;

/// <summary>
/// Target Lab: builds the lab, then adds the inventory's hosts one at a time with the real AddHost chain
/// (GenerateCert, PackageBundle, DeployHost over SSH, ConfigureRouting, UpdatePeers, VerifyPing), so every host
/// after the first joins a running mesh. With managed lighthouses, AddHost deploys each lighthouse first, over SSH
/// like a host. Tears everything down at the end unless asked to keep it.
/// </summary>
public static class LabRunner
{
    /// <returns>The matrix the last AddHost proved, and the lab's id (its namespaces are fn-ID-...; a kept lab stays until LabClean).</returns>
    /// <param name="windows">hosts that are Windows stand-ins (<see cref="LabWindows"/>).</param>
    public static (PingMatrix Matrix, string LabId) Run(Workspace source, IReporter log, bool keep, bool installPackages, LabVersions? versions = null, bool managedLighthouses = false,
        IReadOnlyCollection<string>? windows = null)
    {
        LabPrerequisites.Ensure(log, installPackages);
        versions ??= LabVersions.MachineDefault;
        log.Info($"lab: Nebula versions: {versions}");
        var lab = LabNetwork.Build(source, Path.Combine(source.ArtifactsDirectory, "lab"), log, new LabOptions { Enrolled = [], Versions = versions, ManagedLighthouses = managedLighthouses, Windows = windows ?? [] });
        try
        {
            var matrix = new PingMatrix([]);
            foreach (var lighthouse in managedLighthouses ? lab.Lighthouses : [])
            {
                log.Info($"lab: AddHost {lighthouse.Name} (a managed lighthouse)");
                using var context = new FlatnetContext(lab.Workspace, log);
                HostPipeline.Add(context, lighthouse.Name, table: false);
            }
            // Each AddHost proves the mesh it makes; only the last one's table is printed, the proof of the whole lab.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using (var progress = Progress.Start("lab: hosts added", lab.Hosts.Count, log)) // live on a terminal, below the lines
                foreach (var host in lab.Hosts)
                {
                    lab.Enroll(host.Name);
                    log.Info($"lab: AddHost {host.Name} ({lab.Hosts.ToList().IndexOf(host) + 1} of {lab.Hosts.Count}, {clock.Elapsed.TotalSeconds:0} s so far)");
                    using var context = new FlatnetContext(lab.Workspace, log);
                    matrix = HostPipeline.Add(context, host.Name, table: host == lab.Hosts[^1]);
                    progress.Step(host.Name);
                }
            log.Info($"lab: all {lab.Hosts.Count} hosts{(lab.Hosts.Any(h => h.Wsl is not null) ? " and their WSL2" : "")} reach each other ({matrix.Results.Count} pings).");
            // Each host's own watcher (scripts/direct-paths) reads its Nebula's tunnels, whatever the release writes.
            var direct = new DirectByItself(lab);
            var reading = lab.Hosts.Count(h => lab.Hosts.Where(o => o != h).All(o => direct.Tunnel(h.Name, o.Name, byScript: true).StartsWith("direct ", StringComparison.Ordinal)));
            log.Info($"lab: {reading} of {lab.Hosts.Count} hosts' own watchers read every tunnel of theirs as direct (scripts/direct-paths: between runs they move relayed ones by themselves).");
            return (matrix, lab.Id);
        }
        finally
        {
            if (keep)
            {
                lab.Keep();
                log.Info("lab: kept running. Look around with:");
                foreach (var l in lab.Lighthouses)
                    log.Info($"  ip netns exec {l.Namespace.Name} bash   # {Inventory.Lighthouse.CalledFor(l.Name)} ({l.Underlay})");
                foreach (var h in lab.Hosts)
                    log.Info($"  ip netns exec {h.Host.Name} bash   # {h.Name} ({h.Underlay}){(h.Wsl is null ? "" : $"; its WSL2: ip netns exec {h.Wsl.Name} bash")}");
                log.Info($"  ./build.sh --target=VerifyPing --inventory={Workspace.Relative(lab.InventoryDirectory)} --artifacts={Workspace.Relative(lab.Workspace.ArtifactsDirectory)}");
                log.Info("  ./build.sh --target=LabClean   # removes it, and what any interrupted lab left (--all: other checkouts' kept labs too)");
            }
            else
            {
                lab.Dispose();
                log.Info("lab: torn down (namespaces, nebula and sshd processes, links).");
            }
        }
    }
}
