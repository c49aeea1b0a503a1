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

    /// <summary>The bundle with each of <paramref name="own"/>'s files it lacks added (the files every bundle of flatnet's holds), its own entries copied as they are.</summary>
    public static byte[] WithOwnFiles(byte[] bundle, IReadOnlyDictionary<string, string> own)
    {
        using var read = new ZipArchive(new MemoryStream(bundle), ZipArchiveMode.Read);
        var missing = own.Where(f => read.Entries.All(e => e.FullName != f.Key)).ToList();
        if (missing.Count == 0) return bundle;
        return Bundle(zip =>
        {
            foreach (var entry in read.Entries)
            {
                using var from = entry.Open();
                using var to = zip.CreateEntry(entry.FullName).Open();
                from.CopyTo(to);
            }
            foreach (var (name, text) in missing) Text(zip, name, text);
        });
    }

    public static void Text(ZipArchive zip, string name, string text)
    {
        using var w = new StreamWriter(zip.CreateEntry(name).Open());
        w.Write(text);
    }

    /// <summary>host-a's certificate from a CA made for the purpose in <paramref name="folder"/>/crafted-ca (once per folder).</summary>
    public static string HostCertificate(string folder)
    {
        var dir = Path.Combine(folder, "crafted-ca");
        if (!File.Exists(Path.Combine(dir, "host.crt")))
        {
            Directory.CreateDirectory(dir);
            var cert = TestWorkspace.Nebula("1.11.0", "nebula-cert");
            void Run(params string[] args) => global::Flatnet.Processes.ProcessRunner.Run(cert, args, dir).EnsureSuccess("nebula-cert " + args[0]);
            Run("ca", "-name", "crafted", "-version", "1", "-out-crt", "ca.crt", "-out-key", "ca.key");
            Run("sign", "-name", "host-a", "-ip", "10.100.1.1/16", "-ca-crt", "ca.crt", "-ca-key", "ca.key", "-out-crt", "host.crt", "-out-key", "host.key");
        }
        return File.ReadAllText(Path.Combine(dir, "host.crt"));
    }
}
