using Flatnet.Bundles;
using Flatnet.Platforms;
using Flatnet.Transport;
using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Pki;
using Flatnet.Rendering;
using Flatnet.Tools;
using Flatnet.Versions;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// One run, as a Frosting <c>BuildContext</c> would hold it: the workspace, the reporter, the inventory loaded into an
/// address plan (once: a bad inventory stops every task before any write), the located tools, and each host of the run
/// (<see cref="HostRun"/>: its model and its one connection, closed when the run is disposed). Every task and service
/// of the run takes it; nothing else is shared between them.
/// </summary>
public sealed partial class FlatnetContext : IDisposable
{
    private AddressPlan? _plan;
    private NebulaCert? _nebulaCert;
    private Nebula? _nebula;
    private HostRenderer? _renderer;
    private AdminInterface? _admin;
    private HostPlatforms? _platforms;
    private PeerRoutes? _peerRoutes;
    private CertificateAuthority? _ca;
    private RunMemo _memo = new();
    private System.Collections.Concurrent.ConcurrentDictionary<string, HostRun> _hosts = new();

    public FlatnetContext(Workspace workspace, IReporter log)
    {
        workspace.Validate();
        // Under `umask 000` what the run makes would be anyone's to replace: never writable by others, at any depth.
        CreationMask.KeepOthersFromWriting();
        Workspace = workspace;
        // Whatever a host or a file said reaches the terminal without control characters.
        // ... and every command it prints acts on this run's folders (--inventory, --artifacts), as printed.
        Log = log is CleanReporter ? log : new CleanReporter(log, workspace.WithFolderFlags);
    }

    public Workspace Workspace { get; }
    public IReporter Log { get; }
    /// <summary>The command line's arguments, as the task being run reads them.</summary>
    public TaskArguments Arguments { get; init; } = TaskArguments.None;

    public string BuildIdentity { get; init; } = FlatnetBuild.Identity;
    /// <summary>Where --json's document goes (build.sh's FLATNET_JSON_TO, a file it then prints alone); null: the log.</summary>
    public string? JsonTo { get; init; }

    /// <summary>Whether the run asked for JSON (--json) rather than tables.</summary>
    public bool WantsJson => Arguments.Flag("json");

    /// <summary>
    /// Prints a document meant for a program or a file (--json, Plan --diff --format=md): to <see cref="JsonTo"/> when
    /// set, else as one log line. The file is replaced (a new owner-only file, renamed), never written through: a link
    /// put at its path had the document written into the file it led to (battery 24).
    /// </summary>
    public void PrintDocument(string document) { if (JsonTo is null) Log.Info(document.TrimEnd()); else SafeFiles.WriteAllText(JsonTo, document, secret: true); }

    /// <summary>The inventory as an address plan: loaded and validated on first use, its warnings said once.</summary>
    public AddressPlan Plan
    {
        get
        {
            if (_plan is not null) return _plan;
            _plan = AddressPlan.Load(Workspace.InventoryDirectory);
            foreach (var w in _plan.Warnings) Log.Warn(w);
            // Hosts Join wrote whose reply has not come back: one line for them all (a line and a fix each was 24 lines for 12 PCs).
            if (_plan.Hosts.Where(h => h.Host.Deploy.AwaitingJoin).Select(h => h.Name).ToList() is { Count: > 0 } pending)
                Log.Info(TextWidth.Wrap($"pending, awaiting their join reply (fleet targets leave them out): {string.Join(", ", pending)}; " +
                                        "run each one's join script on its PC, then ./build.sh --target=Join --host=NAME --reply=\"flatnet-join ...\"", "  "));
            // The artifacts folder must be flatnet's before any task starts (it is marked at the first write), and its
            // folders this account's, root's or the checkout's owner's: a read-only run keeps scratch there too (.tmp).
            CheckTrees();
            SafeFiles.ClaimArtifacts(Workspace.ArtifactsDirectory, mark: false);
            return _plan;
        }
    }

    /// <summary>The inventory changed under us (RevokeHost wrote the blocklist): the next use of <see cref="Plan"/> reads it again.</summary>
    public void InventoryChanged()
    {
        _plan = null;
        _peerRoutes = null;
        _ca = null;
        foreach (var run in _hosts.Values) run.Forget();
    }

    public NebulaCert NebulaCert =>
        _nebulaCert ??= NebulaCert.Locate(new ToolLocator(Workspace.ToolsDirectory), Plan.Inventory.Network.Nebula.CertTool);

    public Nebula Nebula => _nebula ??= Nebula.Locate(new ToolLocator(Workspace.ToolsDirectory));

    public HostRenderer Renderer => _renderer ??= new HostRenderer(new TemplateRenderer(Workspace.TemplatesDirectory));

    public NebulaReleases Releases => new(Workspace.ToolsDirectory);

    /// <summary>The nebula binary at a path, one instance per run, so its version is asked once however many hosts it checks.</summary>
    public Nebula NebulaAt(string path) => _memo.Nebulas.GetOrAdd(path, p => new Nebula(p));

    /// <summary>The nebula that checks a daemon's config: the release it runs when that is in tools/nebula/, else this machine's.</summary>
    public Nebula NebulaFor(string name, NebulaVersion? runs)
    {
        if (runs is not { } wanted || wanted == Nebula.Version) return Nebula;
        if (Releases.Find(wanted, "nebula") is { } exact)
        {
            // tools/nebula/VERSION is a folder anyone may fill: the binary must be that release, or checks lie.
            var found = NebulaAt(exact);
            if (found.Version != wanted)
                throw new FlatnetException($"{Workspace.Relative(exact)} is nebula {found.Version}, not the {wanted} its folder names; {name}'s config would be checked with the wrong release",
                    $"delete {Workspace.Relative(Path.GetDirectoryName(exact)!)} and run ./build.sh --target=FetchNebula --nebula={wanted}");
            return found;
        }
        Log.Verbose($"{name}: its config is checked with nebula {Nebula.Version}, not the {wanted} it runs " +
                    $"(./build.sh --target=FetchNebula --nebula={wanted} puts that release in tools/nebula/)");
        return Nebula;
    }

    /// <summary>`nebula -test` of rendered configs, with this run's CA and tools.</summary>
    public ConfigCheck ConfigCheck => new(NebulaCert, Ca, Renderer, Workspace.ArtifactsDirectory);

    /// <summary>Nebula's binaries a bundle of this platform carries (nebula.windows.release's files), read and checked once per run.</summary>
    public IReadOnlyList<RenderedFile> ShippedNebula(HostPlatform platform) =>
        _memo.ShippedNebula.GetOrAdd(platform.Name, _ => platform.ShippedNebula(Plan.Inventory.Network));

    /// <summary>Those binaries as one fingerprint, once per run ("" when the platform ships none).</summary>
    public string ShippedNebulaFingerprint(HostPlatform platform) =>
        _memo.ShippedNebulaDigest.GetOrAdd(platform.Name, _ => ShippedNebula(platform) is { Count: > 0 } files ? Bundles.BundleInputs.OfFiles(files) : "");

    /// <summary>The templates' SHA-256 (names and contents), once per run: part of every bundle's inputs.</summary>
    public string TemplatesFingerprint => _memo.Templates ??= Bundles.BundleInputs.OfFolder(Workspace.TemplatesDirectory);

    /// <summary>
    /// Nebula's admin interface on every host (null when network.yaml turns it off): the key network.yaml records, or
    /// one made on first use, which a writing run records there (a read-only run never edits the inventory).
    /// </summary>
    public AdminInterface? Admin => Plan.Inventory.Network.Nebula.AdminPort == 0 ? null
        : _admin ??= AdminInterface.Ensure(Plan.Inventory.Network.Ca, Plan.Inventory.Network.Nebula.AdminPort, Plan.Inventory.Network.Nebula.AdminKey, Log,
            _writing ? Workspace.InventoryDirectory : null, generatedInventory: SafeFiles.IsInsideOwned(Workspace.InventoryDirectory));

    private bool _writing;

    /// <summary>
    /// The CA, and what the configs trust while a CA rotation (hosts/ca-rotation.json) is under way: read once per run;
    /// RotateCa, which changes the rotation's state, says so (<see cref="RotationChanged"/>).
    /// </summary>
    public CertificateAuthority Ca => _ca ??= new(NebulaCert, Plan.Inventory.Network.Ca, Plan.Daemons, Log, CaRotationState.Load(Workspace.InventoryDirectory));

    /// <summary>RotateCa saved a new state of the rotation: the next use of <see cref="Ca"/> reads it.</summary>
    public void RotationChanged() => _ca = null;

    /// <summary>Each host OS's platform (Platforms/): paths, bundle templates, the scripts flatnet runs there.</summary>
    public HostPlatforms Platforms => _platforms ??= new HostPlatforms(Renderer.Templates);

    public HostPlatform Platform(HostAddresses host) => Platforms.For(host.Host);

    /// <summary>The host in this run: its model made once, its one connection (<see cref="HostRun"/>).</summary>
    public HostRun Run(HostAddresses host) =>
        _hosts.GetOrAdd(host.Name, name => new HostRun(name, h => Platforms.Model(Plan, h, Admin, PeerRoutes), Open));

    /// <summary>The one typed model a host's files are rendered from, made once per run.</summary>
    public HostModel Model(HostAddresses host) => Run(host).Model(host);

    /// <summary>Every active host's block as the others route it, made once per plan (each host's model lists the others').</summary>
    public PeerRoutes PeerRoutes => _peerRoutes ??= new PeerRoutes(Plan);

    /// <summary>Every file of a host's bundle that is rendered from a template (its platform lists them).</summary>
    public IReadOnlyList<RenderedFile> Render(HostModel model) => Renderer.Render(model, Platforms.For(model).BundleTemplates(model));

    /// <summary>
    /// The host's connection over its inventory's transport: the run's one, opened on first use; steps never close it,
    /// the run does at its end (<see cref="Dispose"/>).
    /// </summary>
    public IHostConnection Connection(HostAddresses host) => Run(host).Connection(host);

    /// <summary>How a connection is opened (the tests record instead of connecting).</summary>
    public Func<HostEntry, TemplateRenderer, SshServer?, IHostConnection> Connector { get; init; } = HostConnections.Open;

    private IHostConnection Open(HostAddresses host) => Connector(host.Host, Renderer.Templates, Platform(host).SshServer);

    /// <summary>The run is over: every host's connection closes, then its locks go.</summary>
    public void Dispose()
    {
        foreach (var run in _hosts.Values) run.Dispose();
        LetGo();
    }

    /// <summary>
    /// The same context speaking through another reporter, for work done in parallel: the plan and tools are resolved
    /// here, once, before the threads start, and shared read-only.
    /// </summary>
    public FlatnetContext ForWorkers(IReporter log)
    {
        _ = Plan; _ = NebulaCert; _ = Nebula; _ = Renderer; _ = Admin; _ = Platforms; _ = PeerRoutes; _ = Ca; _ = TemplatesFingerprint;
        return new FlatnetContext(resolved: this, log);
    }

    private FlatnetContext(FlatnetContext resolved, IReporter log) : this(resolved.Workspace, log)
    {
        Arguments = resolved.Arguments;
        _plan = resolved._plan;
        _nebulaCert = resolved._nebulaCert;
        _nebula = resolved._nebula;
        _renderer = resolved._renderer;
        _admin = resolved._admin;
        _platforms = resolved._platforms;
        _peerRoutes = resolved._peerRoutes;
        _ca = resolved._ca;
        _treesChecked = [.. resolved._treesChecked];
        _memo = resolved._memo;
        _hosts = resolved._hosts;
        Connector = resolved.Connector;
    }
}
