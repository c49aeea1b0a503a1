using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Pki;
using Flatnet.Rendering;
using Flatnet.Tools;
using Flatnet.Verification;
using Flatnet.Versions;

namespace Flatnet.Workflows;

/// <summary>
/// What every workflow works with, as a Frosting <c>BuildContext</c> would hold it: the workspace, the reporter, the
/// inventory loaded into an address plan (once: a bad inventory stops every task before any write), and the located
/// tools. Workflows take it in their constructor; nothing else is shared between them.
/// </summary>
public sealed class FlatnetContext
{
    private AddressPlan? _plan;
    private NebulaCert? _nebulaCert;
    private Nebula? _nebula;
    private HostRenderer? _renderer;
    private AdminInterface? _admin;
    private RunMemo _memo = new();

    public FlatnetContext(Workspace workspace, IReporter log)
    {
        workspace.Validate();
        Workspace = workspace;
        Log = log;
    }

    public Workspace Workspace { get; }
    public IReporter Log { get; }

    /// <summary>The inventory as an address plan: loaded and validated on first use, its warnings said once.</summary>
    public AddressPlan Plan
    {
        get
        {
            if (_plan is not null) return _plan;
            _plan = AddressPlan.Build(InventoryLoader.Load(Workspace.InventoryDirectory));
            foreach (var w in _plan.Warnings) Log.Warn(w);
            // The artifacts folder must be flatnet's before any task starts (it is marked at the first write).
            SafeFiles.ClaimArtifacts(Workspace.ArtifactsDirectory, mark: false);
            return _plan;
        }
    }

    /// <summary>The inventory changed under us (RevokeHost wrote the blocklist): the next use of <see cref="Plan"/> reads it again.</summary>
    public void InventoryChanged() => _plan = null;

    public NebulaCert NebulaCert =>
        _nebulaCert ??= NebulaCert.Locate(new ToolLocator(Workspace.ToolsDirectory), Plan.Inventory.Network.Nebula.CertTool);

    public Nebula Nebula => _nebula ??= Nebula.Locate(new ToolLocator(Workspace.ToolsDirectory));

    public HostRenderer Renderer => _renderer ??= new HostRenderer(new TemplateRenderer(Workspace.TemplatesDirectory));

    public NebulaReleases Releases => new(Workspace.ToolsDirectory);

    /// <summary>The nebula binary at a path, one instance per run, so its version is asked once however many hosts it checks.</summary>
    public Nebula NebulaAt(string path) => _memo.Nebulas.GetOrAdd(path, p => new Nebula(p));

    /// <summary>nebula.windows.release's files, read (and their SHA-256 checked) once per run for every Windows host.</summary>
    public IReadOnlyList<RenderedFile> WindowsReleaseFiles(WindowsNebula settings, string networkFile) =>
        _memo.WindowsRelease.GetOrAdd(settings.Release ?? "", _ => Bundles.WindowsRelease.Files(settings, networkFile));

    /// <summary>The Windows release's files as one fingerprint, once per run ("" without a release).</summary>
    public string WindowsReleaseFingerprint(WindowsNebula settings, string networkFile) => settings.Release is null ? ""
        : _memo.WindowsReleaseDigest.GetOrAdd(settings.Release, _ => Bundles.BundleInputs.OfFiles(WindowsReleaseFiles(settings, networkFile)));

    /// <summary>The templates' SHA-256 (names and contents), once per run: part of every bundle's inputs.</summary>
    public string TemplatesFingerprint => _memo.Templates ??= Bundles.BundleInputs.OfFolder(Workspace.TemplatesDirectory);

    /// <summary>What one run asks once and every worker shares: tool instances, the Windows release, the templates' hash.</summary>
    private sealed class RunMemo
    {
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, Nebula> Nebulas = new();
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<RenderedFile>> WindowsRelease = new();
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> WindowsReleaseDigest = new();
        public string? Templates;
    }

    /// <summary>Nebula's admin interface on every host (null when network.yaml turns it off): its key is made on first use.</summary>
    public AdminInterface? Admin => Plan.Inventory.Network.Nebula.AdminPort == 0 ? null
        : _admin ??= AdminInterface.Ensure(Plan.Inventory.Network.Ca, Plan.Inventory.Network.Nebula.AdminPort, Log);

    /// <summary>The CA, and what the configs trust while a CA rotation (hosts/ca-rotation.json) is under way.</summary>
    public CertificateAuthority Ca => new(NebulaCert, Plan.Inventory.Network.Ca, Plan.Daemons, Log, CaRotationState.Load(Workspace.InventoryDirectory));

    /// <summary>The one typed model a host's files are rendered from.</summary>
    public HostModel Model(HostAddresses host) => HostModel.ForHost(Plan, host, Admin);

    /// <summary>Marks the artifacts folder as flatnet's at the first write (<see cref="Plan"/> has checked it may be).</summary>
    public void ClaimArtifacts() => SafeFiles.ClaimArtifacts(Workspace.ArtifactsDirectory);

    /// <summary>
    /// The same context speaking through another reporter, for work done in parallel: the plan and tools are resolved
    /// here, once, before the threads start, and shared read-only.
    /// </summary>
    public FlatnetContext ForWorkers(IReporter log)
    {
        _ = Plan; _ = NebulaCert; _ = Nebula; _ = Renderer; _ = Admin; _ = TemplatesFingerprint;
        return new FlatnetContext(resolved: this, log);
    }

    private FlatnetContext(FlatnetContext resolved, IReporter log) : this(resolved.Workspace, log)
    {
        _plan = resolved._plan;
        _nebulaCert = resolved._nebulaCert;
        _nebula = resolved._nebula;
        _renderer = resolved._renderer;
        _admin = resolved._admin;
        _memo = resolved._memo;
    }
}
