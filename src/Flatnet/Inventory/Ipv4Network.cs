using System.Net;
using System.Net.Sockets;

namespace Flatnet.Inventory;

/// <summary>An IPv4 network in CIDR form (10.100.0.0/16). Values are kept as host-order uint for easy maths.</summary>
public readonly record struct Ipv4Network(uint Network, int PrefixLength)
{
    public static readonly Ipv4Network WslNatRange = Parse("172.16.0.0/12");

    public uint Mask => PrefixLength == 0 ? 0u : uint.MaxValue << (32 - PrefixLength);
    public ulong Size => 1UL << (32 - PrefixLength);
    public uint Last => Network | ~Mask;

    public static Ipv4Network Parse(string text) =>
        TryParse(text, out var net, out var error) ? net : throw new FlatnetException(error, fix: "write an IPv4 network as ADDRESS/PREFIX, e.g. 10.101.0.0/16");

    /// <summary>Parses "a.b.c.d/n"; refuses host bits set so a typo like 10.101.2.1/24 is caught, not silently masked.</summary>
    public static bool TryParse(string? text, out Ipv4Network network, out string error)
    {
        network = default;
        error = "";
        var parts = (text ?? "").Trim().Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[1], out var prefix) || prefix is < 0 or > 32)
        {
            error = $"'{text}' is not an IPv4 network in CIDR form like 10.100.0.0/16";
            return false;
        }
        if (!TryParseAddress(parts[0], out var address))
        {
            error = $"'{parts[0]}' is not an IPv4 address";
            return false;
        }
        var candidate = new Ipv4Network(address, prefix);
        if ((address & ~candidate.Mask) != 0)
        {
            error = $"'{text}' has host bits set; the network is {new Ipv4Network(address & candidate.Mask, prefix)}";
            return false;
        }
        network = candidate;
        return true;
    }

    public static bool TryParseAddress(string? text, out uint address)
    {
        address = 0;
        var t = (text ?? "").Trim();
        // IPAddress.TryParse accepts "10.1" and similar short forms; insist on four dotted parts.
        if (t.Split('.').Length != 4 || !IPAddress.TryParse(t, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
            return false;
        var b = ip.GetAddressBytes();
        address = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        return true;
    }

    public static string FormatAddress(uint address) =>
        $"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}";

    public bool Contains(uint address) => (address & Mask) == Network;
    public bool Contains(Ipv4Network other) => other.PrefixLength >= PrefixLength && Contains(other.Network);
    public bool Overlaps(Ipv4Network other) => Contains(other.Network) || other.Contains(Network);

    /// <summary>The i-th sub-network of the given prefix length inside this one (i = 0 is the first).</summary>
    public Ipv4Network Subnet(int prefixLength, uint index) =>
        new(Network + (uint)(index * (1UL << (32 - prefixLength))), prefixLength);

    public string NetworkAddress => FormatAddress(Network);
    public override string ToString() => $"{FormatAddress(Network)}/{PrefixLength}";
}
