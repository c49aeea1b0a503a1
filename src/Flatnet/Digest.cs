using System.Security.Cryptography;

namespace Flatnet;

/// <summary>SHA-256 as lower-case hex, the one way flatnet writes a file's or a byte string's digest (SHA256SUMS, manifests, memos).</summary>
public static class Digest
{
    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static string Sha256OfFile(string path) => Sha256(File.ReadAllBytes(path));
}
