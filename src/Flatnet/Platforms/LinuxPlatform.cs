using Flatnet.Inventory;
using Flatnet.Rendering;
using Flatnet.Transport;

namespace Flatnet.Platforms;

/// <summary>
/// A Linux host (a managed lighthouse, a Linux PC, the lab's stand-ins for the PCs): files under its root
/// (/opt/flatnet), the distribution's nebula binary, shell commands sent as they are to its SSH server, WSL2 (the
/// lab's namespace) reached with the inventory's wsl_command.
/// </summary>
public sealed class LinuxPlatform(TemplateRenderer templates) : HostPlatform(templates)
{
    public override HostOs Os => HostOs.Linux;
    protected override string ScriptExtension => "sh";
    protected override string InstallScript => "install.sh";
    protected override string UninstallScript => "uninstall.sh";
    protected override string HostRoutingName => "host routing";

    /// <summary>Container bridges, veth pairs (the lab's WSL stand-in) and Nebula itself: addresses other hosts cannot reach.</summary>
    private static readonly IReadOnlyList<string> VirtualInterfaces = ["docker.*", "br-.*", "veth.*", HostModel.DefaultTunDevice];

    public override PlatformFacts Facts(HostEntry host, NetworkSettings network) =>
        new(Name, Paths(host.Root ?? network.Nebula.Linux.Root, host.NebulaBinary ?? network.Nebula.Linux.Binary), VirtualInterfaces, host.WslCommand ?? "");

    /// <summary>A lighthouse's config for its operator (Debian's layout) or the lab's stand-in: files under <paramref name="root"/>.</summary>
    public PlatformFacts LighthouseFacts(string root, string binary) => new(Name, Paths(root, binary), VirtualInterfaces, "");

    private static HostPaths Paths(string root, string binary)
    {
        var r = root.TrimEnd('/');
        return HostPaths.Under(r, binary, $"{r}/scripts");
    }

    public override IReadOnlyList<BundleTemplate> BundleTemplates(HostModel model) =>
    [
        new("config.yaml", "config.yaml.scriban", RenderedFile.Regular),
        new("install.sh", "install.sh.scriban", RenderedFile.Executable),
        // Routing scripts exist for a host with WSL2 only: without it there is nothing to route (RoutePlan is null).
        .. model.Routes is null ? Array.Empty<BundleTemplate>() :
        [
            new("scripts/host-routing.sh", "host-routing.sh.scriban", RenderedFile.Executable),
            new("scripts/wsl-routing.sh", "wsl-routing.sh.scriban", RenderedFile.Executable),
        ],
        // With the admin interface, the watcher that moves relayed tunnels to direct ones between flatnet's runs.
        .. model.Admin is null ? Array.Empty<BundleTemplate>() : [new BundleTemplate("scripts/direct-paths.sh", "direct-paths.sh.scriban", RenderedFile.Executable)],
        new("scripts/flatnet-doctor.sh", "flatnet-doctor.sh.scriban", RenderedFile.Executable),
        new("scripts/uninstall.sh", "uninstall.sh.scriban", RenderedFile.Executable),
        // The mesh's names, which the install writes into the hosts file (and wsl-routing.sh into WSL2's).
        new("scripts/names.hosts", "names.hosts.scriban", RenderedFile.Regular),
        new("README.md", "README.md.scriban", RenderedFile.Regular),
    ];

    /// <summary>A Linux host's SSH server runs the command line with the account's shell; `.` runs the file in that same shell, as if it were the line.</summary>
    protected override string RunFileCommand(string path) => ". " + Quoting.ShQuote(path);

    public override string JoinScriptName => "join.sh";
    protected override bool NewHostHasWsl => false;
    protected override string NewHostUser => "root";
    public override string JoinCommand => "sudo sh ./join.sh   (--check changes nothing)";
    protected override string JoinRoot(HostEntry host, NetworkSettings network) => host.Root ?? network.Nebula.Linux.Root;

    protected override string MakeKeyPairScript(HostModel model) => Script("make-key-pair", new { Dir = model.Paths.ConfigDir });

    protected override void ClearIncoming(string incoming, HostModel model, IHostConnection connection) =>
        Checked(connection, Script("clear-incoming", new { Incoming = incoming }), $"clearing {incoming} on {model.Name}");

    /// <summary>With WSL2, host-routing.sh --watch: a background watcher keeps the route on WSL2's current address after WSL2 restarts.</summary>
    protected override string HostRouting(HostModel model, bool check) => !model.Wsl ? Script("forwarding", new { })
        : Script("host-routing", new { model.WslCommand, Script = model.Paths.ScriptsDir + "/host-routing.sh", Switches = check ? "--check" : "--watch" });

    protected override string UninstallScriptByHand(HostModel model) => $"as root: bash {model.Paths.ScriptsDir}/uninstall.sh";

    protected override string DoctorScript(HostModel model) =>
        Script("doctor", new { Script = model.Paths.ScriptsDir + "/flatnet-doctor.sh", WslCommand = model.Wsl ? model.WslCommand : "" });

    public override string NebulaLogs(HostModel model) => model.Paths.Log;

    protected override string HostPing(string target, int attempts, string loop) => Script("ping", new { Loop = loop });

    protected override string ProbeScript(HostModel model, IReadOnlyList<ProbeTarget> fromHost, string wslScript, IReadOnlyList<string> names) =>
        Script("probe", new { PidFile = model.Paths.Root + "/run/nebula.pid", Config = model.Paths.Config, HostProbe = PingProbe("host", fromHost, names), WslScript = wslScript, model.WslCommand });
}
