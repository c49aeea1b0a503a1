using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>VerifyPing: the ping matrix over the mesh (<see cref="MeshVerification"/>).</summary>
[TaskName("VerifyPing")]
[TaskDescription("Ping matrix: hosts and WSL2s to every other host's Nebula IP and WSL2, and every name of the mesh resolved from each; table + artifacts/verify/ping-matrix.json, and ping.prom (Prometheus; --metrics=FILE there too).")]
public sealed class VerifyPingTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["json", "metrics"];
    public override bool Writes => false;

    public override void Run(FlatnetContext context) => MeshVerification.Verify(context);
}
