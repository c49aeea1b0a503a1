using System.IO.Compression;

namespace Flatnet.Lab;

/// <summary>
/// The lab's Windows stand-in (--windows=host-c): a lab host whose sshd runs every command the way Windows' OpenSSH
/// Server does, through cmd.exe, then Windows PowerShell, and whose Windows commands act on its namespaces. Its
/// programs are in src/Flatnet.Lab/windows/, each saying what it stands in for and which of Windows' rules it applies:
/// cmd.exe (the 8,191-character line, %VAR%, the operators outside quotes, exit 9009), powershell.exe (pwsh with
/// FakeWindows.ps1 and LabWindows.ps1: routes, forwarding, Nebula's service, wsl.exe and ping for real, the rest kept
/// as the fake keeps it, between commands too), wsl.exe (the host's WSL2 namespace) and Nebula's Windows release
/// (nebula.exe runs the real nebula of the host's release). What only a real Windows can show stays outside: kernel
/// routing on Windows, wintun, WinNAT, Defender Firewall (docs/architecture.md, "The Windows stand-in").
/// </summary>
public static class LabWindows
{
    /// <summary>Where the stand-in's programs ship: beside Flatnet.Lab.dll (the Cake script loads it from artifacts/tools/flatnet).</summary>
    private static string Programs => Path.Combine(Path.GetDirectoryName(typeof(LabWindows).Assembly.Location)!, "windows");

    private static readonly string[] Files = ["cmd.exe", "powershell.exe", "wsl.exe", "FakeWindows.ps1", "LabWindows.ps1"];

    /// <summary>The stand-in's programs for one host, and what they need to know of it; returns the folder to put first on its PATH.</summary>
    /// <param name="sshd">the host's sshd: its config, pid file and log, which the stand-in's Start-Service sshd starts (a bare PC's join.ps1).</param>
    public static string Prepare(string labDirectory, LabHost host, LabDaemon nebula, string nebulaCert, (string Config, string PidFile, string Log) sshd)
    {
        var folder = Path.Combine(labDirectory, host.Name, "windows");
        var bin = Path.Combine(folder, "bin");
        var state = Path.Combine(folder, "state");
        Directory.CreateDirectory(bin);
        Directory.CreateDirectory(state);
        foreach (var file in Files)
        {
            var source = Path.Combine(Programs, file);
            if (!File.Exists(source))
                throw new FlatnetException($"lab: the Windows stand-in's {file} is not at {source}", fix: "build the lab again (./build.sh publishes src/Flatnet.Lab/windows/ beside Flatnet.Lab.dll)");
            File.Copy(source, Path.Combine(bin, file), overwrite: true);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(bin, file), (UnixFileMode)0b111_101_101); // the lab runs on Linux
        }
        var values = new (string Name, string Value)[]
        {
            ("FLATNET_LAB_HOST", host.Name), ("FLATNET_LAB_BIN", bin), ("FLATNET_LAB_STATE", state),
            ("FLATNET_LAB_ROOT", Root(labDirectory, host.Name)), ("FLATNET_LAB_LAN_ADDRESS", host.Underlay),
            ("FLATNET_LAB_WSL_NS", host.WslNamespace.Name), ("FLATNET_LAB_WSL_ETC", Path.Combine(labDirectory, host.Name, "wsl-etc")),
            ("FLATNET_LAB_NEBULA", nebula.Binary), ("FLATNET_LAB_NEBULA_CERT", nebulaCert),
            ("FLATNET_LAB_DOTNET", LabPrerequisites.Which("dotnet") ?? throw new FlatnetException("lab: dotnet is not on PATH", fix: "run the lab through ./build.sh")),
            ("FLATNET_LAB_PWSH", Pwsh()), ("FAKE_SERVICE_REGISTRY", Path.Combine(state, "services")),
            ("FLATNET_LAB_PROGRAMDATA", ProgramData(labDirectory, host.Name)), ("FLATNET_LAB_SYSTEMROOT", SystemRoot(labDirectory, host.Name)), ("FLATNET_LAB_SSHD", LabSshd.Sshd),
            ("FLATNET_LAB_SSHD_CONFIG", sshd.Config), ("FLATNET_LAB_SSHD_PID", sshd.PidFile), ("FLATNET_LAB_SSHD_LOG", sshd.Log),
        };
        File.WriteAllLines(Path.Combine(bin, "host.env"), values.Select(v => $"export {v.Name}='{v.Value}'"));
        return bin;
    }

    /// <summary>The stand-in's %SystemRoot% (its System32\drivers\etc\hosts is what the host's namespace resolves with).</summary>
    public static string SystemRoot(string labDirectory, string host) => Path.Combine(labDirectory, host, "windows", "SystemRoot");

    public static string HostsFile(string labDirectory, string host) => Path.Combine(SystemRoot(labDirectory, host), "System32", "drivers", "etc", "hosts");

    /// <summary>The stand-in's %ProgramData%: OpenSSH's host key and administrators_authorized_keys are in its ssh\ folder, as on Windows.</summary>
    public static string ProgramData(string labDirectory, string host) => Path.Combine(labDirectory, host, "windows", "ProgramData");

    /// <summary>The stand-in's install root: a folder of the host's own in the lab (pwsh on Linux has no C:).</summary>
    public static string Root(string labDirectory, string host) => Path.Combine(labDirectory, host, "flatnet");

    /// <summary>
    /// Nebula's Windows release as a user downloads it, for the stand-ins: nebula.exe and nebula-cert.exe (the real
    /// ones of each host's release, through the programs above) and wintun.dll, where nebula.exe looks for it.
    /// </summary>
    public static string Release(string labDirectory)
    {
        var zip = Path.Combine(labDirectory, "nebula-windows-amd64.zip");
        File.Delete(zip);
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Create);
        foreach (var program in new[] { "nebula.exe", "nebula-cert.exe" })
        {
            var entry = archive.CreateEntryFromFile(Path.Combine(Programs, program), program);
            entry.ExternalAttributes = 0b111_101_101 << 16;
        }
        using (var w = new StreamWriter(archive.CreateEntry("dist/windows/wintun/bin/amd64/wintun.dll").Open())) w.Write("wintun (lab: Nebula runs on /dev/net/tun)");
        return zip;
    }

    /// <summary>PowerShell 7 of the repository's pinned .NET tool (build.sh restores it), which plays Windows PowerShell.</summary>
    private static string Pwsh()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var found = Directory.Exists(Path.Combine(packages, "powershell"))
            ? Directory.GetDirectories(Path.Combine(packages, "powershell")).Select(d => Path.Combine(d, "tools", "net10.0", "any", "unix", "pwsh.dll")).Where(File.Exists).Order().LastOrDefault()
            : null;
        return found ?? throw new FlatnetException($"lab: PowerShell 7 (the .NET tool) is not in {Path.Combine(packages, "powershell")}; the Windows stand-in runs it",
            fix: "run `dotnet tool restore` in the repository (./build.sh does)");
    }
}
