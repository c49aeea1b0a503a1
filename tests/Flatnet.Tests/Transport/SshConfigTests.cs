using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>
/// flatnet reaches a host as the user's own ssh would: ~/.ssh/config's Host blocks (ssh_config(5)), every default
/// key type, and known_hosts as ssh writes it, hashed names included; the inventory's deploy fields come first.
/// </summary>
public class SshConfigTests
{
    private sealed class Home : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("flatnet-home-").FullName;
        public Home(string config = "")
        {
            Directory.CreateDirectory(Path.Combine(Root, ".ssh"));
            File.WriteAllText(Path.Combine(Root, ".ssh", "config"), config);
        }
        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    private static global::Flatnet.Inventory.HostEntry Host(string deploy)
    {
        using var ws = new TestWorkspace();
        ws.Write("host-d.yaml", $"name: host-d\nindex: 4\nos: windows\ndeploy:\n  transport: ssh\n{deploy}");
        return ws.ControlPlane().Context.Plan.Host("host-d").Host;
    }

    [Test]
    public void AHostBlockGivesUserPortAndKeysTheInventoryLeavesOut()
    {
        using var home = new Home("""
            # the user's own config
            Host host-d
                User kh
                IdentityFile ~/.ssh/office_ed25519
            Host 192.168.1.*  !192.168.1.1
                Port=2222
                User ignored-a-first-value-was-found
                IdentityFile ~/.ssh/second
            Host *
                User everyone
            """);
        var target = SshTarget.For(Host("  address: 192.168.1.23\n"), home.Root);
        Assert.That((target.Address, target.Port, target.User), Is.EqualTo(("192.168.1.23", 2222, "kh")), "first value wins, as in ssh_config(5)");
        Assert.That(target.Identities, Is.EqualTo(new[] { Path.Combine(home.Root, ".ssh/office_ed25519"), Path.Combine(home.Root, ".ssh/second") }));

        var pinned = SshTarget.For(Host("  address: 192.168.1.23\n  port: 22\n  user: flatnet\n  identity: /keys/deploy\n"), home.Root);
        Assert.That((pinned.Port, pinned.User, pinned.Identities.Single()), Is.EqualTo((22, "flatnet", "/keys/deploy")), "the inventory's own fields come first");

        var excluded = SshTarget.For(Host("  address: 192.168.1.1\n"), home.Root);
        Assert.That((excluded.Port, excluded.User), Is.EqualTo((22, "kh")), "a negated pattern excludes its block; host-d's own block still applies");
    }

    [Test]
    public void WithoutAConfigEveryDefaultKeyTypeIsTriedAndBothKnownHostsFilesRead()
    {
        using var home = new Home();
        var target = SshTarget.For(Host("  address: pc-7.office.lan\n  user: flatnet\n"), home.Root);
        Assert.That(target.Identities.Select(Path.GetFileName), Is.EqualTo(new[] { "id_ed25519", "id_ecdsa", "id_rsa" }));
        Assert.That(target.KnownHosts, Is.EqualTo(new[] { Path.Combine(home.Root, ".ssh/known_hosts"), Path.Combine(home.Root, ".ssh/known_hosts2"), "/etc/ssh/ssh_known_hosts" }));
    }

    [Test]
    public void AHashedKnownHostsEntryIsReadAsSshWroteIt()
    {
        // HashKnownHosts yes (Debian's and Ubuntu's default): ssh-keygen -H writes the names as HMAC-SHA1 hashes.
        using var home = new Home();
        var key = Path.Combine(home.Root, "hostkey");
        SshKeygen.Ed25519(key, "test");
        var pub = File.ReadAllText(key + ".pub").Split(' ');
        var file = Path.Combine(home.Root, ".ssh", "known_hosts");
        File.WriteAllText(file, $"192.168.1.23 {pub[0]} {pub[1]}\n[192.168.1.24]:2222 {pub[0]} {pub[1]}\n");
        ProcessRunner.Run("ssh-keygen", ["-H", "-f", file]).EnsureSuccess("ssh-keygen -H");
        Assert.That(File.ReadAllText(file), Does.Not.Contain("192.168.1.23"), "the names are hashed now");
        var blob = Convert.FromBase64String(pub[1]);
        Assert.That(KnownHosts.Check([file], "192.168.1.23", 22, pub[0], blob), Is.EqualTo(KnownHostVerdict.Known));
        Assert.That(KnownHosts.Check([file], "192.168.1.24", 2222, pub[0], blob), Is.EqualTo(KnownHostVerdict.Known), "[host]:port for another port");
        Assert.That(KnownHosts.Check([file], "192.168.1.24", 22, pub[0], blob), Is.EqualTo(KnownHostVerdict.Unknown));
        var other = new byte[blob.Length];
        Assert.That(KnownHosts.Check([file], "192.168.1.23", 22, pub[0], other), Is.EqualTo(KnownHostVerdict.Changed), "another key of the same type: refused as ssh refuses it");
        File.AppendAllText(file, $"@revoked * {pub[0]} {pub[1]}\n");
        Assert.That(KnownHosts.Check([file], "192.168.1.23", 22, pub[0], blob), Is.EqualTo(KnownHostVerdict.Revoked));
    }
}
