using Flatnet.Files;
using Org.BouncyCastle.Crypto.Parameters;

namespace Flatnet.Pki;

/// <summary>
/// Nebula's key files (PEM: NEBULA X25519 PRIVATE KEY / PUBLIC KEY, 32 bytes each), read far enough to tell whether a
/// key pairs with a certificate: the public key a certificate carries (nebula-cert print's publicKey, hex) must be
/// the one its private key gives (X25519: the private scalar times the base point).
/// </summary>
public static class NebulaKeys
{
    /// <summary>The public key, as hex, that a key file stands for (a private key gives its public half); null when it is no X25519 key.</summary>
    public static string? PublicKeyHex(string keyFile)
    {
        // A key is a few hundred bytes: a link, a FIFO or a huge file is no key (a 3 GB host.key took 4.4 GB, battery 17).
        if (InputFiles.SmallRecord(keyFile, InputFiles.KeyLimit) is not { } pem) return null;
        var bytes = Body(pem);
        if (bytes is not { Length: 32 }) return null;
        if (pem.Contains("X25519 PRIVATE KEY", StringComparison.Ordinal))
            return Convert.ToHexStringLower(new X25519PrivateKeyParameters(bytes, 0).GeneratePublicKey().GetEncoded());
        return pem.Contains("X25519 PUBLIC KEY", StringComparison.Ordinal) ? Convert.ToHexStringLower(bytes) : null;
    }

    /// <summary>
    /// Whether a key file is one key as nebula-cert writes it (one NEBULA ... KEY block of 32 bytes or more), of
    /// whichever curve; a damaged or doubled one is not, and never counts as pairing with a certificate.
    /// </summary>
    public static bool IsKey(string keyFile)
    {
        if (InputFiles.SmallRecord(keyFile, InputFiles.KeyLimit) is not { } pem) return false;
        var begins = pem.Split('\n').Count(l => l.StartsWith("-----BEGIN NEBULA", StringComparison.Ordinal) && l.TrimEnd().EndsWith("KEY-----", StringComparison.Ordinal));
        return begins == 1 && Body(pem) is { Length: >= 32 };
    }

    private static byte[]? Body(string pem)
    {
        var lines = pem.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith("-----", StringComparison.Ordinal));
        try
        {
            return Convert.FromBase64String(string.Concat(lines));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
