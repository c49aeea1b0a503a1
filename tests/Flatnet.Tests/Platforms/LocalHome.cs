namespace Flatnet.Tests;

/// <summary>
/// The account's folder of a test connection that runs scripts on this machine (bash here, or in a namespace, which
/// shares this file system): a folder of its own, removed with the connection. Scripts are written there as flatnet
/// writes them on a host, then run.
/// </summary>
internal sealed class LocalHome : IDisposable
{
    public string Home { get; } = Directory.CreateTempSubdirectory("flatnet-home-").FullName;

    public void WriteFile(string remotePath, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(remotePath)!);
        File.WriteAllBytes(remotePath, content);
    }

    public void DeleteFile(string remotePath) => File.Delete(remotePath);

    public void Dispose() => Directory.Delete(Home, recursive: true);
}
