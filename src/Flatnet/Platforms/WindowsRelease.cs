using System.IO.Compression;
using Flatnet.Inventory;
using Flatnet.Rendering;
using Flatnet.Files;

namespace Flatnet.Platforms;

/// <summary>
/// Nebula's official Windows release, as a bundle carries it. The release is a zip of nebula.exe, nebula-cert.exe
/// and dist/windows/wintun/ (slackhq/nebula .github/workflows/release.yml, "Zip Windows"), and Nebula loads
/// &lt;folder of nebula.exe&gt;\dist\windows\wintun\bin\&lt;arch&gt;\wintun.dll (overlay/tun_windows.go): without it
/// 1.10+ does not start and older releases fall back to TAP, ignoring tun.dev. So the three files travel together,
/// in that layout, under the bundle's nebula/ folder.
/// </summary>
public static class WindowsRelease
{
    public static IReadOnlyList<string> Layout(string arch) =>
        ["nebula.exe", "nebula-cert.exe", $"dist/windows/wintun/bin/{arch}/wintun.dll"];

    /// <summary>The release's files for the bundle (nebula/...), checked for layout and, when pinned, the zip's SHA-256.</summary>
    public static IReadOnlyList<RenderedFile> Files(WindowsNebula settings, string networkFile)
    {
        var path = settings.Release ?? throw new InvalidOperationException("no release configured");
        var wanted = Layout(settings.Arch);
        var found = Directory.Exists(path) ? FromFolder(path, wanted)
            : File.Exists(path) ? FromZip(path, wanted, settings.ReleaseSha256, networkFile)
            : throw new FlatnetException($"{Workspace.Relative(path)} does not exist",
                fix: "download nebula-windows-amd64.zip from github.com/slackhq/nebula/releases and point release: at it",
                file: networkFile, field: "nebula.windows.release");
        var missing = wanted.Where(w => !found.ContainsKey(w)).ToList();
        if (missing.Count > 0)
            throw new FlatnetException($"{Workspace.Relative(path)} is not Nebula's Windows release for {settings.Arch}: it lacks {string.Join(", ", missing)}",
                fix: "use the official nebula-windows-<arch>.zip unchanged (or the folder it unpacks to), and set arch: to the hosts' architecture",
                file: networkFile, field: "nebula.windows.release");
        return wanted.Select(w => new RenderedFile("nebula/" + w, found[w], RenderedFile.Executable)).ToList();
    }

    /// <summary>Nebula's Windows release is some 30 MiB: nothing read from it is larger.</summary>
    private const long MaxBytes = 512L * 1024 * 1024;

    /// <summary>What one program of the release may inflate to: nebula.exe is some tens of MiB.</summary>
    private const long MaxEntryBytes = 128L * 1024 * 1024;

    private static Dictionary<string, byte[]> FromFolder(string folder, IReadOnlyList<string> wanted) =>
        wanted.Where(w => File.Exists(Path.Combine(folder, w))).ToDictionary(w => w, w => InputFiles.ReadAllBytes(Path.Combine(folder, w), MaxBytes, "a file of Nebula's Windows release"));

    private static Dictionary<string, byte[]> FromZip(string zip, IReadOnlyList<string> wanted, string? sha256, string networkFile)
    {
        var bytes = InputFiles.ReadAllBytes(zip, MaxBytes, "Nebula's Windows release", "nebula.windows.release");
        if (sha256 is not null && Digest.Sha256(bytes) != sha256)
            throw new FlatnetException($"{Workspace.Relative(zip)} has SHA-256 {Digest.Sha256(bytes)}, not the pinned {sha256}",
                fix: "download the release again from github.com/slackhq/nebula/releases; if you meant another release, pin its line from SHASUM256.txt",
                file: networkFile, field: "nebula.windows.release_sha256");
        try
        {
            using var archive = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var result = new Dictionary<string, byte[]>();
            foreach (var entry in archive.Entries)
            {
                var name = entry.FullName.Replace('\\', '/').TrimStart('/');
                if (!wanted.Contains(name)) continue;
                // What an entry inflates to is read only so far: a 1.5 MB zip whose nebula.exe inflated to 1.5 GiB took 5.4 GB (battery 17).
                using var stream = entry.Open();
                result[name] = InputFiles.ReadAtMost(stream, MaxEntryBytes, () => new FlatnetException(
                    $"{Workspace.Relative(zip)}: its {name} inflates past {MaxEntryBytes / (1024 * 1024)} MiB, more than Nebula's release holds",
                    fix: "download the release again from github.com/slackhq/nebula/releases (nebula-windows-amd64.zip)", file: networkFile, field: "nebula.windows.release"));
            }
            return result;
        }
        catch (InvalidDataException e)
        {
            throw new FlatnetException($"{Workspace.Relative(zip)} is not a zip file ({e.Message})", fix: "download the release again",
                file: networkFile, field: "nebula.windows.release");
        }
    }
}
