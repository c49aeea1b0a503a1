using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Pki;
using Flatnet.Rendering;

namespace Flatnet.Platforms;

/// <summary>The platform of each OS flatnet deploys to, sharing one template renderer; and a host's model, as its platform shapes it.</summary>
public sealed class HostPlatforms(TemplateRenderer templates)
{
    public WindowsPlatform Windows { get; } = new(templates);
    public LinuxPlatform Linux { get; } = new(templates);

    public HostPlatform For(HostOs os) => os == HostOs.Windows ? Windows : Linux;

    public HostPlatform For(HostEntry host) => For(host.Os);

    public HostPlatform For(HostModel model) => model.Os == Windows.Name ? Windows : Linux;

    /// <summary>The platform an inventory's os: names (windows, linux), or null.</summary>
    public HostPlatform? Named(string os) => new HostPlatform[] { Windows, Linux }.FirstOrDefault(p => p.Name == os);

    public IReadOnlyList<string> Names => [Windows.Name, Linux.Name];

    /// <summary>Every platform, Join's default (Windows) first.</summary>
    public IReadOnlyList<HostPlatform> All => [Windows, Linux];

    /// <summary>The one typed model a host's files are rendered from; <paramref name="peers"/> (made once per plan) lists the routes to the others.</summary>
    public HostModel Model(AddressPlan plan, HostAddresses host, AdminInterface? admin = null, PeerRoutes? peers = null) =>
        HostModel.ForHost(plan, host, For(host.Host).Facts(host.Host, plan.Inventory.Network), peers ?? new PeerRoutes(plan), admin);
}
