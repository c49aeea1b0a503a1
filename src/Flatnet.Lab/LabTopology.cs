using Flatnet.Processes;

namespace Flatnet.Lab;

/// <summary>
/// One lab's wires: the LAN bridge, the build machine's link to it, hosts on it (directly or behind a NAT router),
/// and each host's "WSL2" behind a NATed veth, as Windows puts it. Every lab has a LAN of its own, so labs run side by
/// side and never assume they are alone (<see cref="LabRegistry"/> hands out the octet):
///   lan      a bridge: the LAN 198.18.OCTET.0/24 (the build machine joins it as .254, like an admin PC, on link fnl-ID)
///   hN       host N at .(10+N); behind a router, the router has that address and the host 100.64.N.2
///   wN       its WSL2: 172.29.16.2/20, the same range on every host (as WSL2 may pick)
/// </summary>
public sealed record LabTopology(string Id, int Octet)
{
    /// <summary>The lab LANs' /16 (inside 198.18.0.0/15, set aside for benchmarks and labs; RFC 2544).</summary>
    public const string Prefix = "198.18";
    public const string WslNetwork = "172.29.16";

    /// <summary>This lab's LAN, as the first three parts of an address: 198.18.OCTET.</summary>
    public string Lan => $"{Prefix}.{Octet}";

    public string BuildMachineLink => $"fnl-{Id}";
    private string LanPeer => $"fnp-{Id}";

    /// <summary>The LAN bridge in <paramref name="lan"/>, and the build machine on it as .254.</summary>
    public void CreateLan(NetworkNamespace lan)
    {
        lan.Run("ip", "link", "add", "br0", "type", "bridge");
        lan.Run("ip", "link", "set", "br0", "up");
        ProcessRunner.Run("ip", ["link", "add", BuildMachineLink, "type", "veth", "peer", "name", LanPeer]).EnsureSuccess("ip link add");
        ProcessRunner.Run("ip", ["link", "set", LanPeer, "netns", lan.Name]).EnsureSuccess("ip link set");
        lan.Run("ip", "link", "set", LanPeer, "master", "br0");
        lan.Run("ip", "link", "set", LanPeer, "up");
        ProcessRunner.Run("ip", ["addr", "add", $"{Lan}.254/24", "dev", BuildMachineLink]).EnsureSuccess("ip addr add");
        ProcessRunner.Run("ip", ["link", "set", BuildMachineLink, "up"]).EnsureSuccess("ip link set up");
    }

    public void RemoveBuildMachineLink() => RemoveLink(BuildMachineLink);

    /// <summary>A build machine link of flatnet's (fnl-ID), when it exists.</summary>
    public static void RemoveLink(string name) => ProcessRunner.Run("ip", ["link", "delete", name]);

    /// <summary>Every build machine link of a lab on this machine (fnl-ID).</summary>
    public static IReadOnlyList<string> Links() =>
        ProcessRunner.Run("ip", ["-o", "link", "show"]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3)[1].Trim().Split('@')[0]).Where(n => n.StartsWith("fnl-", StringComparison.Ordinal)).ToList();

    /// <summary>Plugs a node into the LAN bridge with <paramref name="address"/>.</summary>
    public static void Attach(NetworkNamespace lan, NetworkNamespace node, string address)
    {
        var port = "p-" + node.Name[3..];
        NetworkNamespace.Link(lan, port, null, node, "lan0", address);
        lan.Run("ip", "link", "set", port, "master", "br0");
    }

    /// <summary>
    /// Puts <paramref name="host"/> behind <paramref name="router"/> (which holds the LAN address): the host gets
    /// 100.64.N.2, SSH to the router is forwarded to it. Returns the host's own address.
    /// </summary>
    public static string BehindNat(NetworkNamespace router, NetworkNamespace host, int n, LabNat kind)
    {
        var inside = $"100.64.{n}";
        var listen = inside + ".2";
        NetworkNamespace.Link(router, "in0", inside + ".1/24", host, "lan0", listen + "/24");
        host.Run("ip", "route", "add", "default", "via", inside + ".1");
        router.Run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        router.Run(["iptables", "-t", "nat", "-A", "POSTROUTING", "-s", inside + ".0/24", "-o", "lan0", "-j", "MASQUERADE",
            .. kind == LabNat.Symmetric ? new[] { "--random-fully" } : []]);
        router.Run("iptables", "-t", "nat", "-A", "PREROUTING", "-i", "lan0", "-p", "tcp", "--dport", "22", "-j", "DNAT", "--to-destination", listen + ":22");
        // Like a home router, drop what nobody inside asked for. Dropped here, before conntrack confirms it,
        // a stray handshake leaves no state behind that would steal the port the host's punch needs.
        router.Run("iptables", "-A", "INPUT", "-i", "lan0", "-j", "DROP");
        return listen;
    }

    /// <summary>WSL2 behind the host: a veth on {WslNetwork}.0/20, its own traffic to the LAN NATed as the host's.</summary>
    public static void ConnectWsl(NetworkNamespace host, NetworkNamespace wsl)
    {
        NetworkNamespace.Link(host, "veth-wsl", $"{WslNetwork}.1/20", wsl, "eth0", $"{WslNetwork}.2/20");
        wsl.Run("ip", "route", "add", "default", "via", $"{WslNetwork}.1");
        // Traffic from its stable address is routed, not NATed.
        host.Run("iptables", "-t", "nat", "-A", "POSTROUTING", "-s", $"{WslNetwork}.0/20", "-o", "lan0", "-j", "MASQUERADE");
    }
}
