using Flatnet.Verification;

namespace Flatnet.Workflows;

/// <summary>
/// AddHost: the one command that puts a host in the mesh, declared as its dependencies only, as Cake runs them:
/// GenerateCert -> PackageBundle -> DeployHost -> ConfigureRouting -> UpdatePeers, then VerifyPing. Rollout, the lab
/// and the benchmark run the same chain (<see cref="FlatnetTasks.Chain"/>), so they cannot drift apart.
/// </summary>
public sealed class AddHostTask : HostTask
{
    public override string Name => "AddHost";
    public override string Description => "Put --host in the mesh: GenerateCert -> PackageBundle -> DeployHost -> ConfigureRouting -> UpdatePeers -> VerifyPing.";
    public override IReadOnlyList<string> DependsOn => ["UpdatePeers", "VerifyPing"];
    public override bool HasBody => false;

    public override void Run(FlatnetContext context, string host) => Add(context, host);

    /// <summary>The steps before this one, in order (the last, VerifyPing, runs over the mesh, not one host).</summary>
    public static IReadOnlyList<FlatnetTask> Steps => FlatnetTasks.Chain("AddHost").SkipLast(1).ToList();

    /// <summary>The steps that make one host run (the others then learn of it): GenerateCert to ConfigureRouting.</summary>
    public static IEnumerable<HostTask> ProvisionSteps => Steps.TakeWhile(s => s is not UpdatePeersTask).Cast<HostTask>();

    public static void Provision(FlatnetContext context, string host)
    {
        foreach (var step in ProvisionSteps) step.Run(context, host);
    }

    /// <summary>Every step in order; the last, VerifyPing, is run here for its matrix, the proof AddHost hands back.</summary>
    public static PingMatrix Add(FlatnetContext context, string host)
    {
        foreach (var step in Steps.OfType<HostTask>()) step.Run(context, host);
        return VerifyPingTask.Verify(context);
    }
}
