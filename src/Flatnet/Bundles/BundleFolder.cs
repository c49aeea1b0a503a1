using System.Text.Json;
using Flatnet.Files;

namespace Flatnet.Bundles;

/// <summary>
/// The unpacked bundle DeployHost uploads (artifacts/hosts/NAME/bundle/), checked just before it travels: exactly
/// the files its manifest.json lists, each with the SHA-256 the manifest records, and nothing else: no file added
/// beside them, no link. PackageBundle, which runs first, rebuilds a folder whose listed files changed; what it does
/// not look at (an added file, a link) is refused here, so nothing but the bundle reaches the host.
/// </summary>
public static class BundleFolder
{
    /// <summary>Whether the file is a bundle zip of flatnet's: SHA256SUMS, and a manifest.json that records which flatnet made it (an empty file or another zip is someone else's).</summary>
    public static bool IsBundleZip(string zipPath)
    {
        // Only a plain file of a zip's size is opened (battery 42: a FIFO there hung RemoveHost, holding its locks).
        if (Files.InputFiles.NotRegular(zipPath) is not null || new FileInfo(zipPath).Length > Files.InputFiles.ZipLimit) return false;
        try
        {
            using var archive = System.IO.Compression.ZipFile.OpenRead(zipPath);
            if (archive.GetEntry("SHA256SUMS") is null || archive.GetEntry("manifest.json") is not { Length: < 1 << 20 } manifest) return false;
            using var reader = new StreamReader(manifest.Open());
            return reader.ReadToEnd().Contains("\"nebula_checked_with\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Null when the folder is exactly its manifest's files; else what is wrong with it.</summary>
    public static string? Problem(string folder)
    {
        var manifestPath = Path.Combine(folder, "manifest.json");
        if (!File.Exists(manifestPath) || TempFolders.IsLink(manifestPath)) return "it has no manifest.json of its own";
        Dictionary<string, string> listed;
        try
        {
            using var manifest = JsonDocument.Parse(InputFiles.ReadAllBytes(manifestPath, InputFiles.KeyLimit * 64, "the bundle's manifest.json"));
            listed = manifest.RootElement.GetProperty("files").EnumerateArray()
                .ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("sha256").GetString()!);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            return "its manifest.json is not a bundle's manifest";
        }
        var problems = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(folder, entry).Replace('\\', '/');
            if (TempFolders.IsLink(entry)) problems.Add($"{relative} is a link");
            else if (File.Exists(entry) && InputFiles.NotRegular(entry) is { } why) problems.Add($"{relative} is {why}");
            else if (File.Exists(entry) && relative != "manifest.json" && !listed.ContainsKey(relative)) problems.Add($"{relative} is not in its manifest");
        }
        foreach (var (path, sha256) in listed)
        {
            var file = Path.Combine(folder, path);
            if (!File.Exists(file)) problems.Add($"{path} is missing");
            else if (!TempFolders.IsLink(file) && InputFiles.NotRegular(file) is null && Digest.Sha256(File.ReadAllBytes(file)) != sha256) problems.Add($"{path} is not the file its manifest records");
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }
}
