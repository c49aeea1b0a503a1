using Flatnet.Files;
using Flatnet.Output;
using Flatnet.Processes;

namespace Flatnet.Versions;

/// <summary>
/// Nebula releases kept on the build machine, one folder each: tools/nebula/VERSION/{nebula,nebula-cert}. They check
/// configs with the very version a host runs (`nebula -test`), and the lab runs them as daemons.
/// A missing release is fetched from Debian's archive (<see cref="DebianArchive"/>), never by changing the machine's apt.
/// </summary>
public sealed class NebulaReleases(string toolsDirectory)
{
    public string Root => Path.Combine(toolsDirectory, "nebula");

    public string Folder(NebulaVersion version) => Path.Combine(Root, version.ToString());

    /// <summary>The binary ("nebula" or "nebula-cert"; on a Windows build machine nebula.exe, nebula-cert.exe) of a release that is already here, or null.</summary>
    public string? Find(NebulaVersion version, string program)
    {
        var path = Path.Combine(Folder(version), ProcessRunner.Executable(program));
        return File.Exists(path) ? path : null;
    }

    /// <summary>The binary of a release, fetched first when it is not here yet.</summary>
    public string Require(NebulaVersion version, string program, IReporter log)
    {
        if (Find(version, program) is { } found) return found;
        Fetch(version, log);
        return Find(version, program)
               ?? throw new FlatnetException($"Nebula {version}: the package had no {program}.", fix: $"delete {Workspace.Relative(Folder(version))} and fetch it again");
    }

    /// <summary>Target FetchNebula: the releases --nebula=1.11.0,1.9.3 names, each in tools/nebula/VERSION; the folders made.</summary>
    public IReadOnlyList<string> FetchAll(string? versions, IReporter log)
    {
        var wanted = NebulaVersion.ParseList(versions, "--nebula");
        if (wanted.Count == 0)
            throw new FlatnetException("which release(s)?", fix: $"e.g. --nebula={string.Join(",", NebulaVersion.Tested)} (Debian has those three)", field: "--nebula");
        foreach (var v in wanted) Fetch(v, log);
        var folders = wanted.Select(v => Workspace.Relative(Folder(v))).ToList();
        log.Info($"nebula: {string.Join(", ", folders)} ready (nebula, nebula-cert); set nebula.cert_tool to one's nebula-cert to sign with it");
        return folders;
    }

    /// <summary>Puts release <paramref name="version"/> in tools/nebula/VERSION (whole or not at all); a no-op when it is there.</summary>
    public void Fetch(NebulaVersion version, IReporter log)
    {
        if (OperatingSystem.IsWindows() && (Find(version, "nebula") is null || Find(version, "nebula-cert") is null))
            throw new FlatnetException($"Nebula {version} is not in {Workspace.Relative(Folder(version))}, and a Windows build machine cannot fetch it from Debian's archive",
                fix: $"unpack nebula-windows-amd64.zip of release {version} (github.com/slackhq/nebula/releases) into {Workspace.Relative(Folder(version))} (nebula.exe and nebula-cert.exe)");
        // nebula-cert from here runs on the CA's key: tools/ is checked as every writing run checks it, before the first write.
        OwnTrees.Require(Path.GetDirectoryName(Path.GetFullPath(toolsDirectory))!, (toolsDirectory, "tools"));
        // The folders and the lock flatnet writes in tools/ (and apt's, below tools/apt): never where a link leads.
        SafeFiles.RequireNoLinkBelow(toolsDirectory, Path.Combine(Root, ".lock"), Path.Combine(toolsDirectory, "apt"));
        Directory.CreateDirectory(Root);
        using var _ = FileLock(Path.Combine(Root, ".lock"));
        if (Find(version, "nebula") is not null && Find(version, "nebula-cert") is not null) return;
        var archive = new DebianArchive(Path.Combine(toolsDirectory, "apt"), log);
        var staging = Path.Combine(Root, $".{version}.staging-{Guid.NewGuid():N}");
        SafeFiles.CreateOwnedDirectory(staging);
        try
        {
            var deb = archive.Download("nebula", version, staging);
            var unpacked = Path.Combine(staging, "deb");
            ProcessRunner.Run(ProcessRunner.OfSystem("dpkg-deb"), ["-x", deb, unpacked]).EnsureSuccess("dpkg-deb -x");
            foreach (var program in new[] { "nebula", "nebula-cert" })
                File.Move(Path.Combine(unpacked, "usr", "bin", program), Path.Combine(staging, program));
            Directory.Delete(unpacked, recursive: true);
            File.Delete(deb);
            var got = NebulaVersion.OfProgram(Path.Combine(staging, "nebula"), $"nebula {version}");
            if (got != version)
                throw new FlatnetException($"Debian's package for Nebula {version} holds Nebula {got}",
                    fix: $"put that release's nebula and nebula-cert in {Workspace.Relative(Folder(version))} by hand (from github.com/slackhq/nebula/releases), or pin a release Debian ships right");
            Directory.Move(staging, Folder(version));
            log.Info($"nebula {version}: fetched from Debian's archive into {Workspace.Relative(Folder(version))}");
        }
        finally
        {
            SafeFiles.DeleteOwnedDirectory(staging);
        }
    }

    private static FileStream FileLock(string path)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (i < 600)
            {
                Thread.Sleep(500); // another run is fetching; it takes seconds
            }
        }
    }
}
