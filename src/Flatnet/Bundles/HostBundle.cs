using System.Text;
using System.Text.Json;
using Flatnet.Rendering;

namespace Flatnet.Bundles;

/// <summary>Versions recorded in a bundle's manifest.</summary>
public sealed record BundleVersions(string Flatnet, string NebulaCert, string Nebula);

/// <summary>
/// Everything one host receives: rendered files, its certificate (and key, only when it was made here),
/// SHA256SUMS and manifest.json. Never the CA key. Written deterministically: same inputs, same bytes.
/// </summary>
public sealed record HostBundle(string Host, IReadOnlyList<RenderedFile> Files)
{
    public bool ContainsPrivateKey => Files.Any(f => f.Path.EndsWith(".key", StringComparison.Ordinal));

    public static HostBundle Assemble(HostModel model, IEnumerable<RenderedFile> rendered, IEnumerable<RenderedFile> extra, BundleVersions versions)
    {
        var files = rendered.Concat(extra).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        if (files.Any(f => Path.GetFileName(f.Path) == "ca.key"))
            throw new InvalidOperationException("the CA key must never enter a bundle");
        var sums = string.Concat(files.Select(f => $"{Digest.Sha256(f.Content)}  {f.Path}\n"));
        files.Add(new RenderedFile("SHA256SUMS", Encoding.UTF8.GetBytes(sums), RenderedFile.Regular));
        var manifest = new
        {
            host = model.Name,
            os = model.Os,
            network = model.Network,
            overlay_ip = model.OverlayCidr,
            routed_block = model.RoutedBlock,
            wsl_address = model.WslAddress,
            contains_private_key = files.Any(f => f.Path.EndsWith(".key", StringComparison.Ordinal)),
            versions = new { flatnet = versions.Flatnet, nebula_cert = versions.NebulaCert, nebula_checked_with = versions.Nebula },
            files = files.Select(f => new { path = f.Path, sha256 = Digest.Sha256(f.Content), size = f.Content.Length, mode = Convert.ToString(f.Mode, 8) }),
        };
        var json = JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }) + "\n";
        files.Add(new RenderedFile("manifest.json", Encoding.UTF8.GetBytes(json), RenderedFile.Regular));
        return new HostBundle(model.Name, files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList());
    }

    public byte[] ToZip() => DeterministicZip.Create(Files);

    /// <summary>Writes the files into a folder (the form DeployHost uploads), with their modes.</summary>
    public void WriteTo(string directory)
    {
        foreach (var f in Files)
        {
            var path = Path.Combine(directory, f.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // With its mode from creation: host.key is never readable by others, not even for a moment.
            using var stream = OperatingSystem.IsWindows() ? File.Create(path)
                : new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)f.Mode });
            stream.Write(f.Content);
        }
    }
}
