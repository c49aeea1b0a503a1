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

        // Battery 23: a folder with a default ACL (its mode unchanged), and a file dotnet or MSBuild looks for above the
        // checkout (NuGet's configs there are not read at all: EveryRestoreReadsTheUsersOwnNuGetConfigAlone).
        var folder = Directory.CreateDirectory(Path.Combine(ws.Root, "docs")).FullName;
        Acl.GiveWrite(folder, uid: 65534, "system.posix_acl_default");
        r = ProcessRunner.Run("bash", ["build.sh", "--target=Plan"], ws.Root, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.StdErr, Does.Contain("./docs (owner root, drwxr-xr-x+: an ACL)"), r.StdOut + r.StdErr);
        Directory.Delete(folder);
        var checkout = Directory.CreateDirectory(Path.Combine(ws.Root, "checkout")).FullName;
        File.Copy(Path.Combine(ws.Root, "build.sh"), Path.Combine(checkout, "build.sh"));
        File.WriteAllText(Path.Combine(ws.Root, "Directory.Build.props"), "<Project />\n");
        File.SetUnixFileMode(Path.Combine(ws.Root, "Directory.Build.props"), (UnixFileMode)0b110_110_110);
        r = ProcessRunner.Run("bash", ["build.sh", "--target=Plan"], checkout, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.StdErr, Does.Contain($"{ws.Root}/Directory.Build.props (owner 0: above the checkout, dotnet or MSBuild looks for it)")
            .And.Contain("fix: remove that file if it is not yours"), r.StdOut + r.StdErr);
        Assert.That(r.ExitCode, Is.EqualTo(1));
    }

    /// <summary>
    /// Battery 24: NuGet merges every NuGet.Config above the checkout, and another account made one in /tmp while the
    /// publish ran, after build.sh's checks: its packages folder supplied the DLLs root then ran. Every dotnet call that
    /// restores (the tools, the publish, the module's build, and what the Cake run starts) reads the user's own NuGet
    /// config alone. A stand-in dotnet records what it was asked; that RestoreConfigFile keeps NuGet from reading the
    /// configs above is NuGet's own documented behaviour (--configfile), seen with the real one in the stop's note.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void EveryRestoreReadsTheUsersOwnNuGetConfigAlone()
    {
        using var ws = new TestWorkspace();
        var checkout = Directory.CreateDirectory(Path.Combine(ws.Root, "checkout")).FullName;
        File.Copy(Path.Combine(TestWorkspace.RepoRoot, "build.sh"), Path.Combine(checkout, "build.sh"));
        foreach (var (file, text) in new[] { ("src/Flatnet/A.cs", "class A {}\n"), ("src/Flatnet.Lab/B.cs", "class B {}\n"), ("src/Cake.Flatnet.Module/C.cs", "class C {}\n"),
                                            ("src/Directory.Build.props", "<Project />\n"), (".config/dotnet-tools.json", "{}\n"), ("build/build.cake", "// the graph\n") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(checkout, file))!);
            File.WriteAllText(Path.Combine(checkout, file), text);
        }
        var home = Directory.CreateDirectory(Path.Combine(ws.Root, "home", ".nuget", "NuGet")).Parent!.Parent!.FullName;
        var own = Path.Combine(home, ".nuget", "NuGet", "NuGet.Config");
        File.WriteAllText(own, "<configuration />\n");
        File.WriteAllText(Path.Combine(ws.Root, "NuGet.Config"), "<configuration><config><add key=\"globalPackagesFolder\" value=\"/tmp/theirs\" /></config></configuration>\n");
        var bin = Directory.CreateDirectory(Path.Combine(ws.Root, "bin")).FullName;
        var calls = Path.Combine(ws.Root, "calls");
        File.WriteAllText(Path.Combine(bin, "dotnet"), $$"""
            #!/bin/sh
            echo "$* | RestoreConfigFile=$RestoreConfigFile" >> '{{calls}}'
            prev=
            for a in "$@"; do
              if [ "$prev" = -o ]; then mkdir -p "$a"; touch "$a/Flatnet.dll" "$a/Cake.Flatnet.Module.dll"; fi
              prev=$a
            done
            """.Replace("            ", ""));
        File.SetUnixFileMode(Path.Combine(bin, "dotnet"), (UnixFileMode)0b111_101_101);

        var r = ProcessRunner.Run("env", [$"HOME={home}", $"PATH={bin}:{Environment.GetEnvironmentVariable("PATH")}", "bash", "build.sh", "--target=Plan"], checkout, timeout: TimeSpan.FromMinutes(2));

        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdOut + r.StdErr);
        var lines = File.ReadAllLines(calls);
        Assert.That(lines.Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool", "publish", "build", "cake" }), string.Join("\n", lines));
        Assert.That(lines, Has.All.EndsWith($"RestoreConfigFile={own}"), "every call, and what it starts, restores from the user's config");
        Assert.That(lines[0], Does.Contain($"--configfile {own}"), "the tools too");

        // Battery 23: dotnet from a folder another account may write (PATH put it first) is refused before it runs.
        File.Delete(calls);
        File.SetUnixFileMode(bin, (UnixFileMode)0b111_111_111);
        r = ProcessRunner.Run("env", [$"HOME={home}", $"PATH={bin}:{Environment.GetEnvironmentVariable("PATH")}", "bash", "build.sh", "--target=Plan"], checkout, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"{bin} (owner 0, drwxrwxrwx"), r.StdErr);
        Assert.That(File.Exists(calls), Is.False, "dotnet never ran");
        // ... and so is a file in it others may write (the SDK's own files run as much as dotnet does).
        File.SetUnixFileMode(bin, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(bin, "sdk.dll"), "MZ");
        File.SetUnixFileMode(Path.Combine(bin, "sdk.dll"), (UnixFileMode)0b110_110_110);
        r = ProcessRunner.Run("env", [$"HOME={home}", $"PATH={bin}:{Environment.GetEnvironmentVariable("PATH")}", "bash", "build.sh", "--target=Plan"], checkout, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.StdErr, Does.Contain($"{bin}/sdk.dll (owner 0, -rw-rw-rw-)"), r.StdOut + r.StdErr);
        Assert.That(File.Exists(calls), Is.False, "dotnet never ran");
        // ... and so is a folder above it that others may write (and is not sticky): they could rename the SDK away.
        File.Delete(Path.Combine(bin, "sdk.dll"));
        var shared = Directory.CreateDirectory(Path.Combine(ws.Root, "shared")).FullName;
        Directory.Move(bin, Path.Combine(shared, "bin"));
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        r = ProcessRunner.Run("env", [$"HOME={home}", $"PATH={shared}/bin:{Environment.GetEnvironmentVariable("PATH")}", "bash", "build.sh", "--target=Plan"], checkout, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.StdErr, Does.Contain($"{shared} (owner 0, drwxrwxrwx: the folder dotnet runs from)"), r.StdOut + r.StdErr);
        Assert.That(File.Exists(calls), Is.False, "dotnet never ran");
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
