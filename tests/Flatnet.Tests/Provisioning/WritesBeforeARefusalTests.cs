using Flatnet.Provisioning;

namespace Flatnet.Tests;

/// <summary>
/// Battery 44: what flatnet edits in a user's file keeps every other byte, and what would stop a run later stops it
/// before its first write; where a run's later part stops after a write it cannot take back (a recorded revocation),
/// it says what was written and how to finish, never "nothing was changed".
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class WritesBeforeARefusalTests
{
    private static readonly byte[] Latin1Comment = [(byte)'#', (byte)' ', (byte)'r', 0xE9, (byte)'v', (byte)'o', (byte)'q', (byte)'u', 0xE9, (byte)'\n'];

    private static Dictionary<string, byte[]> Files(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith(".flatnet-lock", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    [Test]
    public void InitWithAHostFileThatIsNotUtf8ChangesNothing()
    {
        using var ws = new TestWorkspace();
        File.WriteAllBytes(ws.HostsFile("host-z.yaml"), [.. "name: host-z\nindex: 9\nos: linux\nwsl: false\n"u8.ToArray(), .. Latin1Comment, .. "deploy:\n  transport: none\n"u8.ToArray()]);
        var before = Files(Path.Combine(ws.Root, "hosts"));
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().Init(new InitChoices("192.168.1.10:4242", null, null, null, null, @"C:\flatnet")))!;
        Assert.That(e.Message, Does.Contain("host-z.yaml is not UTF-8 text"));
        Assert.That(Files(Path.Combine(ws.Root, "hosts")), Is.EquivalentTo(before), "network.yaml and the examples as they were");
    }

    [Test]
    public void InitCaWithANetworkFileThatCannotRecordTheAdminKeyMakesNoKey()
    {
        using var ws = new TestWorkspace();
        var pki = Path.Combine(ws.Root, "pki");
        if (Directory.Exists(pki)) Directory.Delete(pki, recursive: true);
        var network = ws.HostsFile("network.yaml");
        File.WriteAllBytes(network, [.. File.ReadAllBytes(network), .. Latin1Comment]);
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().InitCa())!;
        Assert.That(e.Message, Does.Contain("network.yaml is not UTF-8 text"));
        Assert.That(Directory.Exists(pki) ? Directory.GetFiles(pki).Where(f => !Path.GetFileName(f).StartsWith(".flatnet-lock", StringComparison.Ordinal)) : [], Is.Empty, "no CA, no admin key");
    }

    [Test]
    public void TheBlocklistKeepsEveryByteItHadAndJoinEachLinesEnding()
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        var blocklist = Path.Combine(ws.Root, "hosts", "blocklist.txt");
        File.WriteAllBytes(blocklist, [.. "# Revoked certificates\n"u8.ToArray(), .. Latin1Comment]);
        var before = File.ReadAllBytes(blocklist);
        Assert.Catch<PendingHosts>(() => ws.ControlPlane().RevokeHost("host-c"));
        Assert.That(File.ReadAllBytes(blocklist)[..before.Length], Is.EqualTo(before));

        using var join = new TestWorkspace();
        JoinTests.RenderJoin(join);
        var file = join.HostsFile("host-d.yaml");
        var lines = File.ReadAllText(file).Split('\n');
        File.WriteAllText(file, lines[0] + "\r\n" + string.Join("\n", lines[1..]));
        join.ControlPlane().JoinReply("host-d", "flatnet-join host=host-d host_key=SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s address=192.168.1.23 user=kh");
        var after = File.ReadAllText(file);
        Assert.That(after, Does.StartWith(lines[0] + "\r\n").And.Contain("192.168.1.23"));
        Assert.That(after.Count(c => c == '\r'), Is.EqualTo(1), "only the line that had CRLF has it");
    }

    [Test]
    public void ARevocationWhoseRolloutStopsSaysItIsRecordedAndHowToFinish()
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        File.AppendAllText(Path.Combine(ws.Workspace.BundleDirectory("host-b"), "README.md"), "my edit\n");
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().RevokeHost("host-a"))!;
        Assert.That(e.Message, Does.StartWith("host-a: its revocation is recorded (").And.Contain("hosts/blocklist.txt), but the rollout that follows stopped: ")
            .And.Contain("host-b/bundle: README.md is a file of yours").And.Not.Contain("nothing was changed"));
        Assert.That(e.Message, Does.Contain("then ./build.sh --target=RevokeHost --host=host-a finishes the revocation"));
    }

    /// <summary>Battery 45: the system's refusal after the record (an immutable peer's zip) said no word of the record, nor of the re-run.</summary>
    [Test]
    public void ARevocationWhoseRolloutTheSystemRefusesSaysItIsRecordedAndHowToFinish()
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        var zip = ws.Workspace.BundlePath("host-b");
        Flatnet.Processes.ProcessRunner.Run("chattr", ["+i", zip]).EnsureSuccess("chattr");
        try
        {
            var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().RevokeHost("host-a"))!;
            Assert.That(e.Message, Does.StartWith("host-a: its revocation is recorded (").And.Contain("hosts/blocklist.txt), but the rollout that follows stopped: ")
                .And.Contain("host-b.zip").And.Contain("permission denied").And.Not.Contain("Exception"));
            Assert.That(e.Fixes, Has.Some.Contains("chattr -i").And.Not.Contain("run the same command again"));
            Assert.That(e.Fixes.Last(), Is.EqualTo("then ./build.sh --target=RevokeHost --host=host-a finishes the revocation"));
        }
        finally
        {
            Flatnet.Processes.ProcessRunner.Run("chattr", ["-i", zip]);
        }
    }

    [Test]
    public void AFifoWhereTheReleaseGoesIsNamedWithAFixThatWorks()
    {
        using var ws = ConvergenceTests.HandInstalledFleet();
        var releases = Directory.CreateDirectory(Path.Combine(ws.Workspace.ArtifactsDirectory, "releases")).FullName;
        Flatnet.Processes.ProcessRunner.Run("mkfifo", [Path.Combine(releases, "flatnet-1.0.0.zip")]).EnsureSuccess("mkfifo");
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().Release("1.0.0", includeKeys: true))!;
        Assert.That(e.Message, Does.Contain("flatnet-1.0.0.zip is a fifo").And.Contain("fix: move it aside"));
    }
}
