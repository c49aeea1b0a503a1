using Flatnet.Verification;
using Flatnet.Addressing;

namespace Flatnet.Tests;

/// <summary>
/// A VerifyPing outcome on the example inventory with one link of each kind: host-a - host-b direct, host-a - host-c
/// relayed through the lighthouse, host-b - host-c down; host-c does not reach the lighthouse and its WSL2's pings fail.
/// </summary>
public static class MeshFixture
{
    public static PingMatrix Matrix(AddressPlan plan)
    {
        string Ip(string h) => plan.Host(h).OverlayAddress;
        string Wsl(string h) => plan.Host(h).WslAddress!;
        var relay = plan.Lighthouses[0].OverlayAddress;
        var results = new List<PingResult>();
        void Ping(string from, string to, bool ok, string tunnel = "-", string detail = "")
        {
            var target = to.EndsWith("/wsl", StringComparison.Ordinal) ? Wsl(to.Split('/')[0]) : Ip(to);
            results.Add(new PingResult(from, to, target, ok, ok ? 1.25 : null, ok ? tunnel : "-", detail));
        }
        Ping("host-a", "host-b", true, "direct 198.18.0.12:4242");
        Ping("host-b", "host-a", true, "direct 198.18.0.11:4242");
        Ping("host-a", "host-c", true, $"relayed via {relay}");
        Ping("host-c", "host-a", true, $"relayed via {relay}");
        Ping("host-b", "host-c", false, detail: "100% packet loss");
        Ping("host-c", "host-b", false, detail: "100% packet loss");
        foreach (var (from, to) in new[] { ("host-a", "host-b"), ("host-b", "host-a"), ("host-a", "host-c") })
        {
            Ping($"{from}/wsl", to, true, "direct");
            Ping($"{from}/wsl", $"{to}/wsl", true, "direct");
        }
        Ping("host-c/wsl", "host-a", false, detail: "<script>alert('no route')</script>");
        return new PingMatrix(results)
        {
            Hosts =
            [
                new HostCheck("host-a", true, "running", []),
                new HostCheck("host-b", true, "running", []),
                new HostCheck("host-c", true, "running", [plan.Lighthouses[0].Name]),
            ],
        };
    }
}
