using Flatnet.Lab;
using Flatnet.Rendering;
using Flatnet.Tools;

namespace Flatnet.Tests;

/// <summary>
/// wsl-routing.sh and host-routing.sh run for real, as root, in a "host" and a "wsl" network namespace joined by a
/// veth pair (WSL2 sits behind Windows the same way). Persistent files go to a temp FLATNET_ETC, never to /etc.
/// </summary>
[Category("Lab")]
public class RoutingScriptTests
{
    private sealed class Rig : IDisposable
    {
        public TestWorkspace Ws { get; } = new();
        public NetworkNamespace Host { get; } = null!;
        public NetworkNamespace Wsl { get; } = null!;
        public string Scripts { get; }
        public string Etc { get; }

        public Rig()
        {
            NetworkNamespace.RequireRoot("the routing script tests");
            Ws.Edit("host-b.yaml", "os:", "os: linux\nwsl_command: ip netns exec fn-wsl-b");
            Ws.Edit("network.yaml", "root: /opt/flatnet", $"    root: {Path.Combine(Ws.Root, "host-root")}"); // the watcher's pid file goes there
            var control = Ws.ControlPlane();
            var plan = control.Context.Plan;
            Scripts = Path.Combine(Ws.Root, "scripts");
            foreach (var f in control.Context.Render(TestWorkspace.Platforms.Model(plan, plan.Host("host-b"))).Where(f => f.Path.StartsWith("scripts/")))
            {
                Directory.CreateDirectory(Scripts);
                File.WriteAllBytes(Path.Combine(Ws.Root, f.Path), f.Content);
            }
            Etc = Path.Combine(Ws.Root, "etc");
            Directory.CreateDirectory(Etc);
            var id = Guid.NewGuid().ToString("N")[..6];
            try
            {
                Host = NetworkNamespace.Create($"fn-rh{id}");
                Wsl = NetworkNamespace.Create($"fn-rw{id}");
                NetworkNamespace.Link(Host, "veth-wsl", "172.29.2.1/24", Wsl, "eth0", "172.29.2.2/24");
                Wsl.Run("ip", "route", "add", "default", "via", "172.29.2.1");
            }
            catch
            {
                Dispose(); // a half-built rig still cleans up
                throw;
            }
        }

        public ProcessResult WslRouting(params string[] args) =>
            Wsl.Try(new[] { "env", $"FLATNET_ETC={Etc}", "bash", Path.Combine(Scripts, "wsl-routing.sh") }.Concat(args).ToArray());

        public ProcessResult HostRouting(params string[] args) =>
            Host.Try(new[] { "env", $"FLATNET_ETC={Etc}", "bash", Path.Combine(Scripts, "host-routing.sh") }.Concat(args).ToArray());

        public void Dispose()
        {
            (Wsl as IDisposable)?.Dispose();
            (Host as IDisposable)?.Dispose();
            Ws.Dispose();
        }
    }

    [Test]
    public void WslRoutingTakesTheStableAddressRoutesViaWindowsAndIsIdempotent()
    {
        using var rig = new Rig();
        var first = rig.WslRouting("--install-boot");
        Assert.That(first.ExitCode, Is.EqualTo(0), first.StdErr);
        Assert.That(first.StdOut, Does.Contain("set: address 10.101.2.1/32 on eth0"));

        Assert.That(rig.Wsl.Run("ip", "-4", "-o", "addr", "show", "dev", "eth0").StdOut, Does.Contain("inet 10.101.2.1/32"));
        var routes = rig.Wsl.Run("ip", "-4", "route", "show").StdOut.Split('\n').Select(l => l.Trim()).ToList();
        Assert.That(routes, Does.Contain("10.100.0.0/16 via 172.29.2.1 dev eth0 src 10.101.2.1 mtu 1300"));
        Assert.That(routes, Has.Member("10.101.0.0/16 via 172.29.2.1 dev eth0 src 10.101.2.1 mtu 1300"), "one route for every host's block");
        Assert.That(routes.Count(r => r.Contains("src 10.101.2.1")), Is.EqualTo(2), "the overlay and the pool, whatever the fleet's size");
        Assert.That(routes.Where(r => r.StartsWith("10.101.2.")), Is.Empty, "its own block is not routed away");
        Assert.That(File.ReadAllText(Path.Combine(rig.Etc, "wsl.conf")), Is.EqualTo($"[boot]\ncommand = \"{Path.Combine(rig.Scripts, "wsl-routing.sh")}\"\n"));

        var before = rig.Wsl.Run("ip", "-4", "route", "show").StdOut + rig.Wsl.Run("ip", "-4", "addr").StdOut;
        var second = rig.WslRouting("--install-boot");
        Assert.That(second.StdOut.Trim(), Is.EqualTo("unchanged: WSL2 routing for host-b was already in place"));
        Assert.That(rig.Wsl.Run("ip", "-4", "route", "show").StdOut + rig.Wsl.Run("ip", "-4", "addr").StdOut, Is.EqualTo(before));

        var check = rig.WslRouting("--check", "--install-boot");
        Assert.That((check.ExitCode, check.StdOut.Trim()), Is.EqualTo((0, "ok: WSL2 routing for host-b is in place")));
    }

    [Test]
    public void WslRoutingKeepsTheMeshsNamesInWslsHostsFileAndNeverTouchesTheUsersOwnLines()
    {
        using var rig = new Rig();
        var hosts = Path.Combine(rig.Etc, "hosts");
        const string mine = "127.0.0.1 localhost\n192.0.2.80 office-printer   # the user's own\n\n# a comment of theirs\n";
        File.WriteAllText(hosts, mine);

        var first = rig.WslRouting();
        Assert.That(first.StdOut, Does.Contain($"set: names (5) in {hosts}"), first.StdErr);
        Assert.That(File.ReadAllText(hosts), Is.EqualTo(File.ReadAllText(Path.Combine(rig.Scripts, "names.hosts")) + mine), "flatnet's names first, before any copy WSL makes of Windows' entries");
        Assert.That(File.ReadAllLines(hosts), Does.Contain("10.101.1.1 host-a-wsl").And.Contain("10.100.3.1 host-c").And.None.EndsWith(" host-b"),
            "every other host and WSL2, never its own host");
        Assert.That(rig.WslRouting().StdOut.Trim(), Is.EqualTo("unchanged: WSL2 routing for host-b was already in place"));
        Assert.That(rig.WslRouting("--check").ExitCode, Is.EqualTo(0));
        Assert.That(Directory.GetFiles(rig.Etc, "*.flatnet-old"), Is.Empty, "the copy kept aside while writing is gone once the file is whole");

        // A line edited inside flatnet's block is put back; one the user adds below it stays.
        File.WriteAllText(hosts, File.ReadAllText(hosts).Replace("10.100.3.1 host-c", "10.9.9.9 host-c") + "192.0.2.81 nas\n");
        var check = rig.WslRouting("--check");
        Assert.That((check.ExitCode, check.StdOut), Is.EqualTo((1, $"missing: names (5) in {hosts}\n")));
        Assert.That(rig.WslRouting().StdOut, Does.Contain($"set: names (5) in {hosts}"));
        Assert.That(File.ReadAllText(hosts), Is.EqualTo(File.ReadAllText(Path.Combine(rig.Scripts, "names.hosts")) + mine + "192.0.2.81 nas\n"));

        // --remove takes flatnet's block out and leaves every line of the user's, byte for byte.
        Assert.That(rig.WslRouting("--remove").StdOut, Does.Contain($"removed: names from {hosts}"));
        Assert.That(File.ReadAllText(hosts), Is.EqualTo(mine + "192.0.2.81 nas\n"));

        // A hosts file that is a link is another tool's: never written through.
        var elsewhere = Path.Combine(rig.Ws.Root, "elsewhere");
        File.WriteAllText(elsewhere, "keep\n");
        File.Delete(hosts);
        File.CreateSymbolicLink(hosts, elsewhere);
        Assert.That(rig.WslRouting().StdOut, Does.Contain($"warning: names: {hosts} is a symbolic link"));
        Assert.That(File.ReadAllText(elsewhere), Is.EqualTo("keep\n"));

        // Half a block (its END line deleted by hand) is named, not guessed at.
        File.Delete(hosts);
        File.WriteAllText(hosts, mine + "# BEGIN flatnet names (old)\n10.100.3.1 host-c\n");
        Assert.That(rig.WslRouting().StdOut, Does.Contain("has flatnet's BEGIN and END lines out of pairs or out of order (1 BEGIN, 0 END)"));
        Assert.That(File.ReadAllText(hosts), Is.EqualTo(mine + "# BEGIN flatnet names (old)\n10.100.3.1 host-c\n"));

        // Battery 9: an END line before the BEGIN line had everything from BEGIN to the file's end deleted.
        var reversed = mine + "# END flatnet names\nuser1 x\n# BEGIN flatnet names\nuser3 z\nuser4 w\n";
        File.WriteAllText(hosts, reversed);
        Assert.That(rig.WslRouting().StdOut, Does.Contain("(1 BEGIN, 1 END, END first)"));
        Assert.That(File.ReadAllText(hosts), Is.EqualTo(reversed));

        // Names off (or --remove) on a file with no block and no last line break: not a byte changes, nothing said.
        File.WriteAllText(hosts, "127.0.0.1 localhost");
        var removed = rig.WslRouting("--remove");
        Assert.That((removed.StdOut.Contains("names"), File.ReadAllText(hosts)), Is.EqualTo((false, "127.0.0.1 localhost")));

        // An immutable hosts file (chattr +i) is named with its fix; the script goes on.
        File.WriteAllText(hosts, mine);
        Assert.That(global::Flatnet.Processes.ProcessRunner.Run("chattr", ["+i", hosts]).ExitCode, Is.EqualTo(0), "chattr works on the test machine's file system");
        try
        {
            var immutable = rig.WslRouting();
            Assert.That(immutable.ExitCode, Is.EqualTo(0), immutable.StdErr);
            Assert.That(immutable.StdOut, Does.Contain($"warning: names: {hosts} cannot be written"));
        }
        finally { global::Flatnet.Processes.ProcessRunner.Run("chattr", ["-i", hosts]); }
        Assert.That(File.ReadAllText(hosts), Is.EqualTo(mine));
    }

    [Test]
    public void WslRoutingRemovesTheRoutesAnOlderFlatnetSetPerBlockAndNothingElse()
    {
        using var rig = new Rig();
        Assert.That(rig.WslRouting().ExitCode, Is.EqualTo(0));
        // An older flatnet routed each block on its own (here host-d's) from the stable address; the pool route
        // replaces them. Another program's route to a 10.101 network (without flatnet's source) is not flatnet's to touch.
        rig.Wsl.Run("ip", "route", "add", "10.101.4.0/24", "via", "172.29.2.1", "dev", "eth0", "src", "10.101.2.1", "mtu", "1300");
        rig.Wsl.Run("ip", "route", "add", "10.101.77.0/24", "via", "172.29.2.1", "dev", "eth0");

        var check = rig.WslRouting("--check");
        Assert.That((check.ExitCode, check.StdOut), Is.EqualTo((1, "stale: route 10.101.4.0/24 (not in the plan)\n")));
        var run = rig.WslRouting();
        Assert.That(run.StdOut.Trim(), Is.EqualTo("removed: route 10.101.4.0/24 (not in the plan)"));
        var routes = rig.Wsl.Run("ip", "-4", "route", "show").StdOut;
        Assert.That(routes, Does.Not.Contain("10.101.4.0/24").And.Contain("10.101.77.0/24 via 172.29.2.1"));
        Assert.That(rig.WslRouting().StdOut.Trim(), Is.EqualTo("unchanged: WSL2 routing for host-b was already in place"));
    }

    [Test]
    public void WslRoutingRemoveTakesOutWhatItSetAndKeepsAnotherProgramsRouteAndBootCommand()
    {
        using var rig = new Rig();
        File.WriteAllText(Path.Combine(rig.Etc, "wsl.conf"), "[boot]\nsystemd = true\ncommand = \"service docker start\"\n[user]\ndefault = kh\n");
        Assert.That(rig.WslRouting("--install-boot").ExitCode, Is.EqualTo(0));
        rig.Wsl.Run("ip", "route", "add", "10.101.77.0/24", "via", "172.29.2.1", "dev", "eth0"); // another program's

        var removed = rig.WslRouting("--remove");
        Assert.That(removed.ExitCode, Is.EqualTo(0), removed.StdErr);
        Assert.That(removed.StdOut, Does.Contain("removed: route 10.100.0.0/16\n").And.Contain("removed: route 10.101.0.0/16\n")
            .And.Contain("removed: address 10.101.2.1/32 on eth0\n").And.Contain("(kept: service docker start)"));
        Assert.That(rig.Wsl.Run("ip", "-4", "addr").StdOut, Does.Not.Contain("10.101.2.1"));
        var routes = rig.Wsl.Run("ip", "-4", "route", "show").StdOut;
        Assert.That(routes, Does.Not.Contain("src 10.101.2.1").And.Contain("10.101.77.0/24 via 172.29.2.1").And.Contain("default via 172.29.2.1"));
        Assert.That(File.ReadAllText(Path.Combine(rig.Etc, "wsl.conf")), Is.EqualTo("[boot]\nsystemd = true\ncommand = \"service docker start\"\n[user]\ndefault = kh\n"));
        Assert.That(rig.WslRouting("--remove").StdOut.Trim(), Is.EqualTo("nothing to remove: WSL2 routing for host-b is not in place"));
    }

    [Test]
    public void HostRoutingRemoveStopsTheWatcherAndDeletesTheRouteAndItsSysctlFile()
    {
        using var rig = new Rig();
        Assert.That(rig.WslRouting().ExitCode, Is.EqualTo(0));
        var watch = rig.HostRouting("--wsl-ip", "172.29.2.2", "--watch", "--interval", "1");
        Assert.That(watch.ExitCode, Is.EqualTo(0), watch.StdErr);
        Assert.That(rig.Host.Run("ip", "-4", "route").StdOut, Does.Contain("10.101.2.0/24 via 172.29.2.2"));

        var removed = rig.HostRouting("--remove");
        Assert.That(removed.ExitCode, Is.EqualTo(0), removed.StdErr);
        Assert.That(removed.StdOut, Does.StartWith("removed: the routing watcher (pid ").And.Contain("removed: route 10.101.2.0/24\n")
            .And.Contain("60-flatnet.conf (forwarding stays on until the next boot"));
        Thread.Sleep(2500); // two of the watcher's intervals: had it survived, it would have put the route back
        Assert.That(rig.Host.Run("ip", "-4", "route").StdOut, Does.Not.Contain("10.101.2.0/24"));
        Assert.That(File.Exists(Path.Combine(rig.Etc, "sysctl.d", "60-flatnet.conf")), Is.False);
        Assert.That(rig.HostRouting("--remove").StdOut.Trim(), Is.EqualTo("nothing to remove: host routing for host-b is not in place"));
    }

    [Test]
    public void WslRoutingKeepsTheRestOfWslConfAndAnotherProgramsBootCommand()
    {
        using var rig = new Rig();
        File.WriteAllText(Path.Combine(rig.Etc, "wsl.conf"), "[network]\ngenerateResolvConf = false\n[boot]\nsystemd = true\ncommand = \"service docker start\"\n[user]\ndefault = kh\n");
        Assert.That(rig.WslRouting("--install-boot").ExitCode, Is.EqualTo(0));
        var self = Path.Combine(rig.Scripts, "wsl-routing.sh");
        Assert.That(File.ReadAllText(Path.Combine(rig.Etc, "wsl.conf")), Is.EqualTo(
            $"[network]\ngenerateResolvConf = false\n[boot]\nsystemd = true\ncommand = \"service docker start; {self}\"\n[user]\ndefault = kh\n"));
        Assert.That(rig.WslRouting("--install-boot").StdOut.Trim(), Is.EqualTo("unchanged: WSL2 routing for host-b was already in place"));

        // A wsl-routing.sh of an earlier install, at another path, is replaced; the other command stays.
        File.WriteAllText(Path.Combine(rig.Etc, "wsl.conf"), "[boot]\ncommand = \"service docker start; /mnt/e/old/scripts/wsl-routing.sh\"\n");
        Assert.That(rig.WslRouting("--install-boot").ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllText(Path.Combine(rig.Etc, "wsl.conf")), Is.EqualTo($"[boot]\ncommand = \"service docker start; {self}\"\n"));
    }

    [Test]
    public void WslRoutingCheckReportsWhatIsMissingAndChangesNothing()
    {
        using var rig = new Rig();
        var check = rig.WslRouting("--check");
        Assert.That(check.ExitCode, Is.EqualTo(1));
        Assert.That(check.StdOut, Does.Contain("missing: address 10.101.2.1/32 on eth0").And.Contain("missing: route 10.100.0.0/16"));
        Assert.That(rig.Wsl.Run("ip", "-4", "addr", "show", "dev", "eth0").StdOut, Does.Not.Contain("10.101.2.1"));
    }

    [Test]
    public void HostRoutingRoutesTheBlockToWslReplacesAStaleRouteAndIsIdempotent()
    {
        using var rig = new Rig();
        rig.Host.Run("sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
        Assert.That(rig.WslRouting().ExitCode, Is.EqualTo(0));

        var first = rig.HostRouting("--wsl-ip", "172.29.2.2");
        Assert.That(first.ExitCode, Is.EqualTo(0), first.StdErr);
        Assert.That(rig.Host.Run("ip", "-4", "route", "show", "exact", "10.101.2.0/24").StdOut.Trim(), Is.EqualTo("10.101.2.0/24 via 172.29.2.2 dev veth-wsl"));
        Assert.That(rig.Host.Run("sysctl", "-n", "net.ipv4.ip_forward").StdOut.Trim(), Is.EqualTo("1"));
        Assert.That(File.ReadAllText(Path.Combine(rig.Etc, "sysctl.d", "60-flatnet.conf")), Is.EqualTo("net.ipv4.ip_forward = 1\n"));
        Assert.That(rig.Host.Run("ip", "-4", "route", "show").StdOut, Does.Not.Contain("10.100.0.0/16"), "the overlay is Nebula's, never routed to WSL2");

        // The block really reaches WSL2's stable address now.
        var ping = rig.Host.Try("ping", "-c", "1", "-W", "2", "10.101.2.1");
        Assert.That(ping.ExitCode, Is.EqualTo(0), ping.StdOut);

        Assert.That(rig.HostRouting("--wsl-ip", "172.29.2.2").StdOut.Trim(), Is.EqualTo("unchanged: host routing for host-b was already in place"));

        var moved = rig.HostRouting("--wsl-ip", "172.29.2.3");
        Assert.That(moved.StdOut, Does.Contain("set: route 10.101.2.0/24 via 172.29.2.3 (was: 10.101.2.0/24 via 172.29.2.2 dev veth-wsl"));
        Assert.That(rig.Host.Run("ip", "-4", "route", "show", "exact", "10.101.2.0/24").StdOut.Trim(), Is.EqualTo("10.101.2.0/24 via 172.29.2.3 dev veth-wsl"));
    }

    [Test]
    public void HostRoutingAsksWslLikeWindowsDoesAndSkipsTheStableAddress()
    {
        using var rig = new Rig();
        var result = rig.Host.Try("env", $"FLATNET_ETC={rig.Etc}", "FLATNET_WSL_QUERY=echo 10.101.2.1 172.29.2.2", "bash", Path.Combine(rig.Scripts, "host-routing.sh"));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.StdErr);
        Assert.That(rig.Host.Run("ip", "-4", "route", "show", "exact", "10.101.2.0/24").StdOut, Does.Contain("via 172.29.2.2"));

        var refused = rig.HostRouting("--wsl-ip", "10.101.2.1");
        Assert.That(refused.ExitCode, Is.EqualTo(1));
        Assert.That(refused.StdErr, Does.Contain("10.101.2.1 is inside 10.101.2.0/24: that is WSL2's stable address"));
    }

    [Test]
    public void NoNamespaceIsLeftBehind()
    {
        using (new Rig()) { }
        Assert.That(NetworkNamespace.All().Where(n => n.StartsWith("fn-r")), Is.Empty);
    }
}
