using Flatnet.Inventory;
using Flatnet.Rendering;

namespace Flatnet.Transport;

/// <summary>Opens the connection a host's inventory file asks for (deploy.transport).</summary>
public static class HostConnections
{
    /// <param name="templates">for WinRM, whose session scripts are templates (templates/remote/winrm/).</param>
    /// <param name="server">where the host's SSH server keeps its files, for the fixes (the host's platform says).</param>
    public static IHostConnection Open(HostEntry host, TemplateRenderer templates, SshServer? server = null) => host.Deploy.Transport switch
    {
        DeployTransport.Ssh => SshConnection.Open(host, server),
        DeployTransport.WinRm => WinRmConnection.Open(host, templates),
        _ => throw new FlatnetException($"{host.Name} is installed by hand (transport: none), so flatnet cannot reach it", fix: $"copy artifacts/bundles/{host.Name}.zip to it and run its install script, or set deploy.transport: ssh", file: host.File, field: "deploy.transport"),
    };
}
