using Flatnet.Transport;
using Flatnet.Verification;

namespace Flatnet.Tests;

/// <summary>A host in a run has one connection: every step of AddHost, and the peers it updates, use it.</summary>
public class HostRunTests
{
    [Test]
    public void AddHostOpensOneConnectionPerHostForAllItsSteps()
    {
        using var ws = new TestWorkspace();
        var opened = new Dictionary<string, int>();
        var closed = new Dictionary<string, int>();
        var context = new FlatnetContext(ws.Workspace, ws.Log)
        {
            Connector = (host, _, _) =>
            {
                opened[host.Name] = opened.GetValueOrDefault(host.Name) + 1;
                return new ClosingConnection(() => closed[host.Name] = closed.GetValueOrDefault(host.Name) + 1);
            },
        };
        // A recording transport answers no ping, so the proof at the end fails; every step before it ran over the host's one connection.
        Assert.Throws<VerificationFailed>(() => new ControlPlane(context).AddHost("host-c"));
        Assert.That(opened, Is.EquivalentTo(new Dictionary<string, int> { ["host-a"] = 1, ["host-b"] = 1, ["host-c"] = 1 }),
            "host-c: deploy, routing, verify; its peers: is-current, deploy, routing, verify");
        Assert.That(closed, Is.EquivalentTo(opened), "the run closes what it opened, at its end");
    }

    /// <summary>A recording connection that says when it is closed.</summary>
    private sealed class ClosingConnection(Action closed) : IHostConnection
    {
        private readonly RecordingConnection _inner = new();
        public string Describe => _inner.Describe;
        public string Home => _inner.Home;
        public RemoteResult Run(string command, TimeSpan? timeout = null) => _inner.Run(command, timeout);
        public void Upload(string localDirectory, string remoteDirectory) => _inner.Upload(localDirectory, remoteDirectory);
        public string ReadFile(string remotePath) => _inner.ReadFile(remotePath);
        public void WriteFile(string remotePath, byte[] content) => _inner.WriteFile(remotePath, content);
        public void DeleteFile(string remotePath) => _inner.DeleteFile(remotePath);
        public LoopbackForward? ForwardLoopback(int remotePort) => null;
        public void Dispose() => closed();
    }
}
