using Flatnet.Tools;
using System.Text.Json;
using Flatnet.Addressing;
using Flatnet.Inventory;

namespace Flatnet.Pki;

/// <summary>Everything a host cert is made from. When it is unchanged and the cert still verifies, nothing is re-signed.</summary>
public sealed record SignRequest(
    string Name, string Ip, IReadOnlyList<string> Groups, IReadOnlyList<string> Subnets,
    string CaFingerprint, string? Duration, string KeySource)
{
    public string ToJson() => JsonSerializer.Serialize(this, Indented);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}

public sealed record CertOutcome(string Directory, bool Signed, NebulaCertInfo Cert);

/// <summary>
/// Signs host certs: name, overlay IP, groups, and the host's routed block as -subnets (Nebula drops packets from
/// WSL2 otherwise: the inner source must be the host's IP or inside its cert's subnets).
/// Output in artifacts/hosts/NAME/pki/: ca.crt, host.crt, host.key (0600) or host.pub, request.json.
/// </summary>
public sealed class HostCertificates(NebulaCert nebulaCert, CertificateAuthority ca, Workspace workspace, IReporter log)
{
    public const string LocalKey = "generated-here";

    /// <param name="publicKey">a public key made on the host (nebula-cert keygen there); null makes the key pair here.</param>
    public CertOutcome Generate(HostAddresses host, string? duration, bool force, string? publicKey)
    {
        var caInfo = ca.RequireUsable();
        SafeFiles.ClaimArtifacts(workspace.ArtifactsDirectory); // the first write of a run marks the folder as flatnet's
        var dir = workspace.PkiDirectory(host.Name);
        if (publicKey is not null && !File.Exists(publicKey))
            throw new FlatnetException($"--pub: {publicKey} does not exist.", fix: $"run `nebula-cert keygen -out-key host.key -out-pub host.pub` on {host.Name} and copy host.pub here");
        var request = new SignRequest(host.Name, host.OverlayCidr, host.Host.Groups, host.CertificateSubnets,
            caInfo.Fingerprint, duration, publicKey is null ? LocalKey : "sha256:" + Digest.Sha256OfFile(publicKey));

        var crt = Path.Combine(dir, "host.crt");
        if (!force && File.Exists(crt) && ReadRequest(dir) == request.ToJson()
            && (publicKey is not null || File.Exists(Path.Combine(dir, "host.key"))))
        {
            // Against the configured CA, not the copy beside the cert: a cert of another CA is never "up to date".
            var recalled = VerifiedCertificate.Recall(dir, ca.CrtPath);
            var (ok, reason) = recalled is not null ? (true, "") : nebulaCert.Verify(ca.CrtPath, crt);
            if (ok)
            {
                var existing = recalled ?? nebulaCert.Print(crt);
                if (recalled is null) VerifiedCertificate.Remember(dir, ca.CrtPath, existing);
                log.Info($"{host.Name}: certificate is up to date ({host.OverlayCidr}, subnets {(host.RoutedBlock?.ToString() ?? "none")}, valid until {existing.NotAfter:yyyy-MM-dd}); not re-signed. Use --force to re-sign.");
                return new CertOutcome(dir, false, existing);
            }
            log.Info($"{host.Name}: existing certificate no longer verifies ({reason}); re-signing.");
        }

        SafeFiles.ReplaceDirectory(dir, staging =>
        {
            SafeFiles.RestrictToOwner(staging);
            var outCrt = Path.Combine(staging, "host.crt");
            string? outKey = null, inPub = null;
            if (publicKey is null) outKey = Path.Combine(staging, "host.key");
            else File.Copy(publicKey, inPub = Path.Combine(staging, "host.pub"));
            nebulaCert.Sign(new NebulaCertSignSettings(host.Name, host.OverlayCidr, ca.CrtPath, ca.KeyPath, outCrt)
            {
                OutKey = outKey, InPub = inPub, Groups = host.Host.Groups, Subnets = request.Subnets, Duration = duration,
            });
            if (outKey is not null) SafeFiles.RestrictToOwner(outKey);
            File.Copy(ca.CrtPath, Path.Combine(staging, "ca.crt"));
            File.WriteAllText(Path.Combine(staging, "request.json"), request.ToJson());
            var (ok, reason) = nebulaCert.Verify(Path.Combine(staging, "ca.crt"), outCrt);
            if (!ok) throw new FlatnetException($"{host.Name}: the freshly signed certificate does not verify: {reason}");
        });
        var info = nebulaCert.Print(crt);
        VerifiedCertificate.Remember(dir, ca.CrtPath, info);
        log.Info($"{host.Name}: signed {Workspace.Relative(crt)}: {info.Ips[0]}, groups {string.Join(",", info.Groups)}, subnets {string.Join(",", info.Subnets)}, " +
                 (publicKey is null ? "key made here (owner-only)" : "public key from the host (private key never left it)") +
                 $", valid until {info.NotAfter:yyyy-MM-dd}.");
        return new CertOutcome(dir, true, info);
    }

    /// <summary>Null when the host's signed cert matches the inventory and verifies; otherwise why it does not.</summary>
    public string? WhyNotCurrent(HostAddresses host)
    {
        var dir = workspace.PkiDirectory(host.Name);
        var json = ReadRequest(dir);
        if (json is null || !File.Exists(Path.Combine(dir, "host.crt"))) return "it has no certificate yet";
        var signed = JsonSerializer.Deserialize<SignRequest>(json)!;
        var caInfo = ca.RequireUsable();
        if (signed.Name != host.Name || signed.Ip != host.OverlayCidr || !signed.Groups.SequenceEqual(host.Host.Groups)
            || !signed.Subnets.SequenceEqual(host.CertificateSubnets))
            return "the inventory changed since its certificate was signed";
        // While RotateCa re-signs the hosts, one the old CA signed is current until its turn: every config trusts both.
        var signer = signed.CaFingerprint == caInfo.Fingerprint ? ca.CrtPath
            : ca.StillTrusted is { } old && signed.CaFingerprint == old.Fingerprint ? old.CrtPath : null;
        if (signer is null) return "its certificate was signed by another CA";
        if (VerifiedCertificate.Recall(dir, signer) is not null) return null;
        var (ok, reason) = nebulaCert.Verify(signer, Path.Combine(dir, "host.crt"));
        return ok ? null : $"its certificate does not verify ({reason})";
    }

    private static string? ReadRequest(string dir)
    {
        var path = Path.Combine(dir, "request.json");
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }
}
