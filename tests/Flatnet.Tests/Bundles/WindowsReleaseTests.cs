using System.IO.Compression;

namespace Flatnet.Tests;

/// <summary>A Windows bundle carries Nebula's release as Nebula loads it: nebula.exe beside dist\windows\wintun\bin\ARCH\wintun.dll.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class WindowsReleaseTests
{
    [Test]
    public void ABundleBuiltFromTheReleaseZipCarriesWintunWhereNebulaLoadsIt()
    {
        using var ws = new TestWorkspace();
        FakeWindowsRelease.UseIn(ws, FakeWindowsRelease.Write(Path.Combine(ws.Root, "nebula-windows-amd64.zip")));
        ws.ControlPlane().GenerateCert("host-b");
        ws.ControlPlane().PackageBundle("host-b");
        using var zip = ZipFile.OpenRead(ws.Workspace.BundlePath("host-b"));
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(names, Is.SupersetOf(new[] { "nebula/nebula.exe", "nebula/nebula-cert.exe", "nebula/dist/windows/wintun/bin/amd64/wintun.dll" }));
        Assert.That(names, Has.None.Contains("arm64").And.None.Contains("LICENSE"), "only what this host's architecture loads");
        Assert.That(File.ReadAllText(Path.Combine(ws.Workspace.BundleDirectory("host-b"), "manifest.json")), Does.Contain("\"nebula/dist/windows/wintun/bin/amd64/wintun.dll\""));
    }

    [Test]
    public void AWindowsBundleWithoutNebulaIsRefusedUnlessTheInventorySaysItIsInstalledByHand()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "installed_by_hand:", "    # installed_by_hand: true");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain("network.yaml: nebula.windows.release: a Windows bundle needs Nebula's Windows release")
            .And.Contain("fix: download nebula-windows-amd64.zip").And.Contain("fix: or, if every Windows host has Nebula installed by hand, set installed_by_hand: true"));
        Assert.That(Directory.Exists(Path.Combine(ws.Workspace.ArtifactsDirectory, "bundles")) ? Directory.GetFiles(Path.Combine(ws.Workspace.ArtifactsDirectory, "bundles")) : [], Is.Empty,
            "no bundle without nebula.exe is written");

        ws.Edit("network.yaml", "# installed_by_hand:", "    installed_by_hand: true");
        var packed = ws.ControlPlane().PackageAll();
        Assert.That(packed, Has.All.Property("Written").True, "said on purpose: bundles carry the config, not the binaries");
    }

    [Test]
    public void AnUnpackedReleaseFolderServesTooAndArmHostsGetTheArmDll()
    {
        using var ws = new TestWorkspace();
        var folder = Path.Combine(ws.Root, "release");
        ZipFile.ExtractToDirectory(FakeWindowsRelease.Write(Path.Combine(ws.Root, "r.zip")), folder);
        FakeWindowsRelease.UseIn(ws, folder, "    arch: arm64\n");
        ws.ControlPlane().GenerateCert("host-b");
        var bundle = ws.ControlPlane().PackageBundle("host-b").Bundle!;
        Assert.That(bundle.Files.Select(f => f.Path), Does.Contain("nebula/dist/windows/wintun/bin/arm64/wintun.dll"));
    }

    [Test]
    public void AZipWithoutWintunIsNotTheReleaseAndNothingIsWritten()
    {
        using var ws = new TestWorkspace();
        FakeWindowsRelease.UseIn(ws, FakeWindowsRelease.Write(Path.Combine(ws.Root, "nebula.zip"), withWintun: false));
        ws.ControlPlane().GenerateCert("host-b");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-b"))!;
        Assert.That(e.Message, Does.Contain("network.yaml: nebula.windows.release: ").And.Contain("is not Nebula's Windows release for amd64: it lacks dist/windows/wintun/bin/amd64/wintun.dll"));
        Assert.That(File.Exists(ws.Workspace.BundlePath("host-b")), Is.False);
    }

    [Test]
    public void APinnedShaThatDoesNotMatchIsRefused()
    {
        using var ws = new TestWorkspace();
        FakeWindowsRelease.UseIn(ws, FakeWindowsRelease.Write(Path.Combine(ws.Root, "nebula.zip")), $"    release_sha256: {new string('a', 64)}\n");
        ws.ControlPlane().GenerateCert("host-b");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-b"))!;
        Assert.That(e.Message, Does.Contain($"nebula.windows.release_sha256: ").And.Contain($", not the pinned {new string('a', 64)}"));
    }

    [Test]
    public void TheOldBinariesKeyIsRefusedWithTheFix()
    {
        using var ws = new TestWorkspace();
        File.WriteAllText(ws.HostsFile("network.yaml"), File.ReadAllText(ws.HostsFile("network.yaml")).Replace("    service: nebula ", "    binaries: tools/windows\n    service: nebula "));
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Contain("nebula.windows.binaries: is replaced by nebula.windows.release").And.Contain("fix: set release: to Nebula's Windows release zip"));
    }

    /// <summary>A 1.5 MB release zip whose nebula.exe inflated to 1.5 GiB took 5.4 GB (battery 17): each program is read only so far.</summary>
    [Test]
    public void AReleaseWhoseProgramInflatesWithoutBoundIsRefused()
    {
        using var ws = new TestWorkspace();
        var bomb = Path.Combine(ws.Root, "nebula-windows-amd64.zip");
        using (var zip = ZipFile.Open(bomb, ZipArchiveMode.Create))
        {
            using (var exe = zip.CreateEntry("nebula.exe").Open())
            {
                var zeros = new byte[1024 * 1024];
                for (var i = 0; i < 130; i++) exe.Write(zeros);
            }
            using (var cert = new StreamWriter(zip.CreateEntry("nebula-cert.exe").Open())) cert.Write("MZ");
        }
        FakeWindowsRelease.UseIn(ws, bomb);
        ws.ControlPlane().GenerateCert("host-b");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-b"))!;
        Assert.That(e.Message, Does.Contain("its nebula.exe inflates past 128 MiB, more than Nebula's release holds"));
        Assert.That(File.Exists(ws.Workspace.BundlePath("host-b")), Is.False);
    }
}
