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
        "pki/request.json" => new Regex("\"KeySource\"", RegexOptions.CultureInvariant),
        "pki/host.crt" or "pki/ca.crt" => new Regex("-----BEGIN NEBULA CERTIFICATE", RegexOptions.CultureInvariant),
        // A Nebula key, not any PEM key (battery 34: an OpenSSH private key there was replaced).
        "pki/host.key" => new Regex("-----BEGIN NEBULA (?:X25519|P256) PRIVATE KEY-----", RegexOptions.CultureInvariant),
        "pki/host.pub" or "host.pub" => new Regex("-----BEGIN NEBULA (?:X25519|P256) PUBLIC KEY-----", RegexOptions.CultureInvariant),
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

    [GeneratedRegex(@"\A\d{4}-\d{2}-\d{2}\n(?:[0-9a-f]{64})?\n?\z")]
    private static partial Regex RenewalRecord();

    [GeneratedRegex(@"\A\{""Inputs"":")]
    private static partial Regex BuildRecordShape();

    /// <summary>A listing: one `SHA256  path` line per file (an older flatnet's: one path per line, no spaces around).</summary>
    [GeneratedRegex(@"\A(?:(?:[0-9a-f]{64}  )?[^\s/][^\n]*\n)*\z")]
    private static partial Regex ListingShape();
}
