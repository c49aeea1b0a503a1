using Flatnet.Lab;
using Flatnet.Platforms;
using Flatnet.Rendering;
using Flatnet.Tools;
using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>
/// VerifyPing's probe (templates/remote/OS/probe.*): one command per host that says whether Nebula runs and pings
/// every target from the host and its WSL2 at once. Run for real in a namespace of its own, where 10.99.0.1 answers
/// (an interface of the namespace) and 10.99.0.2 never does (its packets go nowhere), and nothing outside is reached.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class HostProbeTests
{
    private const string Answers = "10.99.0.1", Silent = "10.99.0.2";

    /// <summary>A namespace registered like a lab's (so no lab's cleaning takes it, and it takes no lab's name).</summary>
    private sealed class ProbeNamespace : IDisposable
    {
        private readonly LabRegistry.Entry _entry = LabRegistry.Claim();
        public NetworkNamespace Ns { get; }

        public ProbeNamespace()
        {
            Ns = NetworkNamespace.Create($"fn-{_entry.Id}-probe");
            try
            {
                // A veth pair inside the namespace: one end has the address that answers, the other none, so the
                // address beside it is asked for (ARP) and never answers.
                Ns.Run("ip", "link", "add", "fnp0", "type", "veth", "peer", "name", "fnp1");
                Ns.Run("ip", "addr", "add", Answers + "/24", "dev", "fnp0");
                Ns.Run("ip", "link", "set", "fnp0", "up");
                Ns.Run("ip", "link", "set", "fnp1", "up");
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Ns.Dispose();
            LabRegistry.Forget(_entry.Id);
        }
    }

    /// <summary>Runs every command with bash inside the namespace, as sshd hands it to the account's shell.</summary>
    private sealed class NamespaceBash(NetworkNamespace ns, IDictionary<string, string>? environment = null) : IHostConnection
    {
        private readonly LocalHome _home = new();
        public string Describe => ns.Name;
        public string Home => _home.Home;
        public void WriteFile(string remotePath, byte[] content) => _home.WriteFile(remotePath, content);
        public void DeleteFile(string remotePath) => _home.DeleteFile(remotePath);
        public RemoteResult Run(string command, TimeSpan? timeout = null)
        {
            var prefix = string.Concat((environment ?? new Dictionary<string, string>()).Select(kv => $"export {kv.Key}={Quoting.ShQuote(kv.Value)}; "));
            var r = ns.TryWithTimeout(timeout ?? TimeSpan.FromMinutes(1), "bash", "-c", prefix + command);
            return new RemoteResult(command, r.ExitCode, r.StdOut, r.StdErr);
        }
        public void Upload(string localDirectory, string remoteDirectory) => throw new NotSupportedException();
        public string ReadFile(string remotePath) => throw new NotSupportedException();
        public LoopbackForward? ForwardLoopback(int remotePort) => null;
        public void Dispose() => _home.Dispose();
    }

    private static HostModel Model(TestWorkspace ws, string host, string edit)
    {
        ws.Edit($"{host}.yaml", "os:", edit);
        var plan = ws.ControlPlane().Context.Plan;
        return TestWorkspace.Platforms.Model(plan, plan.Host(host));
    }

    private static readonly ProbeTarget[] Targets = [new(Answers, 2), new(Silent, 2)];

    [Test]
    public void ALinuxHostPingsEveryTargetFromItselfAndItsWsl2AtOnceInOneCommand()
    {
        using var ns = new ProbeNamespace();
        using var ws = new TestWorkspace();
        // Its WSL2 is the same namespace here: wsl_command runs the carried script in it.
        var model = Model(ws, "host-a", $"os: linux\nroot: {Path.Combine(ws.Root, "host-a-root")}\nwsl_command: ip netns exec {ns.Ns.Name}");
        Directory.CreateDirectory(Path.Combine(model.Paths.Root, "run"));
        using var nebula = System.Diagnostics.Process.Start("sh", ["-c", "sleep 60; :", "nebula", "-config", model.Paths.Config]); // its Nebula, as install.sh starts it
        File.WriteAllText(Path.Combine(model.Paths.Root, "run", "nebula.pid"), nebula.Id + "\n");
        using var c = new NamespaceBash(ns.Ns);
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var probe = TestWorkspace.Platforms.Linux.Probe(model, c, Targets, Targets);
            Assert.That((probe.Running, probe.State), Is.EqualTo((true, "running")));
            Assert.That(probe.Pings.Select(p => (p.From, p.Target, p.Ok)), Is.EquivalentTo(new[]
            {
                ("host", Answers, true), ("host", Silent, false), ("wsl", Answers, true), ("wsl", Silent, false),
            }));
            Assert.That(probe.Of("host", Answers).RttMs, Is.GreaterThanOrEqualTo(0));
            Assert.That(probe.Of("wsl", Silent).Detail, Does.Contain("packet loss").Or.Contain("100%"), "ping's own last words say why");
            // Four pings of up to two 1 s tries each, one after another, would take over 8 s; at once, about 2.
            Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)), "the pings run at once, not in turn");
        }
        finally
        {
            nebula.Kill();
        }
        Assert.That(TestWorkspace.Platforms.Linux.Probe(model, c, Targets, []).State, Does.StartWith("not running (pid file stale"));
    }

    /// <summary>
    /// Windows' probe under pwsh: .NET's Ping as on Windows, Get-Service answering as Windows does, and a wsl.exe that
    /// runs what it is given the way WSL does (`-u root -e sh -c SCRIPT`).
    /// </summary>
    [Category("Windows")]
    [TestCase("[pscustomobject]@{ Status = 'Running' }", true, "running")]
    [TestCase("$null", false, "the nebula service is not installed")]
    public void AWindowsHostPingsEveryTargetFromItselfAndItsWsl2AtOnceInOneCommand(string service, bool running, string state)
    {
        using var ns = new ProbeNamespace();
        using var ws = new TestWorkspace();
        var model = Model(ws, "host-b", "os: windows");
        var bin = Path.Combine(ws.Root, "bin");
        Directory.CreateDirectory(bin);
        // WSL's own parsing of `wsl.exe [-d DISTRO] [-u USER] -e PROGRAM ARGS...`: options, then the program as given.
        File.WriteAllText(Path.Combine(bin, "wsl.exe"), "#!/bin/sh\nwhile [ \"$1\" != -e ]; do shift; done\nshift\nexec \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "wsl.exe"), (UnixFileMode)0b111_101_101);
        var c = new RecordingConnection();
        TestWorkspace.Platforms.Windows.Probe(model, c, Targets, Targets);
        var script = c.Scripts.Single();
        var file = Path.Combine(ws.Root, "probe.ps1");
        File.WriteAllText(file, "$env:USERNAME = 'flatnet'   # deploy.user, who owns WSL here\nfunction Get-Service { param($Name, $ErrorAction) if ($Name -ne 'nebula') { throw \"not Nebula's: $Name\" }; " + service + " }\n" + script);
        var run = ns.Ns.TryWithTimeout(TimeSpan.FromMinutes(2), "env", $"PATH={bin}:{Environment.GetEnvironmentVariable("PATH")}",
            "dotnet", "pwsh", "-NoProfile", "-NonInteractive", "-File", file);
        var probe = HostProbe.Parse(run.StdOut, run.StdErr);
        Assert.That((probe.Running, probe.State), Is.EqualTo((running, state)), run.StdOut + run.StdErr);
        Assert.That(probe.Pings.Select(p => (p.From, p.Target, p.Ok)), Is.EquivalentTo(new[]
        {
            ("host", Answers, true), ("host", Silent, false), ("wsl", Answers, true), ("wsl", Silent, false),
        }), run.StdOut);
        Assert.That(probe.Of("host", Silent).Detail, Is.EqualTo("TimedOut"), "Windows' IPStatus names why");
    }

    [Test]
    public void WhatAHostPrintsBesideTheProbeIsIgnoredAndItsTextCleaned()
    {
        var probe = HostProbe.Parse("motd\n{\"running\":true,\"state\":\"run\\u001b[2Jning\",\"pings\":[{\"from\":\"host\",\"target\":\"10.0.0.1\",\"ok\":false,\"rtt_ms\":null,\"detail\":\"lost\\u0007\"}]}\n", "");
        Assert.That(probe.State, Is.EqualTo("run[2Jning"));
        Assert.That(probe.Of("host", "10.0.0.1").Detail, Is.EqualTo("lost"));
        Assert.That(probe.Of("wsl", "10.0.0.1"), Is.EqualTo(new ProbePing("wsl", "10.0.0.1", false, null, "no answer from the probe")));
    }

    [Test]
    public void AHostThatPrintedNoProbeSaysWhyAndCountsAsNotRunning()
    {
        var probe = HostProbe.Parse("", "bash: line 1: mktemp: command not found\n");
        Assert.That(probe.Running, Is.False);
        Assert.That(probe.State, Is.EqualTo("the probe said nothing flatnet could read: bash: line 1: mktemp: command not found"));
        Assert.That(probe.Pings, Is.Empty);
    }
}
