using Flatnet.Inventory;
using Flatnet.Rendering;

namespace Flatnet.Transport;

/// <summary>Opens the connection a host's inventory file asks for (deploy.transport).</summary>
public static class HostConnections
{
    /// <param name="templates">for WinRM, whose session scripts are templates (templates/remote/winrm/).</param>
    public static IHostConnection Open(HostEntry host, TemplateRenderer templates) => host.Deploy.Transport switch
    {
        DeployTransport.Ssh => SshConnection.Open(host),
        DeployTransport.WinRm => WinRmConnection.Open(host, templates),
        _ => throw new FlatnetException($"{host.Name} is installed by hand (transport: none), so flatnet cannot reach it", fix: $"copy artifacts/bundles/{host.Name}.zip to it and run its install script, or set deploy.transport: ssh", file: host.File, field: "deploy.transport"),
    };
}
