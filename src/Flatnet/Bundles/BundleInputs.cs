using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Flatnet.Rendering;
using Flatnet.Files;

namespace Flatnet.Bundles;

/// <summary>
/// Everything a host's bundle is made from, as one SHA-256: the model its files are rendered from, the templates,
/// its certificate files, Nebula's Windows release, and the tool versions its manifest records. Equal inputs make
/// an equal bundle, so PackageAll leaves such a host alone: no rendering, no `nebula -test`, no zip. Recorded beside
/// the bundle (artifacts/hosts/NAME/bundle.inputs), never in it.
/// </summary>
public static class BundleInputs
{
    /// <param name="peers">stands for the model's list of the other hosts' unsafe routes (<see cref="PeerRoutes.Fingerprint"/>), which are
    /// made from nothing else; hashing them per host would cost n² on a big fleet.</param>
    public static string Of(HostModel model, string peers, string templates, string build, IEnumerable<RenderedFile> certificates, string release, BundleVersions versions)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string part) => sha.AppendData(Encoding.UTF8.GetBytes(part + "\n"));
        Add(OfRendering(model, peers, templates, build));
        foreach (var f in certificates) Add($"{f.Path} {f.Mode} {Digest.Sha256(f.Content)}");
        Add(release);
        Add($"{versions.Flatnet} {versions.NebulaCert} {versions.Nebula}");
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>
    /// What a host's rendered files are made from (RenderAll reuses a host's folder while it is unchanged): its model,
    /// the others' routes, the templates, and flatnet itself (<paramref name="build"/>: <see cref="FlatnetBuild.Identity"/>).
    /// </summary>
    public static string OfRendering(HostModel model, string peers, string templates, string build)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in new[] { JsonSerializer.Serialize(model with { UnsafeRoutes = [] }), peers, templates, build })
            sha.AppendData(Encoding.UTF8.GetBytes(part + "\n"));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>A folder's files, names and contents (the templates; a Windows release unpacked to a folder).</summary>
    public static string OfFolder(string folder)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Relative paths with '/', in the order of those paths: the same fingerprint on a Windows build machine. Each
        // entry as AppendContent counts it (a link never followed: two links to . made this run without end).
        foreach (var (file, name) in Entries(folder).Select(f => (f, Path.GetRelativePath(folder, f).Replace('\\', '/'))).OrderBy(f => f.Item2, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
            AppendContent(sha, new FileInfo(file));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>
    /// What a file counts as in a fingerprint: a link its target's name, never followed; a file of no size nothing,
    /// never opened (a FIFO or a device has none, and opening one blocks or never ends); any other file its bytes.
    /// </summary>
    /// <remarks>A file is streamed into the hash, never read whole: a user's file of any size kept in a folder flatnet writes costs time, not memory.</remarks>
    public static void AppendContent(IncrementalHash sha, FileInfo info)
    {
        if (info.LinkTarget is { } target) sha.AppendData(Encoding.UTF8.GetBytes("-> " + target));
        else if (info.Length > 0)
        {
            using var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            var buffer = new byte[1 << 16];
            for (int n; (n = stream.Read(buffer, 0, buffer.Length)) > 0;) sha.AppendData(buffer, 0, n);
        }
    }

    /// <summary>The SHA-256 of what one file counts as (<see cref="AppendContent"/>).</summary>
    public static string DigestOf(FileInfo info)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendContent(sha, info);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static IEnumerable<string> Entries(string folder)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
            if (Directory.Exists(entry) && !TempFolders.IsLink(entry)) foreach (var inner in Entries(entry)) yield return inner;
            else yield return entry;
    }

    /// <summary>Files' paths and contents (a release's files, hashed once per run).</summary>
    public static string OfFiles(IEnumerable<RenderedFile> files) =>
        string.Join(" ", files.Select(f => $"{f.Path}:{Digest.Sha256(f.Content)}"));
}
