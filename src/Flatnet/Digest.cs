using System.Security.Cryptography;

namespace Flatnet;

/// <summary>SHA-256 as lower-case hex, the one way flatnet writes a file's or a byte string's digest (SHA256SUMS, manifests, memos).</summary>
public static class Digest
{
    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Read as a stream: a file of any size (battery 39: one over 2 GiB at a path of flatnet's failed with .NET's own words).</summary>
    public static string Sha256OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
