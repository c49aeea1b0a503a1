using System.Globalization;
using System.Text.RegularExpressions;
using Flatnet.Inventory;
using Flatnet.Rendering;
using Flatnet.Transport;

namespace Flatnet.Platforms;

/// <summary>
/// One host OS, in one place, as Nebula keeps one file per OS (overlay/tun_windows.go, tun_linux.go): where a host's
/// files live, which templates its bundle has, how a script reaches it, and every operation flatnet runs there. Each
/// script it sends is a template, templates/remote/OS/NAME.EXT.scriban (shared ones in templates/remote/), rendered
/// with the same encoders as the bundle's; nothing else in the library asks which OS a host runs.
/// </summary>
public abstract partial class HostPlatform(TemplateRenderer templates)
{
    public abstract HostOs Os { get; }

    /// <summary>"windows" or "linux": the OS as templates and manifests name it, and its folder under templates/remote/.</summary>
    public string Name => Os.ToString().ToLowerInvariant();

    protected abstract string ScriptExtension { get; }

    /// <summary>The model's OS-given parts: where its files live, what Nebula must not advertise, how WSL2 is reached.</summary>
    public abstract PlatformFacts Facts(HostEntry host, NetworkSettings network);

    /// <summary>The files of a host's bundle and the templates they come from.</summary>
    public abstract IReadOnlyList<BundleTemplate> BundleTemplates(HostModel model);

    /// <summary>Nebula's own binaries a bundle carries for this OS (none: the host's package manager installs Nebula).</summary>
    public virtual IReadOnlyList<RenderedFile> ShippedNebula(NetworkSettings network) => [];

    /// <summary>
    /// Runs a script of this OS on the host. Every script reaches the host as a file, written into the account's own
    /// folder (<see cref="IHostConnection.Home"/>/.flatnet/run), and runs with a short command line of a fixed shape
    /// (<see cref="RunFileCommand"/>), so no command line grows with the script or the fleet: Windows' OpenSSH hands a
    /// command to cmd.exe, which refuses one over 8,191 characters (docs/windows-contract.md). The file is removed after.
    /// </summary>
    public RemoteResult RunScript(IHostConnection connection, string script, TimeSpan? timeout = null)
    {
        var file = $"{connection.Home.TrimEnd('/')}/{RunFolder}/{Guid.NewGuid():N}.{ScriptExtension}";
        connection.WriteFile(file, ScriptFileBytes(script));
        try
        {
            return connection.Run(RunFileCommand(HostPath(file)), timeout);
        }
        finally
        {
            connection.DeleteFile(file);
        }
    }

    /// <summary>Where scripts are written before they run, below the account's home.</summary>
    public const string RunFolder = ".flatnet/run";

    /// <summary>The longest command line flatnet sends to any host: under cmd.exe's 8,191, with room to spare.</summary>
    public const int MaxCommandLine = 8000;

    /// <summary>The command line that runs a script file at <paramref name="path"/> (the host's own spelling).</summary>
    protected abstract string RunFileCommand(string path);

    /// <summary>A script's text as its file holds it.</summary>
    protected virtual byte[] ScriptFileBytes(string script) => new System.Text.UTF8Encoding(false).GetBytes(script);

    /// <summary>A new host's file as Join writes it for this OS (its reply fills in address, account and host key).</summary>
    public string NewHostFile(string host, int index, string? address) => $"""
        # {host}: made by Join. Its join script's reply fills in deploy.address, deploy.user and deploy.host_key.
        name: {host}
        index: {index}
        os: {Name}
        wsl: {(NewHostHasWsl ? "true" : "false")}
        deploy:
          transport: ssh
          address: "{address ?? ""}"
          user: {NewHostUser}
          keygen_on_host: true     # the private key is made on the host at its first AddHost and never leaves it

        """;

    /// <summary>Whether a new host of this OS has a WSL2 to route (a Windows PC does; a Linux machine has none).</summary>
    protected abstract bool NewHostHasWsl { get; }

    /// <summary>The account a new host of this OS is reached as until its join reply says which.</summary>
    protected abstract string NewHostUser { get; }

    /// <summary>The join script's file name (templates/NAME.scriban): what a person runs once on a new PC of this OS.</summary>
    public abstract string JoinScriptName { get; }

    /// <summary>The line that runs the join script there, as an administrator.</summary>
    public abstract string JoinCommand { get; }

    /// <summary>The join script for <paramref name="host"/>, carrying the build machine's deploy key (public half).</summary>
    public string JoinScript(HostEntry host, NetworkSettings network, string deployKey) =>
        templates.Render(JoinScriptName + ".scriban", new { host.Name, Root = JoinRoot(host, network), DeployKey = deployKey, DeployUser = host.Deploy.User ?? "root", UserPattern = Grammar.UserRegex });

    /// <summary>Where flatnet installs on a host of this OS (the join script creates it, locked).</summary>
    protected abstract string JoinRoot(HostEntry host, NetworkSettings network);

    /// <summary>Where this OS's OpenSSH server keeps its authorized keys and host key, for the fixes flatnet prints.</summary>
    public virtual Transport.SshServer SshServer => Transport.SshServer.Posix;

    /// <summary>A host path as the transport's file side names it.</summary>
    public virtual string RemotePath(string path) => path;

    /// <summary>A host path as the host's own shell writes it.</summary>
    protected virtual string HostPath(string path) => path;

    /// <summary>templates/remote/OS/NAME: one script of this OS, rendered from <paramref name="model"/>.</summary>
    protected string Script(string name, object model) => Render($"remote/{Name}/{name}.{ScriptExtension}.scriban", model);

    private string Render(string template, object model) => templates.Render(template, model).TrimEnd('\n');

    /// <summary>The script that runs a script file on the host (templates/remote/OS/run-script).</summary>
    protected string ScriptFile(string path, string switches = "") => Script("run-script", new { Path = HostPath(path), Switches = switches });

    /// <summary>
    /// A POSIX shell script run inside the host's WSL2, carried as data: base64 of the script, decoded and run by sh
    /// inside WSL. Whatever cmd.exe, CommandLineToArgvW (wsl.exe's) or Windows PowerShell 5.1's native-argument quoting
    /// do to a command line, "echo BASE64 | base64 -d | sh" has no quote, backslash or metacharacter of theirs outside
    /// one quoted argument, so it arrives as written.
    /// </summary>
    public string InWsl(HostModel model, string shellScript) =>
        AsWslOwner(model, Script("in-wsl", new { model.WslCommand, Words = model.WslCommand.Split(' ', StringSplitOptions.RemoveEmptyEntries), Carried = Carried(shellScript) }));

    /// <summary>A script that talks to WSL, as it must run for WSL's owner (Windows: as that account when it is not the one logged in).</summary>
    protected virtual string AsWslOwner(HostModel model, string script) => script;

    private string WslRouting(HostModel model, string switchName) =>
        InWsl(model, Render("remote/wsl-routing.sh.scriban", new { Script = model.Paths.WslScriptsDir + "/wsl-routing.sh", Switch = switchName }));

    /// <summary>keygen_on_host: makes the host's key pair in its config folder, once (an existing key is kept).</summary>
    public RemoteResult MakeKeyPair(HostModel model, IHostConnection connection) => RunScript(connection, MakeKeyPairScript(model));

    protected abstract string MakeKeyPairScript(HostModel model);

    /// <summary>What a host needs before it can make its key (Windows: nebula-cert.exe, ahead of the bundle), staged in <paramref name="scratch"/>.</summary>
    public virtual void PrepareKeygen(HostModel model, IHostConnection connection, IReadOnlyList<RenderedFile> shippedNebula, string scratch) { }

    /// <summary>Uploads the unpacked bundle to ROOT/incoming/bundle and runs its install script there.</summary>
    public RemoteResult Deploy(HostModel model, string bundleDirectory, IHostConnection connection)
    {
        var incoming = $"{model.Paths.Root}/incoming/bundle";
        ClearIncoming(incoming, model, connection);
        connection.Upload(bundleDirectory, RemotePath(incoming));
        return Checked(connection, ScriptFile($"{incoming}/{InstallScript}"), $"installing the bundle on {model.Name}");
    }

    protected abstract string InstallScript { get; }

    protected virtual void ClearIncoming(string incoming, HostModel model, IHostConnection connection) { }

    /// <summary>Where a host keeps the manifest of the bundle it runs: written only after install and routing succeeded.</summary>
    public static string InstalledManifestPath(HostModel model) => $"{model.Paths.Root}/installed-manifest.json";

    /// <summary>The manifest the host runs, as it reports it; "" when it has none (never deployed, or deployed before flatnet recorded it).</summary>
    public string InstalledManifest(HostModel model, IHostConnection connection) => connection.ReadFile(RemotePath(InstalledManifestPath(model)));

    /// <summary>
    /// Records the bundle the install script just installed (it leaves ROOT/installed-manifest.pending.json) as the one
    /// the host runs, once its routing is in place too. Without a pending manifest (routing run on its own) nothing changes.
    /// </summary>
    public void RecordInstalled(HostModel model, IHostConnection connection) =>
        Checked(connection, Script("record-installed", new
        {
            Pending = HostPath($"{model.Paths.Root}/installed-manifest.pending.json"), Installed = HostPath(InstalledManifestPath(model)),
        }), $"recording the installed bundle on {model.Name}");

    /// <summary>WSL side first (its stable address), then the host side (the route to WSL2's current address).</summary>
    public IReadOnlyList<RemoteResult> ConfigureRouting(HostModel model, IHostConnection connection)
    {
        var results = new List<RemoteResult>();
        if (model.Wsl)
            results.Add(Checked(connection, WslRouting(model, "--install-boot"), $"wsl-routing.sh inside {model.Name}'s WSL2"));
        results.Add(Checked(connection, HostRouting(model, check: false), $"{HostRoutingName} on {model.Name}"));
        return results;
    }

    /// <summary>The host side of routing as a script, applied (check false) or only checked, changing nothing.</summary>
    protected abstract string HostRouting(HostModel model, bool check);

    protected abstract string HostRoutingName { get; }

    /// <summary>
    /// RemoveHost on the host: the current scripts go to ROOT/scripts first (a host installed by an older flatnet has
    /// older ones), then the uninstall script takes Nebula and the host's routing off, then wsl-routing.sh --remove
    /// takes the stable address and its routes out of WSL2.
    /// </summary>
    public IReadOnlyList<RemoteResult> Uninstall(HostModel model, string scriptsDirectory, IHostConnection connection)
    {
        connection.Upload(scriptsDirectory, RemotePath(model.Paths.ScriptsDir));
        var results = new List<RemoteResult>
        {
            Checked(connection, ScriptFile($"{model.Paths.ScriptsDir}/{UninstallScript}"), $"uninstall on {model.Name}"),
        };
        if (model.Wsl)
            results.Add(Checked(connection, WslRouting(model, "--remove"), $"wsl-routing.sh --remove inside {model.Name}'s WSL2"));
        return results;
    }

    protected abstract string UninstallScript { get; }

    /// <summary>What a person runs on the host when flatnet cannot reach it: the same scripts, by hand.</summary>
    public string UninstallByHand(HostModel model) =>
        UninstallScriptByHand(model) + (model.Wsl ? $"; then in WSL2: sudo bash {model.Paths.WslScriptsDir}/wsl-routing.sh --remove" : "");

    protected abstract string UninstallScriptByHand(HostModel model);

    /// <summary>The host's doctor, in machine form (one tab-separated line per check): scripts/flatnet-doctor.* of its bundle.</summary>
    public RemoteResult Doctor(HostModel model, IHostConnection connection) => RunScript(connection, DoctorScript(model), TimeSpan.FromMinutes(3));

    protected abstract string DoctorScript(HostModel model);

    /// <summary>Where the person at the host looks for Nebula's own words (diagnoses name it).</summary>
    public abstract string NebulaLogs(HostModel model);

    /// <summary>
    /// The round trip from ping's output in any language: Linux prints "time=0.521 ms", English Windows "time=1ms" or
    /// "time&lt;1ms", Japanese Windows "時間 =1ms" / "時間 &lt;1ms". Only the "=" or "&lt;" before a number of "ms" is common to all.
    /// </summary>
    public static double? RoundTripMs(string output) =>
        Rtt().Match(output) is { Success: true } m ? double.Parse(m.Groups[1].Value.Replace(',', '.'), CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"[=<]\s*(\d+(?:[.,]\d+)?)\s*ms\b")]
    private static partial Regex Rtt();

    protected RemoteResult Checked(IHostConnection connection, string script, string what)
    {
        var r = RunScript(connection, script);
        if (r.Succeeded) return r;
        var said = (r.StdErr + "\n" + r.StdOut).Trim();
        var output = string.Join("\n      ", said.Split('\n').TakeLast(8));
        throw new RemoteCommandFailed(connection.Describe, $"{what} failed (exit {r.ExitCode}) on {connection.Describe}.\n    ran: {FirstLine(script)}\n    output:\n      {output}", said, r.ExitCode,
            "the host's own words are above; ./build.sh --target=Doctor with its --host checks it step by step");
    }

    /// <summary>What a script does, for a message: its first line that is not a comment.</summary>
    private static string FirstLine(string script) =>
        script.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#')) ?? "";
}
