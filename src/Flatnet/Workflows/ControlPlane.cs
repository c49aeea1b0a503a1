using Flatnet.Addressing;
using Flatnet.Bundles;
using Flatnet.Deploy;
using Flatnet.Pki;
using Flatnet.Verification;

namespace Flatnet.Workflows;

/// <summary>
/// The entry points the Cake tasks call, one line each: every task body in build/tasks/*.cake is one call here, and
/// each call is one workflow method. The workflows share a <see cref="FlatnetContext"/> (what a Frosting
/// BuildContext would hold), so a move to Cake.Frosting wraps these lines in FrostingTask classes and nothing else.
/// </summary>
public sealed class ControlPlane(FlatnetContext context)
{
    public ControlPlane(Workspace workspace, IReporter log) : this(new FlatnetContext(workspace, log)) { }

    public FlatnetContext Context => context;

    public string DescribePlan() => PlanReport.Describe(context.Plan);
    public bool InitCa() => new Certificates(context).InitCa();
    public IReadOnlyList<string> FetchNebula(string? versions) => context.Releases.FetchAll(versions, context.Log);

    public CertOutcome GenerateCert(string host, bool force = false, string? publicKey = null) => new Certificates(context).Generate(host, force, publicKey);
    public BundleOutcome PackageBundle(string host) => new Packaging(context).Package(host);
    public void DeployHost(string host) => new Provisioning(context).Deploy(host);
    public void ConfigureRouting(string host) => new Provisioning(context).ConfigureRouting(host);
    public PeerRollout UpdatePeers(string host) => AddHostSteps.UpdatePeers(context, host);
    public PingMatrix VerifyPing(IEnumerable<string>? hosts = null) => new PingVerification(context).Verify(hosts);
    public IReadOnlyList<DoctorFinding> Doctor(string host) => new Doctor(context).Examine(host);
    public IReadOnlyList<HostStatus> Status(bool json = false) => new Status(context).Read(json);
    public PingMatrix AddHost(string host) => AddHostSteps.Run(context, host);
    public void Provision(string host) => AddHostSteps.Provision(context, host);

    public string RevokeHost(string host) => new Revocation(context).Revoke(host);
    public RemovalOutcome RemoveHost(string host, bool deleteInventory = false) => new Removal(context).Remove(host, deleteInventory);
    public IReadOnlyList<CertificateDue> CheckCerts(string days) => new Certificates(context).Check(days);
    public IReadOnlyList<CertificateDue> CheckCerts(int minimumDays) => new Certificates(context).Check(minimumDays);
    public CertOutcome RenewCert(string host) => new Certificates(context).Renew(host);
    public CaRotationState RotateCa(bool manualStepsDone = false, bool startNew = false, int waveSize = 1) => new CaRotation(context).Rotate(manualStepsDone, startNew, waveSize);

    public IReadOnlyList<string> RenderAll() => new Packaging(context).RenderAll();
    public IReadOnlyList<PackedHost> PackageAll() => new Packaging(context).PackageAll();
    public IReadOnlyList<string> Rollout(IEnumerable<string>? hosts = null, int waveSize = 1) => new Rollout(context).Run(hosts, waveSize);
    public ReleaseOutcome Release(string? version, bool includeKeys = false) => new Releasing(context).Release(version, includeKeys);
}
