using System.Security.Cryptography;
using System.Text;

namespace Flatnet.Transport;

/// <summary>What known_hosts says of a host's key.</summary>
public enum KnownHostVerdict { Unknown, Known, Changed, Revoked }

/// <summary>
/// known_hosts files as ssh reads them (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT): names plain, with wildcards, or
/// hashed (`|1|salt|HMAC-SHA1(salt, name)`, what HashKnownHosts yes writes, Debian's and Ubuntu's default);
/// `[host]:port` for a port other than 22; `@revoked` lines; comments.
/// </summary>
public static class KnownHosts
{
    public static KnownHostVerdict Check(IEnumerable<string> files, string address, int port, string keyType, byte[] key)
    {
        var name = port == 22 ? address : $"[{address}]:{port}";
        var blob = Convert.ToBase64String(key);
        var verdict = KnownHostVerdict.Unknown;
        foreach (var file in files.Where(File.Exists))
            foreach (var raw in File.ReadLines(file))
            {
                var parts = raw.Trim().Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 3 || parts[0].StartsWith('#')) continue;
                var marker = parts[0].StartsWith('@') ? parts[0] : null;
                if (marker is not null) parts = parts[1..];
                if (parts.Length < 3 || !Names(parts[0], name)) continue;
                if (marker == "@revoked" && parts[2] == blob) return KnownHostVerdict.Revoked;
                if (marker is not null) continue; // @cert-authority: flatnet does not check host certificates
                if (parts[2] == blob) verdict = KnownHostVerdict.Known;
                else if (parts[1] == keyType && verdict == KnownHostVerdict.Unknown) verdict = KnownHostVerdict.Changed;
            }
        return verdict;
    }

    /// <summary>Whether a known_hosts name field (comma-separated patterns, or one hashed name) names <paramref name="name"/>.</summary>
    public static bool Names(string field, string name)
    {
        if (field.StartsWith("|1|", StringComparison.Ordinal))
        {
            var bits = field.Split('|');
            if (bits.Length != 4) return false;
            try
            {
                using var hmac = new HMACSHA1(Convert.FromBase64String(bits[2]));
                return Convert.ToBase64String(hmac.ComputeHash(Encoding.ASCII.GetBytes(name))) == bits[3];
            }
            catch (FormatException)
            {
                return false;
            }
        }
        return SshPatterns.Match(field.Split(','), name);
    }
}
