using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Versions;

namespace Flatnet.Lab;

/// <summary>
/// The lab's inventory (artifacts/lab/hosts), made from the source inventory: the same hosts, groups and blocks, with
/// lab addresses, a lab CA, pinned sshd host keys, and the Nebula release each daemon runs.
/// </summary>
public sealed class LabInventory(string labDirectory, string sourceInventory, LabTopology wires)
{
    public string Directory => Path.Combine(labDirectory, "hosts");
    private string Pending => Path.Combine(labDirectory, "pending");

    /// <summary>Writes a host's file into the inventory, or (<paramref name="enrolled"/> false) sets it aside for <see cref="Enroll"/>.</summary>
    /// <param name="windows">a Windows stand-in (<see cref="LabWindows"/>): os: windows, Nebula from the lab's Windows release, WSL2 reached by wsl.exe.</param>
    public void WriteHost(HostAddresses source, LabHost lab, string hostKey, string clientKey, LabDaemon nebula, bool enrolled, bool windows = false)
    {
        var doc = new HostDocument
        {
            Name = source.Name,
            Index = source.Host.Index,
            OverlayIp = source.Host.OverlayIp,
            RoutedBlock = source.Host.RoutedBlock,
            Os = windows ? "windows" : "linux",
            Groups = source.Host.Groups.ToList(),
            Wsl = source.Host.Wsl,
            NebulaVersion = nebula.Version.ToString(),
            NebulaBinary = windows ? null : nebula.Binary,
            Root = LabWindows.Root(labDirectory, source.Name),
            WslCommand = lab.Wsl is null || windows ? null : $"ip netns exec {lab.Wsl.Name} env FLATNET_ETC={Path.Combine(labDirectory, source.Name, "wsl-etc")}",
            Deploy = new DeployDocument
            {
                Transport = "ssh", Address = lab.Underlay, Port = 22, User = "root",
                Identity = clientKey, HostKey = hostKey, KeygenOnHost = source.Host.Deploy.KeygenOnHost,
            },
        };
        InventoryWriter.WriteHost(enrolled ? Directory : Pending, doc,
            $"Lab stand-in for {source.Name}{(windows ? " (Windows: cmd.exe, PowerShell and wsl.exe stand-ins)" : "")}: namespace {lab.Host.Name} (LAN {lab.Underlay}), {(lab.Wsl is null ? "no WSL2" : "its WSL2 " + lab.Wsl.Name)}, Nebula {nebula.Version}. Made by the Lab target.");
    }

    /// <summary>Puts a host that has namespaces but is not yet in the inventory into it (a new PC joining).</summary>
    public void Enroll(string name)
    {
        var staged = Path.Combine(Pending, name + ".yaml");
        if (!File.Exists(staged)) throw new FlatnetException($"lab: no pending host {name}", fix: "enroll only hosts the lab was built without (enrolled: [...])");
        File.Move(staged, Path.Combine(Directory, name + ".yaml"), overwrite: true);
    }

    /// <summary>network.yaml: the source's, with the lab's CA, the lab lighthouses' LAN endpoints and releases, and the tools to use.</summary>
    /// <param name="windowsRelease">the lab's Nebula Windows release, when it has Windows stand-ins (<see cref="LabWindows.Release"/>).</param>
    public void WriteNetwork(LabDaemon lighthouse, string? certTool, string machineNebula, LabManagedLighthouses? managed = null, string? windowsRelease = null)
    {
        var network = InventoryWriter.ReadNetwork(sourceInventory);
        network.Ca = new CaDocument { Name = "flatnet-lab-ca", Crt = "pki/ca.crt", Key = "pki/ca.key", CreateIfMissing = true };
        var port = network.ListenPort ?? 4242;
        network.Lighthouses = [.. (network.Lighthouses ?? []).Select((l, i) =>
        {
            var doc = new LighthouseDocument
                { Name = l.Name, OverlayIp = l.OverlayIp, Endpoints = [$"{wires.Lan}.{i + 1}:{port}"], NebulaVersion = lighthouse.Version.ToString() };
            if (managed is null) return doc;
            doc.Managed = true;
            doc.Os = "linux";
            doc.Root = Path.Combine(labDirectory, l.Name ?? $"lighthouse{i + 1}", "flatnet");
            doc.NebulaBinary = lighthouse.Binary;
            doc.Deploy = new DeployDocument
                { Transport = "ssh", Address = $"{wires.Lan}.{i + 1}", Port = 22, User = "root", Identity = managed.ClientKey, HostKey = managed.HostKeys[i] };
            return doc;
        })];
        network.Nebula = new NebulaDocument
        {
            CertTool = certTool, Linux = new LinuxNebulaDocument { Binary = machineNebula },
            Windows = windowsRelease is null ? null : new WindowsNebulaDocument { Release = windowsRelease },
        };
        InventoryWriter.WriteNetwork(Directory, network, "The lab's network, made by the Lab target from hosts/network.yaml: lab CA, lab lighthouse address.");
    }
}

/// <summary>How the lab's managed lighthouses are reached: each one's pinned sshd host key (in inventory order) and the lab's client key.</summary>
public sealed record LabManagedLighthouses(IReadOnlyList<string> HostKeys, string ClientKey);

/// <summary>A Nebula daemon of the lab: its binary and the release it is, as the lab's inventory declares it.</summary>
public sealed record LabDaemon(string Binary, NebulaVersion Version);
