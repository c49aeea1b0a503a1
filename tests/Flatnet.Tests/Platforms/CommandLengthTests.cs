using Flatnet.Platforms;
using Flatnet.Rendering;

namespace Flatnet.Tests;

/// <summary>
/// Every command line flatnet sends stays inside what the host's shell accepts, whatever the fleet's size: Windows'
/// OpenSSH runs a command as `cmd.exe /c COMMAND`, and cmd.exe refuses one over 8,191 characters
/// (<see cref="WindowsCommandLine.CmdExeLimit"/>; docs/windows-contract.md). Scripts therefore travel as files and
/// every command line has one short shape. Checked on the size the users reach: 20 PCs, each with WSL2 owned by an
/// account other than the one flatnet logs in as (its scripts go through the owner's scheduled task), and 20 Linux
/// hosts beside them.
/// </summary>
public class CommandLengthTests
{
    private static TestWorkspace Office()
    {
        var ws = new TestWorkspace();
        foreach (var f in Directory.GetFiles(Path.Combine(ws.Root, "hosts"), "host-*.yaml")) File.Delete(f);
        for (var i = 1; i <= 20; i++)
            ws.Write($"pc-{i}.yaml", $"name: pc-{i}\nindex: {i}\nos: windows\nwsl: true\nwsl_user: office-user-{i}\n" +
                                     $"deploy:\n  transport: ssh\n  address: 198.18.1.{i}\n  user: it-admin\n");
        for (var i = 21; i <= 40; i++)
            ws.Write($"lx-{i}.yaml", $"name: lx-{i}\nindex: {i}\nos: linux\nwsl: true\nwsl_command: ip netns exec wsl-{i}\n" +
                                     $"deploy:\n  transport: ssh\n  address: 198.18.1.{i}\n  user: root\n");
        return ws;
    }

    /// <summary>Each kind of command flatnet sends to a host, run against <paramref name="c"/>; every peer a target of the probe.</summary>
    private static void SendEveryKind(HostPlatform platform, HostModel model, IReadOnlyList<ProbeTarget> peers, RecordingConnection c)
    {
        platform.Deploy(model, "/tmp/bundle", c);
        platform.ConfigureRouting(model, c);
        platform.RecordInstalled(model, c);
        platform.RoutingState(model, c);
        platform.NebulaState(model, c);
        platform.InstalledNebula(model, c);
        platform.HandshakeLines(model, c);
        platform.Read(model, c);
        platform.Ping(c, model, fromWsl: false, peers[0].Address);
        platform.Ping(c, model, fromWsl: true, peers[0].Address);
        platform.Probe(model, c, peers, peers);
        platform.MakeKeyPair(model, c);
        platform.Doctor(model, c);
        platform.Uninstall(model, "/tmp/scripts", c);
    }

    [Test]
    public void NoCommandLineToAnyHostOfA40HostFleetReaches8000Characters()
    {
        using var ws = Office();
        var plan = ws.ControlPlane().Context.Plan;
        var everyAddress = plan.Pcs.SelectMany(h => new[] { h.OverlayAddress, h.WslAddress! }).Select(a => new ProbeTarget(a, 4)).ToList();
        Assert.That(everyAddress, Has.Count.EqualTo(80));
        var longest = 0;
        foreach (var h in plan.Pcs)
        {
            var model = TestWorkspace.Platforms.Model(plan, h);
            var platform = TestWorkspace.Platforms.For(model);
            var c = new RecordingConnection(home: platform is WindowsPlatform ? "/C:/Users/it-admin" : "/root");
            SendEveryKind(platform, model, everyAddress, c);
            var lines = c.CommandLines.ToList();
            Assert.That(lines, Has.Count.GreaterThanOrEqualTo(16), $"{h.Name}: every kind was sent");
            Assert.That(lines, Has.All.Length.LessThan(HostPlatform.MaxCommandLine), h.Name);
            Assert.That(c.Scripts, Has.Count.EqualTo(lines.Count), "each command line runs a script written for it");
            if (platform is WindowsPlatform)
                // Windows PowerShell 5.1 writes redirected output in the OEM code page (932 on Japanese Windows).
                Assert.That(c.Written.Values, Has.All.StartsWith("\uFEFF" + RecordingConnection.WindowsScriptPreamble));
            longest = Math.Max(longest, lines.Max(l => l.Length));
        }
        TestContext.Out.WriteLine($"longest command line: {longest} characters");
    }

    /// <summary>
    /// VerifyPing's probe gives WSL2 a script that grows with the fleet (a ping and a name per peer): it reaches WSL2 on
    /// its standard input, so the command that starts it (wsl.exe's CreateProcess line, 32,767 characters; one Linux
    /// argument, 131,072 bytes) stays the same size for 300 hosts as for 3.
    /// </summary>
    [Test]
    public void TheProbesWslPartTravelsOnStandardInputWhateverTheFleetsSize()
    {
        using var ws = Office();
        var plan = ws.ControlPlane().Context.Plan;
        var targets = Enumerable.Range(1, 600).Select(i => new ProbeTarget($"10.{100 + i % 2}.{i / 2 % 250}.1", 4)).ToList();
        var names = Enumerable.Range(1, 600).Select(i => $"office-workstation-{i:000}-wsl").ToList();
        foreach (var h in new[] { plan.Host("pc-1"), plan.Host("lx-21") })
        {
            var model = TestWorkspace.Platforms.Model(plan, h);
            var platform = TestWorkspace.Platforms.For(model);
            var c = new RecordingConnection(home: platform is WindowsPlatform ? "/C:/Users/it-admin" : "/root");
            platform.Probe(model, c, targets, targets, names);
            var written = string.Join("\n", c.Written.Values);
            // A script run as WSL2's owner travels inside its task's script, base64 (a file, never a command line).
            var script = written + string.Concat(System.Text.RegularExpressions.Regex.Matches(written, @"FromBase64String\('([A-Za-z0-9+/=]+)'\)")
                .Select(m => "\n" + System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value))));
            Assert.That(script, Does.Contain("office-workstation-600-wsl"), "the names are asked");
            var starts = script.Split('\n').Where(l => l.Contains("$wsl.Arguments =") || l.Contains("sh -s")).ToList();
            Assert.That(starts, Is.Not.Empty.And.All.Length.LessThan(300), $"{h.Name}: {string.Join(" | ", starts)}");
            Assert.That(script, Does.Not.Contain("base64 -d"), "nothing carried inside a command line");
            Assert.That(written.Length, Is.GreaterThan(20_000), "the script itself does grow with the fleet: it is a file");
        }
    }

    /// <summary>
    /// What the design replaced: the same probe sent inline (-EncodedCommand, base64 of UTF-16) for one PC of the
    /// 20 with its owner elsewhere is far over cmd.exe's limit, and the test connection refuses it as cmd.exe does.
    /// </summary>
    [Test]
    public void TheFakeRefusesACommandLineCmdExeWouldRefuse()
    {
        using var ws = Office();
        var plan = ws.ControlPlane().Context.Plan;
        var model = TestWorkspace.Platforms.Model(plan, plan.Host("pc-1"));
        var peers = plan.Pcs.SelectMany(h => new[] { h.OverlayAddress, h.WslAddress! }).Select(a => new ProbeTarget(a, 4)).ToList();
        var c = new RecordingConnection();
        TestWorkspace.Platforms.Windows.Probe(model, c, peers, peers);
        var inline = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " +
                     Convert.ToBase64String(System.Text.Encoding.Unicode.GetBytes(c.Scripts.Single()));
        Assert.That(inline.Length, Is.GreaterThan(WindowsCommandLine.CmdExeLimit));
        var refused = c.Run(inline);
        Assert.That(refused.ExitCode, Is.EqualTo(1));
        Assert.That(refused.StdErr, Is.EqualTo(inline.Length > WindowsCommandLine.CreateProcessLimit - "cmd.exe /c ".Length
            ? "The filename or extension is too long." : "The command line is too long."), $"{inline.Length} characters");
        Assert.That(c.Run(new string('a', WindowsCommandLine.CmdExeLimit + 1)).StdErr, Is.EqualTo("The command line is too long."));
        Assert.That(c.Run(new string('a', WindowsCommandLine.CmdExeLimit)).StdErr, Is.Empty, "8,191 characters still run");
        Assert.That(c.Run(new string('a', WindowsCommandLine.CreateProcessLimit)).StdErr, Is.EqualTo("The filename or extension is too long."));
    }

    /// <summary>The script file is written before its command line runs and removed after, also when the host fails it.</summary>
    [Test]
    public void AScriptFileIsWrittenFirstAndRemovedAfterEvenWhenItFails()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Context.Plan;
        var model = TestWorkspace.Platforms.Model(plan, plan.Host("host-b"));
        var events = new List<string>();
        var c = new EventsConnection(events);
        Assert.Throws<RemoteCommandFailed>(() => TestWorkspace.Platforms.Windows.RecordInstalled(model, c));
        Assert.That(events, Has.Count.EqualTo(3));
        Assert.That(events[0], Does.Match(@"^write /C:/Users/flatnet/\.flatnet/run/[0-9a-f]{32}\.ps1$"));
        Assert.That(events[1], Is.EqualTo($"run powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"{events[0][7..].TrimStart('/').Replace('/', '\\')}\""));
        Assert.That(events[2], Is.EqualTo("delete" + events[0][5..]));
    }

    private sealed class EventsConnection(List<string> events) : Flatnet.Transport.IHostConnection
    {
        public string Describe => "events";
        public string Home => "/C:/Users/flatnet";
        public Flatnet.Transport.RemoteResult Run(string command, TimeSpan? timeout = null)
        {
            events.Add("run " + command);
            return new(command, 5, "", "failed");
        }
        public void WriteFile(string remotePath, byte[] content)
        {
            Assert.That(content.Take(3), Is.EqualTo(System.Text.Encoding.UTF8.GetPreamble()), "Windows PowerShell 5.1 reads a file without a BOM in the ANSI code page");
            events.Add("write " + remotePath);
        }
        public void DeleteFile(string remotePath) => events.Add("delete " + remotePath);
        public void Upload(string localDirectory, string remoteDirectory) => events.Add("upload");
        public string ReadFile(string remotePath) => "";
        public Flatnet.Transport.LoopbackForward? ForwardLoopback(int remotePort) => null;
        public void Dispose() { }
    }
}
