using Flatnet.Transport;

namespace Flatnet.Tests;

/// <summary>A connection that records what would be sent, and answers with <c>answer</c> (default: success, no output).</summary>
internal sealed class RecordingConnection(Func<string, RemoteResult>? answer = null) : IHostConnection
{
    public List<string> Log { get; } = [];
    public string Describe => "recording";
    public RemoteResult Run(string command, TimeSpan? timeout = null)
    {
        Log.Add("run " + command);
        return answer?.Invoke(command) ?? new RemoteResult(command, 0, "", "");
    }
    public void Upload(string localDirectory, string remoteDirectory) => Log.Add($"upload {Path.GetFileName(localDirectory)} -> {remoteDirectory}");
    public string ReadFile(string remotePath)
    {
        Log.Add("read " + remotePath);
        return "";
    }
    public LoopbackForward? ForwardLoopback(int remotePort) => null;
    public void Dispose() { }
}
