using System.Text;
using Flatnet.Inventory;
using YamlDotNet.RepresentationModel;
using Flatnet.Output;

namespace Flatnet.Bundles;

/// <summary>
/// What a host's certificate says (or would say, signed now): its groups, Nebula IP and routed block; and, where a
/// signed one is at hand, its public key and fingerprint (a host re-keyed changes nothing else).
/// </summary>
public sealed record CertificateView(IReadOnlyList<string> Groups, IReadOnlyList<string> Networks, IReadOnlyList<string> Subnets,
    string? PublicKey = null, string? Fingerprint = null);

/// <summary>
/// One host as one side of a diff sees it: its certificate, the files rendered for it (config.yaml, scripts), and
/// the Nebula release its config is for. From a release's bundle, or rendered from an inventory.
/// </summary>
public sealed record HostView(string Host, CertificateView? Certificate, IReadOnlyDictionary<string, byte[]> Files, string? Nebula);

/// <summary>What changes for one host: added, removed, or changed with each change in words.</summary>
public sealed record HostChange(string Host, string Kind, IReadOnlyList<string> Changes);

/// <summary>
/// What an inventory change does to each host, as a person reads it in a pull request: "host-b: certificate: groups
/// flatnet,gateway -> flatnet,gateway,build". config.yaml is compared by its settings (routes, firewall, lighthouses,
/// relays, blocklist, the rest by name), other rendered files by content (scripts).
/// </summary>
public static class HostDiff
{
    // Nebula's config sections as a person names them; anything else is named by its own key.
    private static readonly (string Prefix, string Name)[] Sections =
    [
        ("tun.unsafe_routes", "routes"), ("firewall", "firewall"), ("static_host_map", "lighthouses"), ("lighthouse", "lighthouses"),
        ("relay", "relays"), ("pki.blocklist", "blocklist"), ("pki", "certificate paths"), ("sshd", "admin interface"), ("tun", "tunnel device"),
        ("punchy", "hole punching"), ("listen", "listen port"),
    ];

    public static IReadOnlyList<HostChange> Compare(IReadOnlyList<HostView> before, IReadOnlyList<HostView> now)
    {
        var old = before.ToDictionary(h => h.Host);
        var changes = new List<HostChange>();
        foreach (var h in now.OrderBy(h => h.Host, NaturalOrder.Instance))
        {
            if (!old.TryGetValue(h.Host, out var was))
            {
                changes.Add(new HostChange(h.Host, "added", ["new host: new certificate, new bundle"]));
                continue;
            }
            var what = Changes(was, h);
            if (what.Count > 0) changes.Add(new HostChange(h.Host, "changed", what));
        }
        foreach (var gone in before.Where(b => now.All(h => h.Host != b.Host)).OrderBy(b => b.Host, NaturalOrder.Instance))
            changes.Add(new HostChange(gone.Host, "removed", ["removed from the inventory: RemoveHost takes it out of the mesh"]));
        return changes;
    }

    private static List<string> Changes(HostView was, HostView now)
    {
        var changes = new List<string>();
        if (was.Certificate is { } a && now.Certificate is { } b)
        {
            var cert = new List<string>();
            if (!a.Groups.Order().SequenceEqual(b.Groups.Order())) cert.Add($"groups {Join(a.Groups)} -> {Join(b.Groups)}");
            if (!a.Networks.SequenceEqual(b.Networks)) cert.Add($"Nebula IP {Join(a.Networks)} -> {Join(b.Networks)}");
            if (!a.Subnets.SequenceEqual(b.Subnets)) cert.Add($"routed block {Join(a.Subnets)} -> {Join(b.Subnets)}");
            // The key is who the host is: a new one (GenerateCert --force, --pub= another key) is said first and as such.
            if (a.PublicKey is { } oldKey && b.PublicKey is { } newKey && oldKey != newKey) cert.Insert(0, $"new key pair: public key {Short(oldKey)} -> {Short(newKey)}");
            if (cert.Count > 0) changes.Add("certificate: " + string.Join("; ", cert) + " (re-signed)");
            else if (a.Fingerprint is { } oldSigned && b.Fingerprint is { } newSigned && oldSigned != newSigned)
                changes.Add($"certificate: signed again with the same key and contents: fingerprint {Short(oldSigned)} -> {Short(newSigned)}");
        }
        if (was.Files.TryGetValue("config.yaml", out var oldConfig) && now.Files.TryGetValue("config.yaml", out var newConfig) && !oldConfig.SequenceEqual(newConfig))
        {
            var sections = ConfigSections(oldConfig, newConfig);
            changes.Add("config: " + (sections.Count > 0 ? string.Join(", ", sections) : "formatting") + " changed");
        }
        var files = now.Files.Keys.Where(f => f != "config.yaml")
            .Where(f => !was.Files.TryGetValue(f, out var before) || !before.SequenceEqual(now.Files[f])).Order(StringComparer.Ordinal).ToList();
        // The CAs a host trusts are what lets a certificate into the mesh: said as such, never one file among others.
        if (files.Remove("ca.crt")) changes.Add("trust: the CAs every config trusts (ca.crt) changed");
        if (files.Count > 0) changes.Add("files: " + string.Join(", ", files));
        var gone = was.Files.Keys.Where(f => !now.Files.ContainsKey(f)).Order(StringComparer.Ordinal).ToList();
        if (gone.Count > 0) changes.Add("files no longer shipped: " + string.Join(", ", gone));
        if (was.Nebula is not null && now.Nebula is not null && was.Nebula != now.Nebula) changes.Add($"Nebula {was.Nebula} -> {now.Nebula}");
        return changes;
    }

    /// <summary>The config's sections whose settings differ, named as a person calls them.</summary>
    private static List<string> ConfigSections(byte[] before, byte[] now)
    {
        // A text flatnet does not read as YAML (it does not parse, or holds an alias) changed as a whole.
        if (Flatten(before) is not { } a || Flatten(now) is not { } b) return ["the whole file (not YAML flatnet reads)"];
        var paths = a.Keys.Union(b.Keys).Where(p => a.GetValueOrDefault(p) != b.GetValueOrDefault(p));
        return paths.Select(p => Sections.FirstOrDefault(s => p == s.Prefix || p.StartsWith(s.Prefix + ".", StringComparison.Ordinal) || p.StartsWith(s.Prefix + "[", StringComparison.Ordinal)).Name
                                 ?? p.Split('.', '[')[0])
            .Distinct().ToList();
    }

    /// <summary>Every scalar of a YAML document by its path (tun.unsafe_routes[0].route); null for a text that is no such document.</summary>
    private static Dictionary<string, string>? Flatten(byte[] yaml)
    {
        var root = InventoryProblems.Parse(Encoding.UTF8.GetString(yaml));
        if (root is null or YamlScalarNode) return null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        YamlPaths.Each(root, (path, _, value) => { if (value is YamlScalarNode) values[path] = value.ToString(); });
        return values;
    }

    /// <summary>A key or fingerprint as a person compares them: its first 16 hex digits.</summary>
    public static string Short(string hex) => hex.Length > 16 ? hex[..16] + "…" : hex;

    private static string Join(IReadOnlyList<string> items) => items.Count == 0 ? "none" : string.Join(",", items);
}
