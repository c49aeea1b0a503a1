using Flatnet.Processes;

namespace Flatnet.Tests;

/// <summary>
/// build.sh writes only into the repository's own files: a link committed where it writes (its library folder, a
/// file in it such as the stamp, Cake's cache in build/tools) is refused before anything is written, its target untouched.
/// </summary>
public class BuildScriptTests
{
    [TestCase("artifacts/tools/flatnet/.source-stamp")]
    [TestCase("artifacts/tools/flatnet/Flatnet.dll")]
    [TestCase("build/tools")]
    [TestCase("build/tools/Modules/Cake.Flatnet.Module")]
    [TestCase("build/tools/cache/build.dll")]
    [TestCase("src/Cake.Flatnet.Module/obj")]
    public void ALinkWhereBuildShWritesIsRefusedAndItsTargetUntouched(string link)
    {
        using var ws = new TestWorkspace();
        File.Copy(Path.Combine(TestWorkspace.RepoRoot, "build.sh"), Path.Combine(ws.Root, "build.sh"));
        Directory.CreateDirectory(Path.Combine(ws.Root, ".config"));
        File.Copy(Path.Combine(TestWorkspace.RepoRoot, ".config", "dotnet-tools.json"), Path.Combine(ws.Root, ".config", "dotnet-tools.json"));
        var victim = Path.Combine(ws.Root, "victim");
        File.WriteAllText(victim, "precious");
        var at = Path.Combine(ws.Root, link);
        Directory.CreateDirectory(Path.GetDirectoryName(at)!);
        File.CreateSymbolicLink(at, victim);

        var r = ProcessRunner.Run("bash", ["build.sh", "--target=Plan"], ws.Root, timeout: TimeSpan.FromMinutes(2));

        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"build.sh: {link} is a link (to {victim})").And.Contain("nothing was written"));
        Assert.That(File.ReadAllText(victim), Is.EqualTo("precious"));
    }

    /// <summary>
    /// Battery 21: a line another account added to a world-writable build/build.cake ran as root. build.sh runs nothing
    /// while what it builds and runs is writable by others (a group of the owner's own name excepted).
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void BuildShRunsNothingThatAnotherAccountMayChange()
    {
        using var ws = new TestWorkspace();
        File.Copy(Path.Combine(TestWorkspace.RepoRoot, "build.sh"), Path.Combine(ws.Root, "build.sh"));
        var cake = Path.Combine(ws.Root, "build", "build.cake");
        Directory.CreateDirectory(Path.GetDirectoryName(cake)!);
        File.WriteAllText(cake, "// the task graph\n");
        File.SetUnixFileMode(cake, (UnixFileMode)0b110_110_110);

        var r = ProcessRunner.Run("bash", ["build.sh", "--target=Plan"], ws.Root, timeout: TimeSpan.FromMinutes(2));

        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain("build.sh: another account owns or may write what this script builds and runs, so nothing was run:")
            .And.Contain("./build/build.cake (owner 0, -rw-rw-rw-)").And.Contain("fix: make them yours alone"));
        Assert.That(Directory.Exists(Path.Combine(ws.Root, "artifacts", "tools")), Is.False, "nothing built");

        // Battery 22: an ACL giving another account write (the mode reads 664, a group of the owner's own name), and
        // the library Cake loads from artifacts/tools.
        File.SetUnixFileMode(cake, (UnixFileMode)0b110_100_100);
        Acl.GiveWrite(cake, uid: 65534);
        r = ProcessRunner.Run("bash", ["build.sh", "--target=Plan"], ws.Root, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.StdErr, Does.Contain("./build/build.cake (owner 0, -rw-rwxr--)").And.Contain("setfacl -R -b"), r.StdOut + r.StdErr);
        File.Delete(cake);
        var library = Path.Combine(ws.Root, "artifacts", "tools", "flatnet", "Flatnet.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(library)!);
        File.WriteAllText(library, "MZ");
        File.SetUnixFileMode(library, (UnixFileMode)0b110_110_110);
        r = ProcessRunner.Run("bash", ["build.sh", "--target=Plan"], ws.Root, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.StdErr, Does.Contain("artifacts/tools/flatnet/Flatnet.dll (owner 0, -rw-rw-rw-)"), r.StdOut + r.StdErr);
        File.Delete(library);

        // Battery 23: a folder with a default ACL (its mode unchanged), and a file dotnet, MSBuild or NuGet looks for
        // above the checkout (a NuGet.Config in /tmp moved the packages folder into another account's).
        var folder = Directory.CreateDirectory(Path.Combine(ws.Root, "docs")).FullName;
        Acl.GiveWrite(folder, uid: 65534, "system.posix_acl_default");
        r = ProcessRunner.Run("bash", ["build.sh", "--target=Plan"], ws.Root, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.StdErr, Does.Contain("./docs (owner root, drwxr-xr-x+: an ACL)"), r.StdOut + r.StdErr);
        Directory.Delete(folder);
        var checkout = Directory.CreateDirectory(Path.Combine(ws.Root, "checkout")).FullName;
        File.Copy(Path.Combine(ws.Root, "build.sh"), Path.Combine(checkout, "build.sh"));
        File.WriteAllText(Path.Combine(ws.Root, "NuGet.Config"), "<configuration />\n");
        File.SetUnixFileMode(Path.Combine(ws.Root, "NuGet.Config"), (UnixFileMode)0b110_110_110);
        r = ProcessRunner.Run("bash", ["build.sh", "--target=Plan"], checkout, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.StdErr, Does.Contain($"{ws.Root}/NuGet.Config (owner 0: above the checkout, dotnet, MSBuild or NuGet reads it)")
            .And.Contain("fix: remove that file if it is not yours"), r.StdOut + r.StdErr);
        Assert.That(r.ExitCode, Is.EqualTo(1));
    }

    /// <summary>
    /// Cake's report module is built against the Cake.Core of the very Cake tool the repository pins (Cake loads its
    /// own and a module made for another would not load), and both bootstraps put it where Cake looks for modules.
    /// </summary>
    [Test]
    public void TheReportModuleIsBuiltForThePinnedCakeWhereCakeLooksForModules()
    {
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, ".config", "dotnet-tools.json")));
        var pinned = manifest.RootElement.GetProperty("tools").GetProperty("cake.tool").GetProperty("version").GetString();
        var project = File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, "src", "Cake.Flatnet.Module", "Cake.Flatnet.Module.csproj"));
        Assert.That(project, Does.Contain($"<CakeVersion>{pinned}</CakeVersion>"));
        foreach (var script in new[] { "build.sh", "build.ps1" })
            Assert.That(File.ReadAllText(Path.Combine(TestWorkspace.RepoRoot, script)), Does.Contain("-o build/tools/Modules/Cake.Flatnet.Module"), script);
    }
}
