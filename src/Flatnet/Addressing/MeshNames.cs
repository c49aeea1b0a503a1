using Flatnet.Inventory;

namespace Flatnet.Addressing;

/// <summary>A name in a hosts file: the address it stands for, and the name.</summary>
public sealed record NameEntry(string Address, string Name);

/// <summary>
/// The mesh's names (names: in network.yaml): a host by its inventory name (host-c), its WSL2 by the name with
/// <see cref="WslEnding"/> (host-c-wsl), each under the suffix when one is set (host-c.office.lan). Each host's hosts
/// file, and its WSL2's, carries the names of every other active host, lighthouse and WSL2, in a block flatnet
/// replaces as a whole (templates/_names.scriban); its own names stay out (a PC's own name is its LAN's to answer).
/// </summary>
public static class MeshNames
{
    public const string WslEnding = "-wsl";

    /// <summary>The lines that open and close flatnet's block in a hosts file; every other line is the user's.</summary>
    public const string Begin = "# BEGIN flatnet names";
    public const string End = "# END flatnet names";

    public static string Host(string name, MeshNaming naming) => naming.Suffix is { } s ? $"{name}.{s}" : name;

    public static string Wsl(string name, MeshNaming naming) => Host(name + WslEnding, naming);

    /// <summary>What <paramref name="host"/>'s hosts file (and its WSL2's) lists: every other name of the mesh; none when names are off.</summary>
    public static IReadOnlyList<NameEntry> SeenFrom(AddressPlan plan, string host)
    {
        var naming = plan.Inventory.Network.Names;
        if (!naming.Enabled) return [];
        var hosts = plan.Active.Where(h => h.Name != host).ToList();
        return plan.Lighthouses.Where(l => l.Name != host && hosts.All(h => h.Name != l.Name)).Select(l => new NameEntry(l.OverlayAddress, Host(l.Name, naming)))
            .Concat(hosts.Select(h => new NameEntry(h.OverlayAddress, Host(h.Name, naming))))
            .Concat(hosts.Where(h => h.WslAddress is not null).Select(h => new NameEntry(h.WslAddress!, Wsl(h.Name, naming))))
            .ToList();
    }
}
