using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Flatnet.Files;
using Flatnet.Inventory;
using Flatnet.Output;

namespace Flatnet.Bundles;

/// <summary>
/// A release zip read back, and believed only once it is checked against itself: it holds what a release of flatnet's
/// holds and nothing else (release.json, inventory.json, CHANGELOG.md, bundles/HOST.zip), release.json lists exactly
/// its bundles with their SHA-256, each bundle has those bytes, and its inventory snapshot is plain text. So a zip
/// dropped in artifacts/releases cannot write a later release's changelog, nor stand in for a baseline, by its name
/// alone. What is read is bounded (entries, bytes); what is not a release is refused, naming why.
/// </summary>
public sealed partial class ReleaseZip : IDisposable
{
    /// <summary>A release of the largest fleet flatnet builds has a few thousand entries at most; a zip with more is no release.</summary>
    public const int MaxEntries = 10_000;

    private readonly ZipArchive zip;

    public string Path { get; }

    /// <summary>The version release.json says.</summary>
    public string Version { get; }

    /// <summary>The SHA-256 of the whole zip, as a later changelog names its baseline.</summary>
    public string Sha256 { get; }

    public IReadOnlyDictionary<string, string> Snapshot { get; }

    /// <summary>Each bundle by its host, in natural order.</summary>
    public IReadOnlyList<(string Host, ZipArchiveEntry Entry)> Bundles { get; }

    private ReleaseZip(string path, ZipArchive zip, string version, string sha256, IReadOnlyDictionary<string, string> snapshot, IReadOnlyList<(string, ZipArchiveEntry)> bundles) =>
        (Path, this.zip, Version, Sha256, Snapshot, Bundles) = (path, zip, version, sha256, snapshot, bundles);

    /// <param name="notOurs">the failure for "this is not a release of flatnet's: WHY" (Release and Plan --diff say what to do differently).</param>
    public static ReleaseZip Open(string path, Func<string, FlatnetException> notOurs)
    {
        if (InputFiles.NotRegular(path) is { } why) throw notOurs($"it is {why}");
        // One handle: the bytes hashed are the bytes read.
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (file.Length > InputFiles.ZipLimit)
        {
            file.Dispose();
            throw notOurs($"it is larger than {InputFiles.ZipLimit / (1024 * 1024)} MiB");
        }
        // The count the zip declares, before .NET builds an entry for each (19.8 million entries took 6.7 GB, battery 17).
        var declared = DeclaredEntries(file);
        if (declared is null || declared > MaxEntries)
        {
            file.Dispose();
            throw notOurs(declared is null ? "it is not a zip" : $"it declares more entries than a release has ({MaxEntries} at most)");
        }
        file.Position = 0;
        var whole = Convert.ToHexStringLower(SHA256.HashData(file));
        file.Position = 0;
        ZipArchive zip;
        try { zip = new ZipArchive(file, ZipArchiveMode.Read); }
        catch (InvalidDataException)
        {
            file.Dispose();
            throw notOurs("it is not a zip");
        }
        try
        {
            if (zip.Entries.Count > MaxEntries) throw notOurs($"it has {zip.Entries.Count} entries (a release has a few per host)");
            var names = zip.Entries.Select(e => e.FullName).ToList();
            if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice) throw notOurs($"it holds {Terminal.OneLine(twice.Key)} twice");
            var bundles = new List<(string Host, ZipArchiveEntry Entry)>();
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName is "release.json" or "inventory.json" or "CHANGELOG.md") continue;
                var host = entry.FullName.StartsWith("bundles/", StringComparison.Ordinal) && entry.FullName.EndsWith(".zip", StringComparison.Ordinal)
                    ? entry.FullName["bundles/".Length..^".zip".Length] : null;
                if (host is null || Grammar.HostName(host) is not null) throw notOurs($"it holds {Terminal.OneLine(entry.FullName)}, which no release of flatnet's has");
                bundles.Add((host, entry));
            }
            var (version, listed) = ReleaseJson(zip, notOurs);
            // Named as a release (flatnet-VERSION.zip), it is that version: Release and Plan --diff alike (battery 20).
            var name = System.IO.Path.GetFileName(path);
            if (name.StartsWith("flatnet-", StringComparison.Ordinal) && name.EndsWith(".zip", StringComparison.Ordinal) && name["flatnet-".Length..^".zip".Length] != version)
                throw notOurs($"its release.json says {Terminal.OneLine(version)}, its name {Terminal.OneLine(name)}");
            var shipped = bundles.ToDictionary(b => b.Host, b => b.Entry);
            if (listed.Keys.Except(shipped.Keys).FirstOrDefault() is { } missing) throw notOurs($"release.json lists bundles/{missing}.zip, which it does not hold");
            if (shipped.Keys.Except(listed.Keys).FirstOrDefault() is { } extra) throw notOurs($"it holds bundles/{extra}.zip, which release.json does not list");
            long budget = InputFiles.ZipLimit;
            foreach (var (host, entry) in bundles)
                if (Sha256Of(entry, n => { if ((budget -= n) < 0) throw notOurs($"its bundles inflate past {InputFiles.ZipLimit / (1024 * 1024)} MiB together"); }) != listed[host]) throw notOurs($"bundles/{host}.zip is not the bundle release.json lists (its SHA-256 differs)");
            var snapshot = SnapshotOf(zip, notOurs);
            return new ReleaseZip(path, zip, version, whole, snapshot, bundles.OrderBy(b => b.Host, NaturalOrder.Instance).ToList());
        }
        catch (InvalidDataException)
        {
            zip.Dispose();
            throw notOurs("a part of it does not inflate");
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    public void Dispose() => zip.Dispose();

    /// <summary>
    /// The entries a zip's end record declares (0xFFFF: a ZIP64 zip, which only a zip of more than 65,534 entries or
    /// 4 GiB needs); null when there is no end record in its last 64 KiB.
    /// </summary>
    private static int? DeclaredEntries(FileStream file)
    {
        var tail = (int)Math.Min(file.Length, 22 + ushort.MaxValue);
        var buffer = new byte[tail];
        file.Position = file.Length - tail;
        file.ReadExactly(buffer);
        for (var i = tail - 22; i >= 0; i--)
            if (buffer[i] == 0x50 && buffer[i + 1] == 0x4b && buffer[i + 2] == 5 && buffer[i + 3] == 6) return BitConverter.ToUInt16(buffer, i + 10);
        return null;
    }

    private static (string Version, Dictionary<string, string> Bundles) ReleaseJson(ZipArchive zip, Func<string, FlatnetException> notOurs)
    {
        var text = Small(zip, "release.json", notOurs);
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            var version = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            if (!ReleaseArchive.VersionPattern().IsMatch(version)) throw notOurs("its release.json names no version");
            var listed = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!root.TryGetProperty("bundles", out var bundles) || bundles.ValueKind != JsonValueKind.Array) throw notOurs("its release.json lists no bundles");
            foreach (var b in bundles.EnumerateArray())
            {
                var host = b.ValueKind == JsonValueKind.Object && b.TryGetProperty("host", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString()! : "";
                var sha = b.ValueKind == JsonValueKind.Object && b.TryGetProperty("sha256", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
                if (Grammar.HostName(host) is not null || sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower) || !listed.TryAdd(host, sha))
                    throw notOurs("its release.json's bundles are not a list of hosts, each once, with their SHA-256");
            }
            return (version, listed);
        }
        catch (JsonException) { throw notOurs("its release.json is not JSON"); }
    }

    private static Dictionary<string, string> SnapshotOf(ZipArchive zip, Func<string, FlatnetException> notOurs)
    {
        Dictionary<string, string>? snapshot;
        try { snapshot = JsonSerializer.Deserialize<Dictionary<string, string>>(Small(zip, "inventory.json", notOurs)); }
        catch (JsonException) { throw notOurs("its inventory.json is not the inventory snapshot a release of flatnet's holds"); }
        // Names, addresses and fingerprints: plain text on one line, as a changelog prints it.
        if (snapshot is null || snapshot.Any(kv => kv.Value is null || Terminal.Clean(kv.Key) != kv.Key || Terminal.Clean(kv.Value) != kv.Value || (kv.Key + kv.Value).Contains('\n')))
            throw notOurs("its inventory.json holds what no inventory snapshot of flatnet's has (control characters, or no value)");
        // ... and only entries of the shapes ReleaseArchive.Snapshot writes: the next release's changelog copies them
        // (battery 30: a line added to an earlier release's inventory.json put "curl ... | sudo sh" into CHANGELOG.md).
        if (snapshot.FirstOrDefault(kv => !SnapshotEntry().IsMatch($"{kv.Key}\t{kv.Value}")) is { Key: not null } odd)
            throw notOurs($"its inventory.json holds an entry no release of flatnet's writes ({Terminal.OneLine(odd.Key.Length > 40 ? odd.Key[..40] + "..." : odd.Key)})");
        return snapshot;
    }

    /// <summary>An entry of an inventory snapshot, as KEY TAB VALUE, in one of the shapes <see cref="ReleaseArchive.Snapshot"/> writes.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("""
        ^(?:network\toverlay\ [0-9./]+,\ blocks\ from\ [0-9./]+\ /\d+,\ port\ \d+,\ relays\ (?:on|off),\ mtu\ \d+,\ tx_queue\ \d+
        |(?:lighthouse\ )?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\t[0-9.]+\ at\ [A-Za-z0-9.:\[\]-]+(?:,\ [A-Za-z0-9.:\[\]-]+)*
        |host\ [a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\t(?:linux|windows),\ [0-9./]+,\ block\ (?:[0-9./]+|none),\ groups\ [A-Za-z0-9_.,-]*(?:,\ pending\ \(no\ bundle\ in\ this\ release\))?
        |certificate\ [a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\tkey\ [0-9A-Za-z+/=]{1,16}…?,\ valid\ \d{4}-\d{2}-\d{2}\ to\ \d{4}-\d{2}-\d{2},\ fingerprint\ [0-9a-f]{1,16}…?
        |bundle\ [a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\tSHA-256\ [0-9a-f]{1,16}…?
        |revoked\ [a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\t[0-9a-f]{64}
        |trusted\ CAs\t[0-9a-f]{64}(?:,\ [0-9a-f]{64})*
        )\z
        """, System.Text.RegularExpressions.RegexOptions.IgnorePatternWhitespace)]
    private static partial System.Text.RegularExpressions.Regex SnapshotEntry();

    /// <summary>A small entry's text (release.json, inventory.json are a few KiB), cut at the state limit whatever its header claims.</summary>
    private static byte[] Small(ZipArchive zip, string name, Func<string, FlatnetException> notOurs)
    {
        var entry = zip.GetEntry(name) ?? throw notOurs($"it has no {name}");
        using var stream = entry.Open();
        return InputFiles.ReadAtMost(stream, InputFiles.StateLimit, () => notOurs($"its {name} inflates past {InputFiles.StateLimit / 1024} KiB"));
    }

    /// <summary>An entry's SHA-256, read as it inflates, its bytes never kept; <paramref name="took"/> is told each chunk's size (and throws past a budget).</summary>
    public static string Sha256Of(ZipArchiveEntry entry, Action<int> took)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var stream = entry.Open();
        var buffer = new byte[81920];
        for (int n; (n = stream.Read(buffer, 0, buffer.Length)) > 0;)
        {
            took(n);
            sha.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
