using Flatnet.Pki;
using Flatnet.Verification;

namespace Flatnet.Workflows;

/// <summary>
/// The library's front door: the Cake adapter runs each task through <see cref="Run"/>, and the tests and the lab
/// call the typed entry points below, one line each into the task of that name, and get its outcome back.
/// </summary>
public sealed class ControlPlane(FlatnetContext context) : IDisposable
{
    public ControlPlane(Workspace workspace, IReporter log, TaskArguments? arguments = null)
        : this(new FlatnetContext(workspace, log) { Arguments = arguments ?? TaskArguments.None }) { }

    public FlatnetContext Context => context;

    /// <summary>Runs one task's body as the graph does (Cake runs its dependencies first); a writing task holds the locks first.</summary>
    public void Run(FlatnetTask task)
    {
        try
        {
            if (task.Writes) context.ForWriting(task.Name, task.NeedsValidInventory);
            task.Run(context);
        }
        catch (Exception e) when (Plain(e) is { } plain)
        {
            throw plain;
        }
    }

    /// <summary>
    /// What a person reads instead of .NET's words when the disk or the system refuses (no room, no permission, a file
    /// in the way) or parallel work fails: the problem in plain words, never a type name or "One or more errors occurred".
    /// </summary>
    private static FlatnetException? Plain(Exception e) => e switch
    {
        AggregateException a when a.Flatten().InnerExceptions is var inner && inner.Count > 0 =>
            inner.Select(Plain).FirstOrDefault(p => p is not null) ?? inner.OfType<FlatnetException>().FirstOrDefault(),
        IOException or UnauthorizedAccessException => new FlatnetException($"the system refused a file operation: {e.Message}",
            fix: "check that the folder is yours, writable, and that the disk has room; nothing half-written was kept", inner: e),
        _ => null,
    };

    /// <summary>The Cake run is over (its teardown): every host's connection closes.</summary>
    public void Dispose() => context.Dispose();

    /// <summary>A typed entry that writes: the run holds the locks first, as <see cref="Run"/> does; its connections close at its end.</summary>
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

    public string DescribePlan() => PlanTask.Describe(context.Plan);
    public bool InitCa() => Writing("InitCa", () => InitCaTask.InitCa(context));
    public IReadOnlyList<string> Init(InitChoices choices) => Writing("Init", () => InitTask.Init(context, choices));
    public JoinOutcome Join(string host, string? address = null, string? os = null, string? home = null) => Writing("Join", () => JoinTask.Prepare(context, host, address, os, home), needsPlan: false);
    public JoinOutcome JoinReply(string host, string reply) => Writing("Join", () => JoinTask.Answer(context, host, reply), needsPlan: false);

    public CertOutcome GenerateCert(string host, bool force = false, string? publicKey = null) => Writing("GenerateCert", () => GenerateCertTask.Generate(context, host, force, publicKey));
    public BundleOutcome PackageBundle(string host) => Writing("PackageBundle", () => PackageBundleTask.Package(context, host));
    public void DeployHost(string host) => Writing("DeployHost", () => new DeployHostTask().Run(context, host));
    public void ConfigureRouting(string host) => Writing("ConfigureRouting", () => new ConfigureRoutingTask().Run(context, host));
    public void UpdatePeers(string host) => Writing("UpdatePeers", () => new UpdatePeersTask().Run(context, host));
    public PingMatrix VerifyPing(IEnumerable<string>? hosts = null) => Reading(() => VerifyPingTask.Verify(context, hosts));
    public IReadOnlyList<DoctorFinding> Doctor(string host) => Reading(() => DoctorTask.Examine(context, host));
    public IReadOnlyList<HostStatus> Status(bool json = false) => Reading(() => StatusTask.Read(context, json));
    public PingMatrix AddHost(string host) => Writing("AddHost", () => AddHostTask.Add(context, host));
    public void Provision(string host) => Writing("AddHost", () => AddHostTask.Provision(context, host));

    public string RevokeHost(string host) => Writing("RevokeHost", () => RevokeHostTask.Revoke(context, host));
    public RemovalOutcome RemoveHost(string host, bool deleteInventory = false) => Writing("RemoveHost", () => RemoveHostTask.Remove(context, host, deleteInventory));
    public IReadOnlyList<CertificateDue> CheckCerts(int minimumDays) => CheckCertsTask.Check(context, minimumDays);
    public CertOutcome RenewCert(string host) => Writing("RenewCert", () => RenewCertTask.Renew(context, host));
    public CaRotationState RotateCa(bool manualStepsDone = false, bool startNew = false, int waveSize = 1) => Writing("RotateCa", () => RotateCaTask.Rotate(context, manualStepsDone, startNew, waveSize));

    public IReadOnlyList<string> RenderAll() => Writing("RenderAll", () => RenderAllTask.RenderAll(context));
    public IReadOnlyList<PackedHost> PackageAll() => Writing("PackageAll", () => PackageAllTask.PackageAll(context));
    public IReadOnlyList<string> Rollout(IEnumerable<string>? hosts = null, int waveSize = 1) => Writing("Rollout", () => RolloutTask.Roll(context, hosts, waveSize));
    public ReleaseOutcome Release(string? version, bool includeKeys = false) => Writing("Release", () => ReleaseTask.Release(context, version, includeKeys));
}
