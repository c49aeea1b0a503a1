using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flatnet.Addressing;
using Flatnet.Rendering;
using Flatnet.Tools;

namespace Flatnet.Bundles;

/// <summary>
/// A release: every host's bundle in one versioned, reproducible zip, with the inventory it was made from and a
/// changelog against the previous release. The inventory is kept as flat "what: how" lines, so the changelog is a
/// plain diff (added, removed, changed) that a person reads at a glance.
/// </summary>
public static partial class ReleaseArchive
{
    /// <summary>
    /// A release's version as Semantic Versioning writes one: MAJOR.MINOR.PATCH without leading zeros, each up to six
    /// digits, and an optional pre-release (-rc.1) whose numeric parts have no leading zeros either. No build metadata
    /// (+...): SemVer orders 1.1.0+a and 1.1.0 alike, so they would be two releases of one version.
    /// </summary>
    [GeneratedRegex(@"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})(-((0|[1-9]\d{0,8}|\d*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9]\d{0,8}|\d*[A-Za-z-][0-9A-Za-z-]*))*))?\z")]
    public static partial Regex VersionPattern();

    /// <summary>The private keys a bundle zip carries (any *.key, and any SSH private key), by entry name.</summary>
    public static IReadOnlyList<string> PrivateKeysIn(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Where(e => e.FullName.EndsWith(".key", StringComparison.Ordinal) || IsSshPrivateKey(e)).Select(e => e.FullName).ToList();
    }

    private static bool IsSshPrivateKey(ZipArchiveEntry entry)
    {
        using var reader = new StreamReader(entry.Open());
        var head = new char[64];
        var n = reader.ReadBlock(head, 0, head.Length);
        return new string(head, 0, n).Contains("PRIVATE KEY-----", StringComparison.Ordinal);
    }

    /// <param name="shipped">the hosts whose bundles the release carries; another host is listed as pending (null: all).</param>
    /// <param name="trusted">the fingerprints of the CAs every config trusts: a change of them is the first a reader should see.</param>
    /// <param name="certificates">each shipped host's certificate: its key, validity and fingerprint (a host re-keyed or re-signed changes nothing else).</param>
    public static SortedDictionary<string, string> Snapshot(AddressPlan plan, IReadOnlySet<string>? shipped = null, IReadOnlyList<string>? trusted = null,
        IReadOnlyDictionary<string, NebulaCertInfo>? certificates = null, IReadOnlyDictionary<string, string>? bundleSha256 = null)
    {
        var net = plan.Inventory.Network;
        // In the order a person counts (pc-2 before pc-10), in inventory.json and the changelog alike.
        var s = new SortedDictionary<string, string>(Output.NaturalOrder.Instance)
        {
            ["network"] = $"overlay {plan.Overlay}, blocks from {net.RoutedPool} /{net.RoutedPrefix}, port {net.ListenPort}, relays {(net.UseRelays ? "on" : "off")}, " +
                          $"mtu {net.Tuning.Mtu}, tx_queue {net.Tuning.TxQueue}",
        };
        foreach (var lh in plan.Lighthouses) s[lh.Called] = $"{lh.OverlayAddress} at {string.Join(", ", lh.Lighthouse.Endpoints)}";
        foreach (var h in plan.Hosts)
            s[$"host {h.Name}"] = $"{h.Host.Os.ToString().ToLowerInvariant()}, {h.OverlayCidr}, block {(h.RoutedBlock?.ToString() ?? "none")}, groups {string.Join(",", h.Host.Groups)}" +
                                  (shipped is null || shipped.Contains(h.Name) || plan.Inventory.IsRevoked(h.Name) ? "" : ", pending (no bundle in this release)");
        foreach (var (host, c) in certificates ?? new Dictionary<string, NebulaCertInfo>())
            s[$"{CertificatePrefix}{host}"] = $"key {HostDiff.Short(c.PublicKey)}, valid {c.NotBefore.UtcDateTime:yyyy-MM-dd} to {c.NotAfter.UtcDateTime:yyyy-MM-dd}, fingerprint {HostDiff.Short(c.Fingerprint)}";
        // Each bundle by its SHA-256: whatever changed in it (a firewall rule, a script, nebula.exe) is at least named
        // here; Plan --diff says what (battery 24: a firewall opened to all shipped under "no inventory changes").
        foreach (var (host, sha) in bundleSha256 ?? new Dictionary<string, string>()) s[$"{BundlePrefix}{host}"] = $"SHA-256 {HostDiff.Short(sha)}";
        foreach (var b in plan.Inventory.Blocklist.Entries) s[$"revoked {b.Name}"] = b.Fingerprint;
        if (trusted is not null) s["trusted CAs"] = string.Join(", ", trusted);
        return s;
    }

    private const string CertificatePrefix = "certificate ";
    private const string BundlePrefix = "bundle ";

    public static IReadOnlyList<string> Changelog(IReadOnlyDictionary<string, string>? previous, IReadOnlyDictionary<string, string> current)
    {
        if (previous is null) return current.Select(kv => $"- {kv.Key}: {kv.Value}").Prepend("- first release").ToList();
        var lines = new List<string>();
        // A release from before certificates or bundles were recorded: each kind is said once as a whole, not as one
        // "added" per host.
        foreach (var (prefix, what) in new[] { (CertificatePrefix, "certificates: recorded from this release on (each host's key, validity and fingerprint)"),
                     (BundlePrefix, "bundles: recorded from this release on (each host's by its SHA-256)") })
            if (!previous.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)) && current.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            {
                lines.Add("- " + what);
                current = current.Where(kv => !kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary();
            }
        foreach (var (key, value) in current)
        {
            if (!previous.TryGetValue(key, out var old)) lines.Add($"- added {key}: {value}");
            else if (old != value) lines.Add($"- changed {key}: {old} -> {value}");
        }
        lines.AddRange(previous.Keys.Where(k => !current.ContainsKey(k)).Order(Output.NaturalOrder.Instance).Select(k => $"- removed {k}: {previous[k]}"));
        return lines.Count == 0 ? ["- no inventory changes"] : lines;
    }

    /// <summary>The release just before <paramref name="version"/> in version order (<see cref="CompareVersions"/>).</summary>
    /// <param name="version">the release whose predecessor is asked; null: the newest release there is.</param>
    public static string? Previous(string folder, string? version)
    {
        if (!Directory.Exists(folder)) return null;
        return Directory.GetFiles(folder, "flatnet-*.zip")
            .Select(f => (File: f, Version: Path.GetFileNameWithoutExtension(f)["flatnet-".Length..]))
            .Where(r => VersionPattern().IsMatch(r.Version) && (version is null || CompareVersions(r.Version, version) < 0))
            .OrderBy(r => r.Version, Comparer<string>.Create(CompareVersions))
            .Select(r => r.File).LastOrDefault();
    }

    /// <summary>SemVer 11.4: dot-separated identifiers in turn; numeric ones as numbers (rc.2 before rc.10) and before alphanumeric ones; fewer identifiers first.</summary>
    private static int ComparePreRelease(string a, string b)
    {
        var (x, y) = (a.Split('.'), b.Split('.'));
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            var (nx, ny) = (x[i].All(char.IsAsciiDigit), y[i].All(char.IsAsciiDigit));
            var order = nx && ny ? x[i].Length != y[i].Length ? x[i].Length.CompareTo(y[i].Length) : string.CompareOrdinal(x[i], y[i])
                : nx != ny ? (nx ? -1 : 1)
                : string.CompareOrdinal(x[i], y[i]);
            if (order != 0) return order;
        }
        return x.Length.CompareTo(y.Length);
    }

    /// <summary>
    /// Release order as Semantic Versioning has it: MAJOR.MINOR.PATCH as numbers, a pre-release (1.0.0-rc1) before its
    /// release (1.0.0), build metadata (+...) not counted; equal ones in ordinal order, so the order is total.
    /// </summary>
    public static int CompareVersions(string a, string b)
    {
        static (Version Core, string? Pre) Parts(string v)
        {
            var noBuild = v.Split('+')[0];
            var dash = noBuild.IndexOf('-');
            return dash < 0 ? (Version.Parse(noBuild), null) : (Version.Parse(noBuild[..dash]), noBuild[(dash + 1)..]);
        }
        var (ca, pa) = Parts(a);
        var (cb, pb) = Parts(b);
        var order = ca.CompareTo(cb);
        if (order != 0) return order;
        if (pa is null != pb is null) return pa is null ? 1 : -1;
        order = ComparePreRelease(pa ?? "", pb ?? "");
        return order != 0 ? order : string.CompareOrdinal(a, b);
    }

    /// <param name="since">the release the changelog is against, named with its SHA-256 (null: the first release).</param>
    public static byte[] Build(string version, IReadOnlyList<(string Host, byte[] Zip)> bundles, SortedDictionary<string, string> snapshot,
        IReadOnlyList<string> changelog, string flatnetVersion, bool containsKeys, ReleaseZip? since = null)
    {
        var files = bundles.Select(b => new RenderedFile($"bundles/{b.Host}.zip", b.Zip, containsKeys ? RenderedFile.Secret : RenderedFile.Regular)).ToList();
        var json = new JsonSerializerOptions { WriteIndented = true };
        files.Add(Text("inventory.json", JsonSerializer.Serialize(snapshot, json) + "\n"));
        files.Add(Text("CHANGELOG.md", $"# flatnet {version}\n\nInventory changes since {(since is null ? "the previous release" : $"{since.Version} ({System.IO.Path.GetFileName(since.Path)}, SHA-256 {since.Sha256})")}:\n\n{string.Join("\n", changelog)}\n"));
        files.Add(Text("release.json", JsonSerializer.Serialize(new
        {
            version,
            flatnet = flatnetVersion,
            contains_private_keys = containsKeys,
            bundles = bundles.Select(b => new { host = b.Host, sha256 = Digest.Sha256(b.Zip) }),
        }, json) + "\n"));
        return DeterministicZip.Create(files);
    }

    private static RenderedFile Text(string path, string text) => new(path, Encoding.UTF8.GetBytes(text), RenderedFile.Regular);
}
