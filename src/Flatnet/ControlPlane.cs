using System.Text;
using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Pki;
using Flatnet.Tools;

namespace Flatnet;

/// <summary>
/// The entry points the Cake tasks call, one method per task, so build/*.cake stays a thin shell and a
/// move to Cake.Frosting is a matter of wrapping these calls in FrostingTask classes.
/// </summary>
public sealed class ControlPlane(Workspace workspace, IReporter log)
{
    private AddressPlan? _plan;
    private NebulaCert? _nebulaCert;

    public Workspace Workspace => workspace;
    public IReporter Log => log;

    /// <summary>Loads and validates the inventory once; every task starts here, so a bad inventory stops before any write.</summary>
    public AddressPlan Plan()
    {
        if (_plan is not null) return _plan;
        _plan = AddressPlan.Build(InventoryLoader.Load(workspace.InventoryDirectory));
        foreach (var w in _plan.Warnings) log.Warn(w);
        return _plan;
    }

    public NebulaCert NebulaCert =>
        _nebulaCert ??= NebulaCert.Locate(new ToolLocator(workspace.ToolsDirectory), Plan().Inventory.Network.Nebula.CertTool);

    public CertificateAuthority Ca => new(NebulaCert, Plan().Inventory.Network.Ca, log);

    /// <summary>Target Plan: prints who gets which address, and checks the inventory.</summary>
    public string DescribePlan()
    {
        var plan = Plan();
        var sb = new StringBuilder();
        sb.AppendLine($"network {plan.Inventory.Network.Name}: overlay {plan.Overlay}, routed blocks from {plan.Inventory.Network.RoutedPool} (/{plan.Inventory.Network.RoutedPrefix} each), UDP {plan.Inventory.Network.ListenPort}");
        sb.AppendLine($"  {"name",-14} {"role",-10} {"nebula ip",-16} {"routed block",-18} {"wsl address",-14} os");
        foreach (var lh in plan.Lighthouses)
            sb.AppendLine($"  {lh.Name,-14} {"lighthouse",-10} {lh.OverlayAddress,-16} {"-",-18} {"-",-14} ({string.Join(", ", lh.Lighthouse.Endpoints)})");
        foreach (var h in plan.Hosts)
            sb.AppendLine($"  {h.Name,-14} {"host",-10} {h.OverlayAddress,-16} {h.RoutedBlock,-18} {(h.Host.Wsl ? h.WslAddress : "-"),-14} {h.Host.Os.ToString().ToLowerInvariant()}");
        return sb.ToString().TrimEnd();
    }

    public bool InitCa() => Ca.Init();

    /// <summary>With ca.create_if_missing, host tasks make the CA on first use; the warning says why that may be wrong.</summary>
    private void EnsureCa()
    {
        var settings = Plan().Inventory.Network.Ca;
        if (!settings.CreateIfMissing || !Ca.Init(quietIfExists: true)) return;
        log.Warn($"no CA was found, so a new one was made ({Plan().Inventory.Network.File}: ca.create_if_missing is true). " +
                 "If your lighthouse already has a CA (Stage 1), hosts signed by this one cannot join it: copy its ca.crt and ca.key " +
                 $"to {InventoryLoader.Display(settings.CrtPath)} and {InventoryLoader.Display(settings.KeyPath)}, set create_if_missing: false, and re-run with --force.");
    }

    /// <param name="publicKey">--pub: a public key made on the host. Without it, a host with keygen_on_host
    /// must have dropped its key at artifacts/hosts/NAME/host.pub; other hosts get a key pair made here.</param>
    public CertOutcome GenerateCert(string host, bool force = false, string? publicKey = null)
    {
        var h = Plan().Host(host);
        if (publicKey is null && h.Host.Deploy.KeygenOnHost)
        {
            publicKey = workspace.IncomingPublicKey(host);
            if (!File.Exists(publicKey))
                throw new FlatnetException(FlatnetException.Describe(h.Host.File, "deploy.keygen_on_host",
                    $"{host} makes its own key, but no public key is at {InventoryLoader.Display(publicKey)}",
                    $"on {host} run `nebula-cert keygen -out-key host.key -out-pub host.pub`, copy host.pub to {InventoryLoader.Display(publicKey)} (or pass --pub=FILE)"));
        }
        EnsureCa();
        var certs = new HostCertificates(NebulaCert, Ca, workspace, log);
        return certs.Generate(h, Plan().Inventory.Network.CertDuration, force, publicKey);
    }
}
