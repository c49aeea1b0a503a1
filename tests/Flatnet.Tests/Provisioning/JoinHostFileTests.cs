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
}
