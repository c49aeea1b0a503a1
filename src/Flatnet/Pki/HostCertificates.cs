using System.Text.Json;
using Flatnet.Addressing;
using Flatnet.Tools;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Pki;

/// <summary>Everything a host cert is made from. When it is unchanged and the cert itself still says so, nothing is re-signed.</summary>
public sealed record SignRequest(
    string Name, string Ip, IReadOnlyList<string> Groups, IReadOnlyList<string> Subnets,
    string CaFingerprint, string? Duration, string KeySource)
{
    public string ToJson() => JsonSerializer.Serialize(this, Indented);

    public static SignRequest? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SignRequest>(json);
        }
        catch (JsonException)
        {
            return null; // a damaged note only costs a signing
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}

public sealed record CertOutcome(string Directory, bool Signed, NebulaCertInfo Cert);

/// <summary>
/// Signs host certs: name, overlay IP, groups, and the host's routed block as -subnets (Nebula drops packets from
/// WSL2 otherwise: the inner source must be the host's IP or inside its cert's subnets).
/// Output in artifacts/hosts/NAME/pki/: ca.crt, host.crt, host.key (0600) or host.pub, request.json. A certificate
/// counts as current only by what it says (its name, IP, networks, groups, issuer, validity, and the key it pairs
/// with), never by request.json, the note beside it; flatnet writes its own files there and leaves others alone.
/// </summary>
public sealed class HostCertificates(NebulaCert nebulaCert, CertificateAuthority ca, Workspace workspace, IReporter log)
{
    public const string LocalKey = "generated-here";

    /// <param name="publicKey">a public key made on the host (nebula-cert keygen there); null makes the key pair here.</param>
    public CertOutcome Generate(HostAddresses host, string? duration, bool force, string? publicKey)
    {
        var caInfo = ca.RequireUsable();
        SafeFiles.ClaimArtifacts(workspace.ArtifactsDirectory); // the first write of a run marks the folder as flatnet's
        var dir = OwnPkiDirectory(host.Name);
        if (publicKey is not null && !File.Exists(publicKey))
            throw new FlatnetException($"--pub: {publicKey} does not exist.", fix: $"run `nebula-cert keygen -out-key host.key -out-pub host.pub` on {host.Name} and copy host.pub here");
        var request = new SignRequest(host.Name, host.OverlayCidr, host.Host.Groups, host.CertificateSubnets,
            caInfo.Fingerprint, duration, publicKey is null ? LocalKey : "sha256:" + Digest.Sha256OfFile(publicKey));
        if (!force && File.Exists(Path.Combine(dir, "host.crt")))
        {
            var (why, existing) = Check(dir, request, ca.CrtPath, publicKey);
            if (why is null)
            {
                log.Info($"{host.Name}: certificate is up to date ({host.OverlayCidr}, subnets {(host.RoutedBlock?.ToString() ?? "none")}, valid until {existing!.NotAfter:yyyy-MM-dd}); not re-signed. Use --force to re-sign.");
                return new CertOutcome(dir, false, existing);
            }
            log.Info($"{host.Name}: {why}; re-signing.");
        }
        var info = Sign(host, request, publicKey, dir);
        log.Info($"{host.Name}: signed {Workspace.Relative(Path.Combine(dir, "host.crt"))}: {info.Ips[0]}, groups {string.Join(",", info.Groups)}, subnets {string.Join(",", info.Subnets)}, " +
                 (publicKey is null ? "key made here (owner-only)" : "public key from the host (private key never left it)") +
                 $", valid until {info.NotAfter:yyyy-MM-dd}.");
        return new CertOutcome(dir, true, info);
    }

    /// <summary>
    /// Signs in a scratch folder (owner-only), checks the result, then moves flatnet's files into pki/ one by one, each
    /// whole; anything else in pki/ is left as it is. A key pair cut short by a stop is caught by the next check (the
    /// key does not pair), not trusted.
    /// </summary>
    private NebulaCertInfo Sign(HostAddresses host, SignRequest request, string? publicKey, string dir)
    {
        using var scratch = TempFolders.Create(workspace.ArtifactsDirectory, "sign");
        var outCrt = Path.Combine(scratch.Path, "host.crt");
        string? outKey = null, inPub = null;
        if (publicKey is null) outKey = Path.Combine(scratch.Path, "host.key");
        else File.Copy(publicKey, inPub = Path.Combine(scratch.Path, "host.pub"));
        nebulaCert.Sign(new NebulaCertSignSettings(host.Name, host.OverlayCidr, ca.CrtPath, ca.KeyPath, outCrt)
        {
            OutKey = outKey, InPub = inPub, Groups = host.Host.Groups, Subnets = request.Subnets, Duration = request.Duration,
        });
        if (outKey is not null) SafeFiles.RestrictToOwner(outKey);
        File.Copy(ca.CrtPath, Path.Combine(scratch.Path, "ca.crt"));
        File.WriteAllText(Path.Combine(scratch.Path, "request.json"), request.ToJson());
        var (ok, reason) = nebulaCert.Verify(Path.Combine(scratch.Path, "ca.crt"), outCrt);
        if (!ok)
            throw new FlatnetException($"{host.Name}: the freshly signed certificate does not verify: {reason}",
                fix: "check that network.yaml's ca.crt and ca.key are one CA's pair (nebula-cert print -path on the crt), then sign again with --force");

        var verified = Digest.Sha256OfFile(outCrt);
        SafeFiles.RequireNoLinkOnTheWay(dir);
        RequireOnlyFlatnetsKinds(dir);
        TempFolders.CreateOwnerOnly(dir);
        // A pki/ folder made before flatnet's first key (by hand, or by an older flatnet) is held to the rule of a
        // folder that holds a key: owner-only (battery 31: it stayed 0755 around a new host.key).
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(dir) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            log.Warn($"{host.Name}: {Workspace.Relative(dir)} was open to others (mode {Convert.ToString((int)File.GetUnixFileMode(dir), 8)}); made owner-only, as a folder that holds a key is");
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        // The key whose kind this host no longer uses (made here, or made on the host) goes: a bundle ships what pki/ holds.
        File.Delete(Path.Combine(dir, publicKey is null ? "host.pub" : "host.key"));
        foreach (var name in new[] { "host.key", "host.pub", "ca.crt", "host.crt", "request.json" })
            if (File.Exists(Path.Combine(scratch.Path, name)))
                File.Move(Path.Combine(scratch.Path, name), Path.Combine(dir, name), overwrite: true);
        // What is remembered as verified is the certificate that was: the one that arrived in pki/ is checked to be it.
        if (Digest.Sha256OfFile(Path.Combine(dir, "host.crt")) != verified)
            throw new StateConflict($"{Workspace.Relative(Path.Combine(dir, "host.crt"))} is not the certificate just signed and verified: something else writes into {Workspace.Relative(dir)}",
                $"stop whatever writes there, then ./build.sh --target=GenerateCert --host={host.Name} --force", Workspace.Relative(dir));
        var info = nebulaCert.Print(Path.Combine(dir, "host.crt"));
        VerifiedCertificate.Remember(dir, ca.CrtPath, info);
        return info;
    }

    /// <summary>
    /// Each file flatnet replaces or removes in pki/ must be of the kind flatnet writes there (a Nebula certificate, a
    /// Nebula key, a signing request): anything else is someone's file, and stops the signing before anything moves
    /// (battery 31: "my notes" in a new host's host.key was replaced by a key without a word).
    /// </summary>
    private static void RequireOnlyFlatnetsKinds(string dir)
    {
        // The kinds are StateShapes' (one table of what flatnet writes in pki/, also RemoveHost's); an empty file is nothing
        // there to lose (a key cut short: named elsewhere).
        foreach (var name in new[] { "host.crt", "ca.crt", "host.key", "host.pub", "request.json" })
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path) || StateShapes.Holds(path, StateShapes.Of("pki/" + name)!)) continue;
            throw new StateConflict($"{Workspace.Relative(path)} is a file of yours where flatnet writes its own (it holds no {(name.EndsWith(".json") ? "signing request" : name.EndsWith(".crt") ? "Nebula certificate" : "Nebula key")}); nothing was changed",
                "move it aside (flatnet did not write it), then run this again", Workspace.Relative(path));
        }
    }

    /// <summary>The host's pki/ folder, checked to hold only files of flatnet's own (no link, no FIFO) before anything there is read.</summary>
    public string OwnPkiDirectory(string host) => OwnPkiDirectory(workspace, host);

    /// <summary>
    /// As above, for a reader without the CA at hand (CheckCerts, Status, RevokeHost). <paramref name="then"/>: what the
    /// fix says to do once the folder is flatnet's again; a re-sign unless the reader says otherwise (battery 42:
    /// RemoveHost offered GenerateCert --force for the host it removes).
    /// </summary>
    public static string OwnPkiDirectory(Workspace workspace, string host, string? then = null)
    {
        var dir = workspace.PkiDirectory(host);
        var fix = "put what a link leads to in its place (a file: cp --remove-destination TARGET LINK; a folder: rm LINK && mv TARGET LINK), " +
                  $"move anything else that is not flatnet's out (flatnet writes this folder itself), then {then ?? $"./build.sh --target=GenerateCert --host={host} --force"}";
        // Nothing is read through a link on the way either (battery 43: with artifacts/hosts/HOST a link, RevokeHost
        // revoked whatever certificate stood behind it, another host's).
        if (SafeFiles.LinkOnTheWay(dir) is { } link)
            throw new FlatnetException($"{Workspace.Relative(link)} is a link (to {Terminal.OneLine(new DirectoryInfo(link).LinkTarget ?? "?")}), not a folder flatnet made: nothing in it is read or written", fix);
        InputFiles.RequireOwnFiles(dir, fix);
        return dir;
    }

    /// <summary>
    /// What the host's certificate there now says (null: none signed yet): the one its next bundle carries, whatever
    /// the inventory asks. Plan --diff and Release compare its key and signature with what shipped before, so a host
    /// re-keyed (GenerateCert --force, or --pub= another key) is seen in review.
    /// </summary>
    public static NebulaCertInfo? SignedNow(Workspace workspace, NebulaCert nebulaCert, string host)
    {
        var dir = OwnPkiDirectory(workspace, host);
        var crt = Path.Combine(dir, "host.crt");
        return File.Exists(crt) ? VerifiedCertificate.Printed(dir) ?? nebulaCert.Print(crt) : null;
    }

    /// <summary>Null when the host's signed cert is the one the inventory asks for, signed by a CA the configs trust; otherwise why not.</summary>
    public string? WhyNotCurrent(HostAddresses host)
    {
        var dir = OwnPkiDirectory(host.Name);
        var crt = Path.Combine(dir, "host.crt");
        var note = File.Exists(Path.Combine(dir, "request.json")) ? SignRequest.FromJson(InputFiles.ReadAllText(Path.Combine(dir, "request.json"), InputFiles.StateLimit, "the signing request")) : null;
        if (note is null || !File.Exists(crt)) return "it has no certificate yet";
        var caInfo = ca.RequireUsable();
        // While RotateCa re-signs the hosts, one the old CA signed is current until its turn: every config trusts both.
        var issuer = (VerifiedCertificate.Printed(dir) ?? nebulaCert.Print(crt)).Issuer;
        var signer = issuer == caInfo.Fingerprint ? ca.CrtPath : ca.StillTrusted is { } old && issuer == old.Fingerprint ? old.CrtPath : null;
        if (signer is null) return "its certificate was signed by another CA";
        var wanted = note with { Name = host.Name, Ip = host.OverlayCidr, Groups = host.Host.Groups, Subnets = host.CertificateSubnets, CaFingerprint = issuer };
        return Check(dir, wanted, signer, publicKey: null).Why;
    }

    /// <summary>
    /// What the certificate in <paramref name="dir"/> says against what is wanted: null when it verifies against
    /// <paramref name="caCrt"/>, names this host, its IP, groups and networks, has not expired, and pairs with its key.
    /// </summary>
    private (string? Why, NebulaCertInfo? Info) Check(string dir, SignRequest wanted, string caCrt, string? publicKey)
    {
        var crt = Path.Combine(dir, "host.crt");
        var info = VerifiedCertificate.Recall(dir, caCrt);
        if (info is null)
        {
            var (ok, reason) = nebulaCert.Verify(caCrt, crt);
            if (!ok) return ($"its certificate does not verify ({reason})", null);
            info = nebulaCert.Print(crt);
            VerifiedCertificate.Remember(dir, caCrt, info);
        }
        static string List(IEnumerable<string> items) => string.Join(",", items.Order(StringComparer.Ordinal));
        var why = info.Name != wanted.Name ? $"its certificate is {info.Name}'s, not {wanted.Name}'s"
            : info.Ips.FirstOrDefault() != wanted.Ip ? $"its certificate has {string.Join(",", info.Ips)}, not {wanted.Ip}"
            : List(info.Groups) != List(wanted.Groups) ? $"its certificate's groups are {List(info.Groups)}, the inventory's {List(wanted.Groups)}"
            : List(info.Subnets) != List(wanted.Subnets) ? $"its certificate's routed networks are {List(info.Subnets)}, the plan's {List(wanted.Subnets)}"
            : info.NotAfter <= DateTimeOffset.UtcNow ? $"its certificate expired on {info.NotAfter:yyyy-MM-dd}"
            : KeyMismatch(dir, wanted, info, publicKey)
              ?? (ReadNote(dir) is { } note && note.Duration == wanted.Duration && note.KeySource == wanted.KeySource ? null
                  : "what it is signed for changed (cert_duration, or where its key is made)");
        return (why, info);
    }

    /// <summary>The key the certificate must pair with: host.key made here, or the host's host.pub; null when it does.</summary>
    private static string? KeyMismatch(string dir, SignRequest wanted, NebulaCertInfo info, string? publicKey)
    {
        var keyFile = wanted.KeySource == LocalKey ? Path.Combine(dir, "host.key") : publicKey ?? Path.Combine(dir, "host.pub");
        if (!File.Exists(keyFile)) return wanted.KeySource == LocalKey ? "its key (host.key) is missing" : "the host's public key (host.pub) is missing";
        if (InputFiles.NotRegular(keyFile) is { } why) return $"{Path.GetFileName(keyFile)} is {why}";
        if (!NebulaKeys.IsKey(keyFile)) return $"{Workspace.Relative(keyFile)} is {(new FileInfo(keyFile).Length == 0 ? "empty" : "not a key nebula-cert made")}";
        var key = NebulaKeys.PublicKeyHex(keyFile);
        // null: a key of another curve (P256), which this check does not read; nebula -test pairs it.
        return key is null || key == info.PublicKey.ToLowerInvariant() ? null : "its key does not pair with its certificate";
    }

    private static SignRequest? ReadNote(string dir)
    {
        var path = Path.Combine(dir, "request.json");
        return File.Exists(path) ? SignRequest.FromJson(InputFiles.ReadAllText(path, InputFiles.StateLimit, "the signing request")) : null;
    }
}
