namespace Flatnet.Tests;

/// <summary>
/// What flatnet makes is never writable by others, whatever umask the shell that started it had: battery 24 ran it
/// under `umask 000`, and another account replaced artifacts/join/pc-3/join.ps1, which the operator then runs on the PC
/// as administrator.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class CreationMaskTests
{
    private const UnixFileMode OthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    [Test]
    public void UnderUmask000NothingARunMakesIsWritableByOthersAndTheNextRunAcceptsIt()
    {
        using var ws = new TestWorkspace();
        var key = Path.Combine(ws.Root, "deploy_ed25519");
        SshKeygen.Ed25519(key, "test-deploy");
        ws.Write("host-d.yaml", $"name: host-d\nindex: 4\nos: windows\nwsl: true\ndeploy:\n  transport: ssh\n  address: \"\"\n  user: flatnet\n  identity: {key}\n");

        foreach (var target in new[] { "Join", "PackageAll" })
        {
            var run = TestHostProcess.After("umask 000", ws, target, "--host=host-d").Wait();
            Assert.That(run.ExitCode, Is.EqualTo(0), $"{target} under umask 000: {run.StdErr}");
        }
        var made = Directory.GetFileSystemEntries(Path.Combine(ws.Root, "artifacts"), "*", SearchOption.AllDirectories)
            .Where(p => (File.GetUnixFileMode(p) & OthersWrite) != 0 && new FileInfo(p).LinkTarget is null)
            .Select(p => $"{Path.GetRelativePath(ws.Root, p)} {File.GetUnixFileMode(p)}").ToList();
        Assert.That(made, Is.Empty, "made under umask 000, yet writable by others");
        Assert.That(File.Exists(Path.Combine(ws.Root, "artifacts", "join", "host-d", "join.ps1")), "Join wrote the script the operator runs");

        var next = new TestHostProcess(ws, "PackageAll").Wait();
        Assert.That(next.ExitCode, Is.EqualTo(0), $"the next run, under the usual umask, takes what the first made: {next.StdErr}");
    }
}
