using System.IO.Compression;
using System.Security.Cryptography;

namespace Flatnet.Tests;

/// <summary>
/// A release zip made by hand, laid out as flatnet's are (release.json listing each bundle with its SHA-256,
/// inventory.json, CHANGELOG.md, bundles/HOST.zip), so a test reaches what it crafts inside; <c>tweak</c> then
/// changes the layout itself.
/// </summary>
public static class CraftedRelease
{
    public static string Write(string path, IReadOnlyDictionary<string, byte[]> bundles, string inventoryJson = "{}", string version = "1.0.0",
        Action<ZipArchive>? tweak = null, IReadOnlyDictionary<string, string>? listedSha256 = null, bool withReleaseJson = true)
    {
        using var outer = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (host, zip) in bundles)
            using (var s = outer.CreateEntry($"bundles/{host}.zip").Open()) s.Write(zip);
        var listed = bundles.Select(b => $"{{\"host\": \"{b.Key}\", \"sha256\": \"{listedSha256?.GetValueOrDefault(b.Key) ?? Convert.ToHexStringLower(SHA256.HashData(b.Value))}\"}}");
        if (withReleaseJson) Text(outer, "release.json", $"{{\"version\": \"{version}\", \"bundles\": [{string.Join(", ", listed)}]}}");
        Text(outer, "inventory.json", inventoryJson);
        Text(outer, "CHANGELOG.md", $"# flatnet {version}\n");
        tweak?.Invoke(outer);
        return path;
    }

    /// <summary>A bundle zip whose entries <paramref name="write"/> lays out.</summary>
    public static byte[] Bundle(Action<ZipArchive> write)
    {
        var bytes = new MemoryStream();
        using (var inner = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true)) write(inner);
        return bytes.ToArray();
    }

    public static void Text(ZipArchive zip, string name, string text)
    {
        using var w = new StreamWriter(zip.CreateEntry(name).Open());
        w.Write(text);
    }
}
