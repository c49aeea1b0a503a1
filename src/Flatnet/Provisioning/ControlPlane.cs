using Flatnet.Pki;
using Flatnet.Verification;
using Flatnet.Output;

namespace Flatnet.Provisioning;

/// <summary>
/// The provisioning core as a program calls it (the tests, the lab, a pipeline of one's own): typed entry points, one
/// line each into the service that does the work, each its own run (the locks first when it writes, its connections
/// closed at its end), and the outcome back. The Cake tasks call the same services.
/// </summary>
public sealed class ControlPlane(FlatnetContext context) : IDisposable
{
    public ControlPlane(Workspace workspace, IReporter log, TaskArguments? arguments = null)
        : this(new FlatnetContext(workspace, log) { Arguments = arguments ?? TaskArguments.None }) { }

    public FlatnetContext Context => context;

    public void Dispose() => context.Dispose();

    /// <summary>A typed entry that writes: the run holds the locks first, as a writing task does; its connections close at its end.</summary>
    private T Writing<T>(string task, Func<T> run, bool needsPlan = true) => Reading(() =>
    {
        context.ForWriting(task, needsPlan);
        return run();
    });

    /// <summary>A typed entry is one run: the connections it opened close at its end.</summary>
    private T Reading<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        finally
        {
            context.Dispose();
        }
    }

    private void Writing(string task, Action run) => Writing(task, () => { run(); return 0; });

    public string DescribePlan() => PlanReport.Describe(context.Plan);
    public bool InitCa() => Writing("InitCa", () => CaSetup.Init(context));
    public IReadOnlyList<string> Init(InitChoices choices) => Writing("Init", () => FleetInit.Init(context, choices));
    public JoinOutcome Join(string host, string? address = null, string? os = null, string? home = null) => Writing("Join", () => HostJoin.Prepare(context, host, address, os, home), needsPlan: false);
    public JoinOutcome JoinReply(string host, string reply) => Writing("Join", () => HostJoin.Answer(context, host, reply), needsPlan: false);

    public CertOutcome GenerateCert(string host, bool force = false, string? publicKey = null) => Writing("GenerateCert", () => HostPipeline.Certify(context, host, force, publicKey));
    public BundleOutcome PackageBundle(string host) => Writing("PackageBundle", () => HostPipeline.Package(context, host));
    public void DeployHost(string host) => Writing("DeployHost", () => HostPipeline.Run(context, HostStep.Install, host));
    public void ConfigureRouting(string host) => Writing("ConfigureRouting", () => HostPipeline.Run(context, HostStep.Route, host));
    public void UpdatePeers(string host) => Writing("UpdatePeers", () => PeerConvergence.Update(context, host));
    public PingMatrix VerifyPing(IEnumerable<string>? hosts = null) => Reading(() => MeshVerification.Verify(context, hosts));
    public IReadOnlyList<DoctorFinding> Doctor(string host) => Reading(() => HostDoctor.Examine(context, host));
    public IReadOnlyList<HostStatus> Status(bool json = false) => Reading(() => FleetStatus.Read(context, json));
    public PingMatrix AddHost(string host) => Writing("AddHost", () => HostPipeline.Add(context, host));
    public void Provision(string host) => Writing("AddHost", () => HostPipeline.Provision(context, host));

    public string RevokeHost(string host) => Writing("RevokeHost", () => Revocation.Revoke(context, host));
    public RemovalOutcome RemoveHost(string host, bool deleteInventory = false) => Writing("RemoveHost", () => HostRemoval.Remove(context, host, deleteInventory));
    public IReadOnlyList<CertificateDue> CheckCerts(int minimumDays) => CertificateExpiry.Check(context, minimumDays);
    public CertOutcome RenewCert(string host) => Writing("RenewCert", () => HostPipeline.Certify(context, host, force: true));
    public IReadOnlyList<string> RenewCerts(int withinDays = CertificateRenewal.WarnDays, int waveSize = 1) => Writing("RenewCerts", () => CertificateRenewal.Renew(context, withinDays, waveSize));
    public CaRotationState RotateCa(bool manualStepsDone = false, bool startNew = false, int waveSize = 1) => Writing("RotateCa", () => CaRotation.Rotate(context, manualStepsDone, startNew, waveSize));

    public IReadOnlyList<string> RenderAll() => Writing("RenderAll", () => FleetRendering.RenderAll(context));
    public IReadOnlyList<PackedHost> PackageAll() => Writing("PackageAll", () => FleetPackaging.PackageAll(context));
    public IReadOnlyList<string> Rollout(IEnumerable<string>? hosts = null, int waveSize = 1) => Writing("Rollout", () => Rollouts.Roll(context, hosts, waveSize));
    public ReleaseOutcome Release(string? version, bool includeKeys = false) => Writing("Release", () => FleetRelease.Release(context, version, includeKeys));
}
