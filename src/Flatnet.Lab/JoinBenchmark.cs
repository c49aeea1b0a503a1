using System.Diagnostics;
using Flatnet.Addressing;
using Flatnet.Output;
using Flatnet.Provisioning;

namespace Flatnet.Lab;

/// <summary>
/// Benchmark --part=join: from a bare PC to a verified mesh, split by step. Two hosts run already; the third is a
/// machine nobody prepared (no sshd, no host key, no key authorized). Its join script is written here, run there as
/// root, its reply pinned here; then AddHost's steps one by one, the peers brought to it, and the proof. No peer
/// publishes such a figure. Figures, never assertions.
/// </summary>
public static class JoinBenchmark
{
    public static IReadOnlyList<BenchFigure> Run(Workspace source, string dir, IReporter quiet, HostAddresses first, HostAddresses second, HostAddresses third)
    {
        var figures = new List<BenchFigure>();
        using var lab = LabNetwork.Build(source, Path.Combine(dir, "lab-join"), quiet, new LabOptions { Enrolled = [first.Name, second.Name] });
        using (var running = new FlatnetContext(lab.Workspace, quiet))
        {
            foreach (var h in new[] { first.Name, second.Name }) HostPipeline.Provision(running, h);
            MeshVerification.Verify(running);
        }
        var config = lab.Faults.MakeBare(third.Name);
        lab.Enroll(third.Name);
        var pc = lab.Hosts.Single(h => h.Name == third.Name);
        var total = Stopwatch.StartNew();
        double Step(string what, Action step, string note = "")
        {
            var watch = Stopwatch.StartNew();
            step();
            figures.Add(new($"join to first ping: {what}", watch.Elapsed.TotalSeconds, "s", note));
            return watch.Elapsed.TotalSeconds;
        }
        string? script = null, reply = null;
        Step("Join writes the join script", () => script = new ControlPlane(lab.Workspace, quiet).Join(third.Name).Script);
        Step("join.sh on the bare PC (host key, deploy key, sshd)", () =>
            reply = pc.Host.Run("env", $"FLATNET_SSHD_CONFIG={config}", "sh", script!).StdOut.Trim().Split('\n')[^1]);
        Step("Join --reply pins it", () => new ControlPlane(lab.Workspace, quiet).JoinReply(third.Name, reply!));
        using (var context = new FlatnetContext(lab.Workspace, quiet))
        {
            foreach (var step in HostPipeline.Steps)
                Step($"AddHost: {step}", () => HostPipeline.Run(context, step, third.Name));
            Step("AddHost: its peers brought to it", () => PeerConvergence.Update(context, third.Name));
            var pings = 0;
            Step("AddHost: the proof (VerifyPing)", () => pings = MeshVerification.Verify(context).Results.Count);
            figures.Add(new("join to first ping: total, bare PC to a verified mesh", total.Elapsed.TotalSeconds, "s", $"{pings} pings answered at the end"));
        }
        return figures;
    }
}
