using Flatnet.Verification;

namespace Flatnet.Tests;

/// <summary>Status's table: one row per host, an unreachable one says why instead of crashing the report.</summary>
public class StatusTests
{
    [Test]
    public void TheTableShowsEveryHostAndAnUnreachableOneSaysWhy()
    {
        var rows = new[]
        {
            new HostStatus { Host = "host-a", Reachable = true, Nebula = "1.11.0", Service = "running", CertificateDaysLeft = 364, Routing = "ok",
                Tunnels = new Dictionary<string, string> { ["host-b"] = "direct 198.18.0.12:4242" } },
            new HostStatus { Host = "host-b", Reachable = false, CertificateDaysLeft = 12, Problem = "cannot connect to root@198.18.0.12:22 (host-b): Connection refused" },
        };
        var lines = Status.Table(rows, ["host-a", "host-b"]).Split('\n');
        Assert.That(lines[0], Does.StartWith("  host ").And.Contain("host-a").And.Contain("host-b"));
        Assert.That(lines[0], Does.Contain(" routing "));
        Assert.That(lines[1], Does.Contain("host-a").And.Contain(" ok ").And.Contain("1.11.0").And.Contain("364d").And.Contain("direct 198.18.0.12:4242"));
        Assert.That(lines[2], Does.Contain("host-b").And.Contain("DOWN").And.Contain("12d"));
        Assert.That(lines[3].Trim(), Is.EqualTo("cannot connect to root@198.18.0.12:22 (host-b): Connection refused"));
    }
}
