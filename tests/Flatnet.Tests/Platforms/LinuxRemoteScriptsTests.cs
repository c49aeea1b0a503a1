using Flatnet.Platforms;
using Flatnet.Rendering;
using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>
/// The scripts flatnet sends to a Linux host (templates/remote/linux/), run by bash as its SSH server runs them, in a
/// throw-away root that stands in for the host's.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class LinuxRemoteScriptsTests
{
    private static LinuxPlatform Linux => TestWorkspace.Platforms.Linux;

    /// <summary>A connection that runs every command with bash here, as sshd hands it to the account's shell.</summary>
    /// <param name="pathPrefix">a folder put first on PATH, as a host's own programs are.</param>
    private sealed class LocalBash(string? pathPrefix = null) : IHostConnection
    {
        private readonly LocalHome _home = new();
        public string Describe => "local bash";

        /// <summary>The command lines run, in order.</summary>
        public List<string> CommandLines { get; } = [];

        public RemoteResult Run(string command, TimeSpan? timeout = null)
        {
            CommandLines.Add(command);
            var r = ProcessRunner.Run("bash", ["-c", (pathPrefix is null ? "" : $"PATH={Quoting.ShQuote(pathPrefix)}:$PATH; ") + command], timeout: timeout);
            return new RemoteResult(command, r.ExitCode, r.StdOut, r.StdErr);
        }
        public string Home => _home.Home;
        public void WriteFile(string remotePath, byte[] content) => _home.WriteFile(remotePath, content);
        public void DeleteFile(string remotePath) => _home.DeleteFile(remotePath);
        public void Upload(string localDirectory, string remoteDirectory) => TestWorkspace.CopyDirectory(localDirectory, remoteDirectory);
        public string ReadFile(string remotePath) => File.Exists(remotePath) ? File.ReadAllText(remotePath) : "";
        public LoopbackForward? ForwardLoopback(int remotePort) => null;
        public void Dispose() => _home.Dispose();
    }

    private static (TestWorkspace Ws, HostModel Model) LinuxHost(string? nebulaBinary = null)
    {
        var ws = new TestWorkspace();
        ws.Edit("host-a.yaml", "os:", "os: linux\nroot: " + Path.Combine(ws.Root, "host-a-root") + (nebulaBinary is null ? "" : "\nnebula_binary: " + nebulaBinary));
        ws.Edit("host-a.yaml", "wsl:", "wsl: false");
        var plan = ws.ControlPlane().Context.Plan;
        return (ws, TestWorkspace.Platforms.Model(plan, plan.Host("host-a")));
    }

    [Test]
    public void NebulaStateReadsThePidFileAndTellsAStaleOneFromALiveProcess()
    {
        var (ws, model) = LinuxHost();
        using var _ = ws;
        using var c = new LocalBash();
        Assert.That(Linux.NebulaState(model, c), Is.EqualTo((false, "not running (no pid file, no flatnet-nebula unit)")));
        Directory.CreateDirectory(Path.Combine(model.Paths.Root, "run"));
        var pidFile = Path.Combine(model.Paths.Root, "run", "nebula.pid");
        // Another program under a pid file that outlived a reboot is not Nebula (battery 12): only this Nebula's command line counts.
        using var other = System.Diagnostics.Process.Start("sleep", "30");
        File.WriteAllText(pidFile, other.Id + "\n");
        Assert.That(Linux.NebulaState(model, c), Is.EqualTo((false, $"not running (pid file stale: process {other.Id} is another program)")));
        other.Kill();
        using var live = System.Diagnostics.Process.Start("sh", ["-c", "sleep 30", "nebula", "-config", model.Paths.Config]);
        File.WriteAllText(pidFile, live.Id + "\n");
        Assert.That(Linux.NebulaState(model, c), Is.EqualTo((true, "running")));
        live.Kill();
        live.WaitForExit();
        Assert.That(Linux.NebulaState(model, c), Is.EqualTo((false, $"not running (pid file stale: process {live.Id} is gone)")));
    }

    [Test]
    public void TheInstalledNebulaIsAskedFromItsBinaryAndNoneIsNotAnError()
    {
        var fake = Path.Combine(Path.GetTempPath(), $"flatnet-fake-nebula-{Guid.NewGuid():N}");
        File.WriteAllText(fake, "#!/bin/sh\necho 'Version: 1.9.3'\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var (ws, model) = LinuxHost(fake);
            using var _ = ws;
            using var c = new LocalBash();
            Assert.That(Linux.InstalledNebula(model, c), Is.EqualTo(global::Flatnet.Versions.NebulaVersion.Parse("1.9.3")));
            Assert.That(Linux.InstalledNebula(model with { Paths = model.Paths with { NebulaBinary = fake + ".none" } }, c), Is.Null);
        }
        finally
        {
            File.Delete(fake);
        }
    }

    [Test]
    public void TheInstalledManifestIsRecordedOnlyWhenAnInstallLeftOne()
    {
        var (ws, model) = LinuxHost();
        using var _ = ws;
        using var c = new LocalBash();
        Directory.CreateDirectory(model.Paths.Root);
        Linux.RecordInstalled(model, c);
        Assert.That(Linux.InstalledManifest(model, c), Is.Empty, "routing run on its own records nothing");
        File.WriteAllText(Path.Combine(model.Paths.Root, "installed-manifest.pending.json"), "{\"host\": \"host-a\"}\n");
        Linux.RecordInstalled(model, c);
        Assert.That(Linux.InstalledManifest(model, c), Is.EqualTo("{\"host\": \"host-a\"}\n"));
        Assert.That(File.Exists(Path.Combine(model.Paths.Root, "installed-manifest.pending.json")), Is.False);
    }

    [Test]
    public void TheHandshakeLinesComeFromTheLogFile()
    {
        var (ws, model) = LinuxHost();
        using var _ = ws;
        using var c = new LocalBash();
        Directory.CreateDirectory(model.Paths.LogsDir);
        File.Copy(Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "fixtures", "nebula-log", "1.6.1-lighthouse.log"), model.Paths.Log);
        var lines = Linux.HandshakeLines(model, c);
        Assert.That(lines.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.All.Contains(HostPlatform.HandshakeMarker).And.Not.Empty);
        Assert.That(global::Flatnet.Verification.HandshakeLog.LastByPeer(lines), Does.ContainKey("10.100.1.1"));
    }

    [Test]
    public void AKeyPairMadeOnTheHostIsOwnerOnlyAndMadeOnce()
    {
        var (ws, model) = LinuxHost();
        using var _ = ws;
        using var c = new LocalBash(Path.GetDirectoryName(TestWorkspace.Nebula("1.9.3", "nebula-cert")));
        Assert.That(Linux.MakeKeyPair(model, c).Succeeded, Is.True);
        var key = Path.Combine(model.Paths.ConfigDir, "host.key");
        Assert.That(File.GetUnixFileMode(key), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var first = File.ReadAllText(key);
        Assert.That(Linux.MakeKeyPair(model, c).Succeeded, Is.True);
        Assert.That(File.ReadAllText(key), Is.EqualTo(first), "an existing key is kept");

        // Battery 15: a key another account left there, or a link, is never kept (its maker would know the private half).
        ProcessRunner.Run("chown", ["65534", key]).EnsureSuccess("chown");
        var foreign = Linux.MakeKeyPair(model, c);
        Assert.That((foreign.Succeeded, foreign.StdErr), Is.EqualTo((false, $"{model.Paths.ConfigDir}/host.key, or its folder, is not this account's own, or is a link: flatnet keeps only a key made there by this account; remove it (rm {model.Paths.ConfigDir}/host.key) and run this again\n")));
        File.Delete(key);
        File.CreateSymbolicLink(key, Path.Combine(ws.Root, "elsewhere.key"));
        Assert.That(Linux.MakeKeyPair(model, c).Succeeded, Is.False, "a link is no key of its own");
    }

    [Test]
    public void APingFromTheHostIsTriedAndItsRoundTripRead()
    {
        var (ws, model) = LinuxHost();
        using var _ = ws;
        using var c = new LocalBash();
        var (ok, rtt, _) = Linux.Ping(c, model, fromWsl: false, "127.0.0.1", attempts: 1);
        Assert.That(ok, Is.True);
        Assert.That(rtt, Is.GreaterThanOrEqualTo(0));
    }

    /// <summary>Status asks a host everything in one command; each part keeps its own output and exit status.</summary>
    [Test]
    public void StatusReadsEverythingFromAHostInOneCommand()
    {
        var fake = Path.Combine(Path.GetTempPath(), $"flatnet-fake-nebula-{Guid.NewGuid():N}");
        File.WriteAllText(fake, "#!/bin/sh\necho 'Version: 1.11.0'\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var (ws, model) = LinuxHost(fake);
            using var _ = ws;
            Directory.CreateDirectory(model.Paths.LogsDir);
            File.Copy(Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "fixtures", "nebula-log", "1.11.0-host-a.log"), model.Paths.Log);
            using var c = new LocalBash();
            var read = Linux.Read(model, c);
            Assert.That(c.CommandLines, Has.Count.EqualTo(1));
            Assert.That((read.Running, read.State, read.Nebula?.ToString(), read.Routing),
                Is.EqualTo((false, "not running (no pid file, no flatnet-nebula unit)", "1.11.0", "-")));
            Assert.That(read.HandshakeLines.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.All.Contains(HostPlatform.HandshakeMarker).And.Not.Empty);
        }
        finally
        {
            File.Delete(fake);
        }
    }
}
