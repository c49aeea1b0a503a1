using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Inventory;

/// <summary>A revoked certificate: no host accepts it any more (Nebula's pki.blocklist).</summary>
public sealed record RevokedCert(string Fingerprint, string Name, string Date);

/// <summary>
/// hosts/blocklist.txt, the one place its format lives: "FINGERPRINT NAME DATE" per line, # comments. RevokeHost
/// appends to it; every host's config carries its fingerprints as pki.blocklist.
/// </summary>
public sealed record Blocklist(IReadOnlyList<RevokedCert> Entries)
{
    public const string FileName = "blocklist.txt";

    public static readonly Blocklist Empty = new([]);

    public bool IsRevoked(string host) => Entries.Any(b => b.Name == host);

    public bool Contains(string fingerprint) => Entries.Any(b => b.Fingerprint == fingerprint);

    public IReadOnlyList<string> Fingerprints => Entries.Select(b => b.Fingerprint).ToList();

    public static string PathIn(string inventoryDirectory) => Path.Combine(inventoryDirectory, FileName);

    /// <summary>Reads the file (none: empty); every malformed line is a problem with its line number.</summary>
    public static Blocklist Read(string file, InventoryProblems problems)
    {
        if (!File.Exists(file)) return Empty;
        // A link is refused as for a host's file: its target (a key, say) is nobody's blocklist, and is never read.
        if (new FileInfo(file).LinkTarget is { } target)
        {
            problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), null, null, $"a link (to {Terminal.OneLine(target)}), not flatnet's blocklist: it is not read",
                "put the blocklist file itself there (RevokeHost writes it)"));
            return Empty;
        }
        if (InputFiles.NotRegular(file) is { } why)
        {
            problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), null, null, $"{why}: it is not read", "put the blocklist file itself there (RevokeHost writes it)"));
            return Empty;
        }
        if (new FileInfo(file).Length > InventoryLoader.MaxFileBytes)
        {
            problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), null, null, $"larger than any blocklist ({InventoryLoader.MaxFileBytes / 1024} KiB at most): it is not read",
                "put the blocklist file itself there (RevokeHost writes it)"));
            return Empty;
        }
        var list = new List<RevokedCert>();
        var n = 0;
        foreach (var raw in File.ReadLines(file))
        {
            n++;
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[0].Length != 64 || !parts[0].All(Uri.IsHexDigit))
            {
                problems.AddRaw(FlatnetException.Format(Workspace.Relative(file), n, null, "expected 'FINGERPRINT NAME [DATE]' with a 64-hex-digit fingerprint",
                    "fix the line, or remove it to re-admit that certificate"));
                continue;
            }
            list.Add(new RevokedCert(parts[0].ToLowerInvariant(), parts[1], parts.Length > 2 ? parts[2] : ""));
        }
        return new Blocklist(list);
    }

    /// <summary>Adds one revoked certificate to the file (made with its header when missing), atomically.</summary>
    public static void Append(string file, string fingerprint, string host, DateTime when)
    {
        // The lines there are kept byte for byte (battery 44: a Latin-1 comment came back as U+FFFD): the new line is added to the bytes read.
        var bytes = File.Exists(file) ? Files.InputFiles.ReadAllBytes(file, Files.InputFiles.StateLimit, "the blocklist")
            : "# Revoked certificates: every host's config refuses them (pki.blocklist). Written by RevokeHost.\n# fingerprint  host  date\n"u8.ToArray();
        var line = System.Text.Encoding.UTF8.GetBytes((bytes.Length > 0 && bytes[^1] != (byte)'\n' ? "\n" : "") + $"{fingerprint}  {host}  {when:yyyy-MM-dd}\n");
        SafeFiles.WriteFile(file, t => File.WriteAllBytes(t, [.. bytes, .. line]));
    }
}
