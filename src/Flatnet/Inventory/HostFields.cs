using Flatnet.Versions;

namespace Flatnet.Inventory;

/// <summary>
/// A host file's fields (and a managed lighthouse's, which network.yaml writes like a host's), typed and defaulted,
/// each with the grammar it really has; every refusal is recorded and the loading goes on.
/// </summary>
internal static class HostFields
{
    internal static HostEntry ToHost(string file, HostDocument d, NetworkSettings network, InventoryProblems problems)
    {
        var os = FieldChecks.Os(d.Os, HostOs.Windows, file, "os", problems);
        var deploy = ToDeploy(file, "", d.Deploy ?? new DeployDocument(), problems);
        if (d.WslUser is not null) problems.Check(file, "wsl_user", Grammar.User(d.WslUser));
        var wsl = d.Wsl ?? true;
        if (os == HostOs.Linux && wsl && string.IsNullOrWhiteSpace(d.WslCommand))
            problems.Add(file, "wsl_command", "a Linux host with wsl: true needs a way into its WSL",
                "set wsl_command to the command prefix that runs a command there, or set wsl: false");
        if (d.WslCommand is not null) problems.Check(file, "wsl_command", Grammar.CommandPrefix(d.WslCommand));
        if (d.Root is not null) problems.Check(file, "root", Grammar.Root(os, d.Root));
        var name = FieldChecks.Required(d.Name, file, "name", $"set name: {Output.Terminal.OneLine(Path.GetFileNameWithoutExtension(file))} (the file name without .yaml)", problems);
        if (os == HostOs.Windows && d.NebulaBinary is not null)
            problems.Add(file, "nebula_binary", "is for Linux hosts; a Windows host runs ROOT\\nebula\\nebula.exe", "remove nebula_binary, or set os: linux");
        else if (d.NebulaBinary is not null) problems.Check(file, "nebula_binary", Grammar.LinuxPath(d.NebulaBinary));
        var groups = d.Groups ?? network.Groups;
        if (d.Groups is not null) FieldChecks.CheckGroups(file, "groups", groups, problems);
        return new HostEntry
        {
            File = file, Name = name, Index = d.Index, Os = os, OverlayIp = d.OverlayIp, RoutedBlock = d.RoutedBlock,
            Groups = groups, Wsl = wsl, Root = d.Root,
            // How to run a command inside the host's WSL2, on the host; null: the platform's own way (wsl.exe on Windows).
            WslCommand = d.WslCommand,
            Deploy = deploy,
            NebulaVersion = FieldChecks.Version(d.NebulaVersion, file, "nebula_version", problems),
            NebulaBinary = d.NebulaBinary,
            RoutedBlockOutsidePool = d.RoutedBlockOutsidePool ?? false,
            // WSL distros belong to one Windows account; unless said otherwise, the one flatnet logs in as.
            WslUser = d.WslUser ?? deploy.User,
        };
    }

    /// <summary>
    /// The deploy section of a host file (prefix "") or of a managed lighthouse (prefix "lighthouses[0]."): how flatnet
    /// reaches it, with the server authenticated (SSH host key, WinRM certificate) unless the inventory says otherwise.
    /// </summary>
    private static DeploySettings ToDeploy(string file, string prefix, DeployDocument deploy, InventoryProblems problems)
    {
        var transport = (deploy.Transport ?? "none").ToLowerInvariant() switch
        {
            "none" => DeployTransport.None,
            "ssh" => DeployTransport.Ssh,
            "winrm" => DeployTransport.WinRm,
            _ => FieldChecks.Refused(DeployTransport.None, () => problems.Add(file, prefix + "deploy.transport", $"'{Grammar.Shown(deploy.Transport ?? "")}' is not a transport flatnet knows",
                "use ssh, winrm, or none (bundle only, installed by hand)")),
        };
        // A host Join wrote whose reply has not come back (no address, no pinned host key) is pending, not wrong: the
        // fleet's targets leave it out with this note, and it never blocks the others.
        var awaitingJoin = prefix.Length == 0 && transport != DeployTransport.None && string.IsNullOrWhiteSpace(deploy.Address) && string.IsNullOrWhiteSpace(deploy.HostKey);
        // Pending is said once for all such hosts by whoever uses the plan (FlatnetContext.Plan), not here per host.
        if (!awaitingJoin && transport != DeployTransport.None && string.IsNullOrWhiteSpace(deploy.Address))
            problems.Add(file, prefix + "deploy.address", $"transport {deploy.Transport} needs an address",
                "set deploy.address to the host's LAN address or DNS name, or set deploy.transport: none");
        else if (!string.IsNullOrWhiteSpace(deploy.Address)) problems.Check(file, prefix + "deploy.address", Grammar.Address(deploy.Address));
        var winrmHttp = deploy.WinrmHttp ?? false;
        var port = deploy.Port ?? (transport != DeployTransport.WinRm ? 22 : winrmHttp ? 5985 : 5986);
        if (transport == DeployTransport.WinRm && !winrmHttp && deploy.WinrmCert is null)
            problems.Add(file, prefix + "deploy.winrm_cert", "WinRM over HTTPS needs the host's certificate pinned, or flatnet cannot tell the host from an impostor",
                "on the host run: Get-ChildItem Cert:\\LocalMachine\\My | ForEach-Object { $_.GetCertHashString('SHA256') } (the WinRM HTTPS listener's certificate), and set winrm_cert: to it; or use transport: ssh");
        if (deploy.WinrmCert is { } pin && (pin.Length != 64 || !pin.All(Uri.IsHexDigit)))
            problems.Add(file, prefix + "deploy.winrm_cert", "is not a SHA-256 (64 hex digits)", "the certificate's GetCertHashString('SHA256') on the host");
        problems.Check(file, prefix + "deploy.port", Grammar.Port(port));
        if (deploy.User is not null) problems.Check(file, prefix + "deploy.user", Grammar.User(deploy.User));
        if (deploy.HostKey is not null) problems.Check(file, prefix + "deploy.host_key", Grammar.HostKey(deploy.HostKey.Trim()));
        return new DeploySettings(transport, deploy.Address, port, deploy.User, deploy.Identity, deploy.HostKey?.Trim(), deploy.KeygenOnHost ?? false)
        {
            AwaitingJoin = awaitingJoin,
            WinRmCertificate = deploy.WinrmCert?.ToLowerInvariant(), WinRmHttp = winrmHttp, PortGiven = deploy.Port is not null,
        };
    }

    /// <summary>
    /// A lighthouse with managed: true, as the host flatnet deploys it to: no WSL2, no routed block, its own groups
    /// (default: lighthouse). Without managed: true the host fields are refused, so a half-declared lighthouse is never
    /// silently left alone.
    /// </summary>
    internal static HostEntry? ManagedLighthouse(string file, string field, string name, LighthouseDocument l, NebulaVersion? version, InventoryProblems problems)
    {
        if (l.Managed != true)
        {
            foreach (var (given, key) in new (object?, string)[] { (l.Os, "os"), (l.Root, "root"), (l.NebulaBinary, "nebula_binary"), (l.Groups, "groups"), (l.Deploy, "deploy") })
                if (given is not null)
                    problems.Add(file, $"{field}.{key}", "applies only to a lighthouse flatnet manages",
                        "add managed: true to deploy it with flatnet, or remove the field (flatnet then renders artifacts/lighthouses/NAME/ for its operator)");
            return null;
        }
        var os = FieldChecks.Os(l.Os, HostOs.Linux, file, $"{field}.os", problems);
        if (l.Root is not null) problems.Check(file, $"{field}.root", Grammar.Root(os, l.Root));
        if (l.NebulaBinary is not null) problems.Check(file, $"{field}.nebula_binary", Grammar.LinuxPath(l.NebulaBinary));
        var groups = l.Groups ?? ["lighthouse"];
        FieldChecks.CheckGroups(file, $"{field}.groups", groups, problems);
        var deploy = ToDeploy(file, $"{field}.", l.Deploy ?? new DeployDocument(), problems);
        if (deploy.Transport == DeployTransport.None)
            problems.Add(file, $"{field}.deploy.transport", "a managed lighthouse needs a way in",
                "set deploy: { transport: ssh, address: ..., user: ... } as for a host, or remove managed: true");
        return new HostEntry
        {
            File = file, Name = name, Os = os, OverlayIp = l.OverlayIp, Groups = groups, Wsl = false, Root = l.Root,
            Deploy = deploy, NebulaVersion = version, NebulaBinary = l.NebulaBinary, IsLighthouse = true,
        };
    }
}
