using Flatnet.Pki;
using Flatnet.Verification;

namespace Flatnet.Workflows;

/// <summary>
/// The library's front door: the Cake adapter runs each task through <see cref="Run"/>, and the tests and the lab
/// call the typed entry points below, one line each into the task of that name, and get its outcome back.
/// </summary>
public sealed class ControlPlane(FlatnetContext context)
{
    public ControlPlane(Workspace workspace, IReporter log, TaskArguments? arguments = null)
        : this(new FlatnetContext(workspace, log) { Arguments = arguments ?? TaskArguments.None }) { }

    public FlatnetContext Context => context;

    /// <summary>Runs one task's body as the graph does (Cake runs its dependencies first).</summary>
    public void Run(FlatnetTask task) => task.Run(context);

    public string DescribePlan() => PlanTask.Describe(context.Plan);
    public bool InitCa() => InitCaTask.InitCa(context);

    public CertOutcome GenerateCert(string host, bool force = false, string? publicKey = null) => GenerateCertTask.Generate(context, host, force, publicKey);
    public BundleOutcome PackageBundle(string host) => PackageBundleTask.Package(context, host);
    public void DeployHost(string host) => new DeployHostTask().Run(context, host);
    public void ConfigureRouting(string host) => new ConfigureRoutingTask().Run(context, host);
    public void UpdatePeers(string host) => new UpdatePeersTask().Run(context, host);
    public PingMatrix VerifyPing(IEnumerable<string>? hosts = null) => VerifyPingTask.Verify(context, hosts);
    public IReadOnlyList<DoctorFinding> Doctor(string host) => DoctorTask.Examine(context, host);
    public IReadOnlyList<HostStatus> Status(bool json = false) => StatusTask.Read(context, json);
    public PingMatrix AddHost(string host) => AddHostTask.Add(context, host);
    public void Provision(string host) => AddHostTask.Provision(context, host);

    public string RevokeHost(string host) => RevokeHostTask.Revoke(context, host);
    public RemovalOutcome RemoveHost(string host, bool deleteInventory = false) => RemoveHostTask.Remove(context, host, deleteInventory);
    public IReadOnlyList<CertificateDue> CheckCerts(int minimumDays) => CheckCertsTask.Check(context, minimumDays);
    public CertOutcome RenewCert(string host) => RenewCertTask.Renew(context, host);
    public CaRotationState RotateCa(bool manualStepsDone = false, bool startNew = false, int waveSize = 1) => RotateCaTask.Rotate(context, manualStepsDone, startNew, waveSize);

    public IReadOnlyList<string> RenderAll() => RenderAllTask.RenderAll(context);
    public IReadOnlyList<PackedHost> PackageAll() => PackageAllTask.PackageAll(context);
    public IReadOnlyList<string> Rollout(IEnumerable<string>? hosts = null, int waveSize = 1) => RolloutTask.Roll(context, hosts, waveSize);
    public ReleaseOutcome Release(string? version, bool includeKeys = false) => ReleaseTask.Release(context, version, includeKeys);
}
