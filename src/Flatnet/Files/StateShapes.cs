using System.Text.RegularExpressions;

namespace Flatnet.Files;

/// <summary>
/// The state files flatnet keeps beside a host's artifacts (artifacts/hosts/NAME/), each by the whole shape of what
/// flatnet writes there: a file of that name with any other content is someone else's, never replaced or deleted
/// (battery 33: a user's notes at installed-by-hand or renewal-awaiting-install were overwritten, and RemoveHost
/// deleted files of flatnet's names whatever they held).
/// </summary>
public static partial class StateShapes
{
    /// <summary>The shape of each state file, by its path below the host's folder; null for a name flatnet does not keep.</summary>
    public static Regex? Of(string name) => name switch
    {
        "installed-by-hand" => Sha256Line(),
        "renewal-awaiting-install" => RenewalRecord(),
        "bundle.inputs" or "render.inputs" => BuildRecordShape(),
        ".bundle.flatnet" or "render.files" or ".render.flatnet" => ListingShape(),
        "pki/request.json" => SignRequestShape(),
        // Whole PEM blocks and nothing else (battery 38: a user's notes above a certificate matched "holds the header"
        // and were replaced or deleted); a CA file in a rotation holds two certificates, Nebula 1.10+ may write V2 ones.
        "pki/host.crt" or "pki/ca.crt" => CertificatesShape(),
        // A Nebula key, not any PEM key (battery 34: an OpenSSH private key there was replaced).
        "pki/host.key" => Pem("PRIVATE KEY"),
        "pki/host.pub" or "host.pub" => Pem("PUBLIC KEY"),
        _ => null,
    };

    /// <summary>Whether the file at <paramref name="path"/> is flatnet's by <paramref name="shape"/>: a regular file of at most 4 MiB whose text matches (an empty file is nothing to lose).</summary>
    public static bool Holds(string path, Regex shape)
    {
        if (TempFolders.IsLink(path) || !File.Exists(path) || InputFiles.NotRegular(path) is not null || new FileInfo(path).Length > InputFiles.StateLimit) return false;
        var text = File.ReadAllText(path);
        return text.Length == 0 || shape.IsMatch(text);
    }

    /// <summary>Nothing there, a link (replaced by a rename, never followed), or a file of <paramref name="shape"/>; else the write stops, naming it.</summary>
    public static void RequireOursOrNothing(string path, Regex shape) => SafeFiles.RequireOursOrNothing(path, shape, emptyIsOurs: true);

    [GeneratedRegex(@"\A[0-9a-f]{64}\n?\z")]
    private static partial Regex Sha256Line();

    /// <summary>Nebula host key PEM blocks (X25519 or P256), whole, and nothing else (two blocks: a damaged key of flatnet's, made again).</summary>
    private static Regex Pem(string kind) =>
        new($@"\A(?:-----BEGIN NEBULA (X25519|P256) {kind}-----\r?\n[A-Za-z0-9+/=\r\n]+-----END NEBULA \1 {kind}-----\r?\n?)+\z", RegexOptions.CultureInvariant);

    [GeneratedRegex(@"\A(?:-----BEGIN NEBULA CERTIFICATE(| V2)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END NEBULA CERTIFICATE\1-----\r?\n?)+\z")]
    private static partial Regex CertificatesShape();

    /// <summary>request.json as SignRequest writes it: an object from "Name" to "KeySource".</summary>
    [GeneratedRegex(@"\A\{\s*""Name"": [^\0]*""KeySource"": (?:null|""[^""\r\n]*"")\s*\}\s*\z")]
    private static partial Regex SignRequestShape();

    [GeneratedRegex(@"\A\d{4}-\d{2}-\d{2}\n(?:[0-9a-f]{64})?\n?\z")]
    private static partial Regex RenewalRecord();

    [GeneratedRegex(@"\A\{""Inputs"":")]
    private static partial Regex BuildRecordShape();

    /// <summary>
    /// A listing: one `SHA256  path` line per file. An older flatnet's (one path per line) is not taken for one here
    /// (battery 38: any text of lines read as such a listing, and RemoveHost deleted a user's notes): it is named, kept.
    /// </summary>
    [GeneratedRegex(@"\A(?:[0-9a-f]{64}  [^\s/][^\n]*\n)*\z")]
    private static partial Regex ListingShape();
}
