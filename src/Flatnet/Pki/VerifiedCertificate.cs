using Flatnet.Files;
using Flatnet.Tools;
using System.Text.Json;

namespace Flatnet.Pki;

/// <summary>
/// What nebula-cert said of a certificate's very bytes: what `print` showed, and that `verify` passed against a CA's
/// very bytes. It spares two processes per host and run. The memos live in this account's own cache (<see cref="AccountMemos"/>),
/// named by the files' SHA-256: never beside the certificate, where whoever can write the working tree could write a
/// memo for a certificate of another CA. A certificate past its notAfter is never taken from here.
/// </summary>
public static class VerifiedCertificate
{
    /// <summary>The memo an older flatnet kept beside the certificate (artifacts/hosts/NAME/pki/verified.json): never read, and never deleted (it may as well be someone's file by now: battery 34).</summary>
    public static string LegacyPathIn(string pkiDirectory) => Path.Combine(pkiDirectory, "verified.json");

    /// <summary>The certificate's details when nebula-cert verified these very bytes against this very CA, and it has not expired since.</summary>
    public static NebulaCertInfo? Recall(string pkiDirectory, string caCrt)
    {
        var crt = Path.Combine(pkiDirectory, "host.crt");
        // Only a small plain file is hashed: a huge one (1.9 GB took 2.1 GB, battery 18), a link or a FIFO is never
        // recalled; nebula-cert's own checks then say what it is.
        if (InputFiles.Sha256OfOwnFile(crt, InputFiles.KeyLimit) is not { } crtHash || InputFiles.Sha256OfOwnFile(caCrt, InputFiles.KeyLimit) is not { } caHash) return null;
        return AccountMemos.Has($"{crtHash}.verified-by.{caHash}") && PrintOf(crtHash) is { } info && info.NotAfter > DateTimeOffset.UtcNow ? info : null;
    }

    /// <summary>What `print` showed of the certificate there now (whichever CA it was checked against): who signed it, for whom.</summary>
    public static NebulaCertInfo? Printed(string pkiDirectory)
    {
        var crt = Path.Combine(pkiDirectory, "host.crt");
        return InputFiles.Sha256OfOwnFile(crt, InputFiles.KeyLimit) is { } hash ? PrintOf(hash) : null;
    }

    /// <summary>Records what nebula-cert said of the certificate there now: its print, and that it verified against <paramref name="caCrt"/>.</summary>
    public static void Remember(string pkiDirectory, string caCrt, NebulaCertInfo info)
    {
        var crtHash = Digest.Sha256OfFile(Path.Combine(pkiDirectory, "host.crt"));
        Write($"{crtHash}.print.json", JsonSerializer.Serialize(info));
        Write($"{crtHash}.verified-by.{Digest.Sha256OfFile(caCrt)}", "");
    }

    private static NebulaCertInfo? PrintOf(string crtHash)
    {
        try
        {
            return AccountMemos.Read($"{crtHash}.print.json") is { } json ? JsonSerializer.Deserialize<NebulaCertInfo>(json) : null;
        }
        catch (JsonException)
        {
            return null; // a damaged memo only costs the processes it would have spared
        }
    }

    public const int MaxMemos = AccountMemos.MaxMemos;

    private static void Write(string name, string text) => AccountMemos.Write(name, text);
}
