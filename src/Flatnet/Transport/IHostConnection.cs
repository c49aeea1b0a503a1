namespace Flatnet.Transport;

public sealed record RemoteResult(string Command, int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A way to run commands on a host and put files there: SSH today, WinRM for Windows fleets that prefer it.</summary>
public interface IHostConnection : IDisposable
{
    string Describe { get; }
    RemoteResult Run(string command, TimeSpan? timeout = null);
    /// <summary>Copies a local folder's files (recursively) into a remote folder, creating it.</summary>
    void Upload(string localDirectory, string remoteDirectory);
    string ReadFile(string remotePath);

    /// <summary>
    /// The account's own folder on the host, as the file side names it (SFTP's starting folder: /C:/Users/NAME on
    /// Windows, the home on Linux). Only the account, administrators and SYSTEM can write there, so a script written
    /// below it can be run without a standard user having had a chance to change it.
    /// </summary>
    string Home { get; }

    /// <summary>Writes one file (its folders made as needed), readable and writable by this account.</summary>
    void WriteFile(string remotePath, byte[] content);

    /// <summary>Removes one file if it is there.</summary>
    void DeleteFile(string remotePath);

    /// <summary>
    /// A local port that leads to <paramref name="remotePort"/> on the host's own loopback, through this connection;
    /// null when the transport cannot forward (WinRM).
    /// </summary>
    LoopbackForward? ForwardLoopback(int remotePort);
}

/// <summary>A forwarded port; disposing closes it.</summary>
public sealed class LoopbackForward(int localPort, Action close) : IDisposable
{
    public int LocalPort => localPort;
    public void Dispose() => close();
}
