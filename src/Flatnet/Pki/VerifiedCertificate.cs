using Flatnet.Tools;
using System.Text.Json;
using Flatnet.Files;

namespace Flatnet.Pki;

/// <summary>
/// What nebula-cert last said of a host's certificate (artifacts/hosts/NAME/pki/verified.json): that it verified
/// against the CA, and what `print` showed. Keyed by both files' SHA-256, so a changed certificate or CA is asked
/// again; a certificate past its notAfter is never taken from here. It spares two processes per host and run.
/// </summary>
public static class VerifiedCertificate
{
    private sealed record Memo(string Ca, string Crt, NebulaCertInfo Info);

    public static string PathIn(string pkiDirectory) => Path.Combine(pkiDirectory, "verified.json");

    /// <summary>The certificate's details when nebula-cert verified these very files against this very CA, and it has not expired since.</summary>
    public static NebulaCertInfo? Recall(string pkiDirectory, string caCrt) =>
        File.Exists(caCrt) && Read(pkiDirectory) is { } memo && memo.Ca == Digest.Sha256OfFile(caCrt) && memo.Info.NotAfter > DateTimeOffset.UtcNow ? memo.Info : null;

    /// <summary>What `print` showed of these very certificate bytes (whichever CA it was checked against): who signed it, for whom.</summary>
    public static NebulaCertInfo? Printed(string pkiDirectory) => Read(pkiDirectory)?.Info;

    /// <summary>The memo, when it speaks of the host.crt that is there now.</summary>
    private static Memo? Read(string pkiDirectory)
    {
        var path = PathIn(pkiDirectory);
        var crt = Path.Combine(pkiDirectory, "host.crt");
        if (!File.Exists(path) || !File.Exists(crt)) return null;
        try
        {
            var memo = JsonSerializer.Deserialize<Memo>(File.ReadAllText(path));
            return memo is not null && memo.Crt == Digest.Sha256OfFile(crt) ? memo : null;
        }
        catch (JsonException)
        {
            return null; // a damaged memo only costs the processes it would have spared
        }
    }

    public static void Remember(string pkiDirectory, string caCrt, NebulaCertInfo info) =>
        SafeFiles.WriteAllText(PathIn(pkiDirectory), JsonSerializer.Serialize(new Memo(Digest.Sha256OfFile(caCrt), Digest.Sha256OfFile(Path.Combine(pkiDirectory, "host.crt")), info)));
}
