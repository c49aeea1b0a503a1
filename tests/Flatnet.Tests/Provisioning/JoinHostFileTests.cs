namespace Flatnet.Tests;

/// <summary>
/// The host's file Join writes and pins the reply into: read only as a small plain UTF-8 file (never a FIFO, never
/// whole when huge), and a reply taken back puts it back byte for byte (battery 43).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class JoinHostFileTests
{
    private const string Reply = "flatnet-join host=host-d host_key=SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s address=ADDRESS user=kh";

    /// <summary>Its byte order mark went, and the file said "nothing was written".</summary>
    [Test]
    public void AReplyTakenBackPutsTheFileBackByteForByte()
    {
        using var ws = new TestWorkspace();
        JoinTests.RenderJoin(ws);
        var file = ws.HostsFile("host-d.yaml");
        var before = "\uFEFF"u8.ToArray().Concat(File.ReadAllBytes(file)).Concat("# caf\u00e9 notes\r\n"u8.ToArray()).ToArray();
        File.WriteAllBytes(file, before);
        Assert.Throws<InventoryProblem>(() => ws.ControlPlane().JoinReply("host-d", Reply.Replace("ADDRESS", "10.101.2.9")));
        Assert.That(File.ReadAllBytes(file), Is.EqualTo(before));
    }

    /// <summary>A Latin-1 byte in a comment came back as U+FFFD: a file that is not UTF-8 is named, never rewritten.</summary>
    [Test]
    public void AFileThatIsNotUtf8IsNamedAndNeverRewritten()
    {
        using var ws = new TestWorkspace();
        JoinTests.RenderJoin(ws);
        var file = ws.HostsFile("host-d.yaml");
        var before = File.ReadAllBytes(file).Concat(new byte[] { (byte)'#', (byte)' ', 0x63, 0x61, 0x66, 0xE9, (byte)'\n' }).ToArray();
        File.WriteAllBytes(file, before);
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().JoinReply("host-d", Reply.Replace("ADDRESS", "192.168.1.23")))!;
        Assert.That(e.Message, Does.Contain("host-d.yaml is not UTF-8 text").And.Contain("fix: save it as UTF-8"));
        Assert.That(File.ReadAllBytes(file), Is.EqualTo(before));
    }

    /// <summary>Join --reply hung on a FIFO at the host's file (holding its locks) and read a 60 MB one whole; Join blamed a FIFO's name:.</summary>
    [Test]
    public void AFifoOrAHugeFileAtTheHostsFileIsNamedNeverRead()
    {
        using var ws = new TestWorkspace();
        JoinTests.RenderJoin(ws);
        var file = ws.HostsFile("host-d.yaml");
        File.Delete(file);
        Flatnet.Processes.ProcessRunner.Run("mkfifo", [file]).EnsureSuccess("mkfifo");
        var reply = Task.Run(() => Assert.Catch<FlatnetException>(() => ws.ControlPlane().JoinReply("host-d", Reply.Replace("ADDRESS", "192.168.1.23")))!);
        Assert.That(reply.Wait(TimeSpan.FromSeconds(60)), Is.True, "Join never waits on a FIFO");
        Assert.That(reply.Result.Message, Does.Contain("host-d.yaml (an inventory file) is a fifo"));
        var prepare = Assert.Catch<FlatnetException>(() => ws.ControlPlane().Join("host-d"))!;
        Assert.That(prepare.Message, Does.Contain("host-d.yaml is a fifo, not a regular file, where the host's file goes; nothing was written").And.Not.Contain("does not describe"));

        File.Delete(file);
        File.WriteAllText(file, "name: host-d\n# " + new string('x', 300 * 1024) + "\n");
        var huge = Assert.Catch<FlatnetException>(() => ws.ControlPlane().JoinReply("host-d", Reply.Replace("ADDRESS", "192.168.1.23")))!;
        Assert.That(huge.Message, Does.Contain("is larger than any such file (256 KiB at most)"));
    }

    /// <summary>
    /// Battery 45: a reply whose address clashed with host-b's was kept when the joining host's name sorted first (the
    /// clash is named in the later file, host-b's), and every target stopped on the inventory from then on.
    /// </summary>
    [Test]
    public void AReplyThatBreaksAnotherHostsFileIsTakenBackWhateverItsName()
    {
        using var ws = new TestWorkspace();
        JoinTests.RenderJoin(ws);
        ws.Write("a-pc.yaml", $"name: a-pc\nindex: 5\nos: windows\nwsl: true\ndeploy:\n  transport: ssh\n  address: \"\"\n  user: flatnet\n  identity: {Path.Combine(ws.Root, "deploy_ed25519")}\n");
        ws.ControlPlane().Join("a-pc");
        var before = File.ReadAllBytes(ws.HostsFile("a-pc.yaml"));
        var e = Assert.Catch<InventoryProblem>(() => ws.ControlPlane().JoinReply("a-pc", Reply.Replace("host-d", "a-pc").Replace("ADDRESS", "198.18.0.12")))!;
        Assert.That(e.Message, Does.Contain("host-b.yaml").And.Contain("is also a-pc's deploy address"));
        Assert.That(File.ReadAllBytes(ws.HostsFile("a-pc.yaml")), Is.EqualTo(before));
        Assert.DoesNotThrow(() => Flatnet.Addressing.AddressPlan.Load(Path.Combine(ws.Root, "hosts")), "the fleet loads as before");
    }

    /// <summary>Battery 45: a line flatnet added under a block indented by 4 went in at 2, and the file no longer loaded (the admin key's, a reply's).</summary>
    [Test]
    public void ALineFlatnetAddsIsIndentedAsItsNeighbours()
    {
        using var ws = new TestWorkspace();
        var network = ws.HostsFile("network.yaml");
        var lines = File.ReadAllLines(network).ToList();
        var at = lines.IndexOf("nebula:");
        for (var i = at + 1; i < lines.Count && (lines[i].StartsWith(' ') || lines[i].Length == 0); i++)
            if (lines[i].Length > 0) lines[i] = new string(' ', 2) + lines[i]; // every line of the block two spaces further in
        File.WriteAllLines(network, lines);
        Assert.DoesNotThrow(() => Flatnet.Addressing.AddressPlan.Load(Path.Combine(ws.Root, "hosts")), "a block indented by 4 is valid");
        ws.ControlPlane().RenderAll(); // a writing run records the admin key under nebula:
        Assert.That(File.ReadAllText(network), Does.Contain("\n    admin_key: \"ssh-ed25519 "));
        Assert.DoesNotThrow(() => Flatnet.Addressing.AddressPlan.Load(Path.Combine(ws.Root, "hosts")));
    }
}
