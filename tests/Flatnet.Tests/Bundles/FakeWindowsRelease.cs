using System.IO.Compression;

namespace Flatnet.Tests;

/// <summary>
/// A zip with the layout of Nebula's official Windows release (slackhq/nebula .github/workflows/release.yml,
/// "Zip Windows": nebula.exe, nebula-cert.exe, dist/windows/wintun/...); its nebula.exe is the fake Windows' one.
/// </summary>
public static class FakeWindowsRelease
{
    public static string Write(string path, bool withWintun = true)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string name, string text)
        {
            using var w = new StreamWriter(zip.CreateEntry(name).Open());
            w.Write(text);
        }
        Add("nebula.exe", File.ReadAllText(Path.Combine(PowerShell.TestsDirectory, "fake-nebula.exe")));
        Add("nebula-cert.exe", "#!/bin/sh\nexit 0\n");
        Add("dist/windows/wintun/LICENSE.txt", "Prebuilt Binaries License");
        if (withWintun)
        {
            Add("dist/windows/wintun/bin/amd64/wintun.dll", "wintun amd64");
            Add("dist/windows/wintun/bin/arm64/wintun.dll", "wintun arm64");
        }
        return path;
    }

    /// <summary>Points the workspace's network.yaml at a release (zip or folder), with optional extra lines.</summary>
    public static void UseIn(TestWorkspace ws, string release, string extra = "") =>
        File.WriteAllText(ws.HostsFile("network.yaml"), File.ReadAllText(ws.HostsFile("network.yaml"))
            .Replace("    service: nebula ", $"    release: '{release}'\n{extra}    service: nebula "));
}
