using Flatnet.Processes;

namespace Flatnet.Tests;

/// <summary>
/// build.sh writes only into the repository's own files: a link committed where it writes (its library folder, a
/// file in it such as the stamp, Cake's cache in build/tools) is refused before anything is written, its target untouched.
/// </summary>
public class BuildScriptTests
{
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
    /// Battery 30: every folder build.sh and dotnet take code from is held to the owner rules, with every folder above
    /// it: a fresh clone (no artifacts/ yet) in a folder others may write, ~/.nuget and ~/.dotnet writable by others,
    /// artifacts/ at 1777 (others may make artifacts/tools in it), a tool cache entry that leaves the packages folder by
    /// "..", a link where the build record's folder goes. Each let another account's code run as root.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void EveryFolderBuildShTakesCodeFromIsTheUsersAllTheWayUp()
    {
        using var ws = new TestWorkspace();
        var (checkout, home, bin, calls) = FakeCheckout(ws);
        ProcessResult Plan(params string[] environment) => BuildSh(checkout, home, bin, environment, "--target=Plan");
        void Refused(ProcessResult r, string what)
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
            Assert.That(r.StdErr, Does.Contain(what), r.StdOut + r.StdErr);
            Assert.That(File.Exists(calls), Is.False, "dotnet never ran");
        }
        var parent = Path.GetDirectoryName(checkout)!;
        var before = File.GetUnixFileMode(parent);
        File.SetUnixFileMode(parent, (UnixFileMode)0b111_111_111);
        Refused(Plan(), $"{parent} (owner 0, drwxrwxrwx, a folder: the checkout)");
        Assert.That(Plan().StdErr, Does.Contain("chmod go-w FOLDER, not -R"), "the fix for a folder on the way");
        File.SetUnixFileMode(parent, before);
        foreach (var folder in new[] { Path.Combine(home, ".nuget"), Directory.CreateDirectory(Path.Combine(home, ".dotnet")).FullName })
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
            Refused(Plan(), $"{folder} (owner 0, drwxrwxrwx, a folder: ");
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        }
        var artifacts = Directory.CreateDirectory(Path.Combine(checkout, "artifacts")).FullName;
        File.SetUnixFileMode(artifacts, (UnixFileMode)0b1_111_111_111);
        Refused(Plan(), $"{artifacts} (owner 0, drwxrwxrwt, a folder: the folder that holds the library Cake loads)");
        File.SetUnixFileMode(artifacts, (UnixFileMode)0b111_101_101);

        var entry = Path.Combine(home, ".dotnet", "toolResolverCache", "1", "cake.tool");
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        File.WriteAllText(entry, $$"""[{"Version":"7.0.0","TargetFramework":"net10.0","RuntimeIdentifier":"any","Name":"dotnet-cake","Runner":"dotnet","PathToExecutable":"{{home}}/.nuget/packages/../../.dotnet/evil/Cake.dll"}]""");
        var r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"dotnet's tool cache runs {home}/.nuget/packages/../../.dotnet/evil/Cake.dll, outside your packages folder"));
        // Battery 31: JSON's spacing ('"PathToExecutable" :') and escapes hid an entry from the check; a cache file others may write was not looked at.
        File.WriteAllText(entry, "[{\"Name\":\"dotnet-cake\",\"PathToExecutable\" :\n  \"/tmp/theirs/Cake.dll\"}]");
        r = Plan();
        Assert.That(r.StdErr, Does.Contain("dotnet's tool cache runs /tmp/theirs/Cake.dll, outside your packages folder"), r.StdOut + r.StdErr);
        File.WriteAllText(entry, "[{\"Name\":\"dotnet-cake\",\"PathToExecut\\u0061ble\":\"/tmp/theirs/Cake.dll\"}]");
        r = Plan();
        Assert.That(r.StdErr, Does.Contain("dotnet's tool cache runs an entry written with escapes"), r.StdOut + r.StdErr);
        File.WriteAllText(entry, $$"""[{"PathToExecutable":"{{home}}/.nuget/packages/cake.tool/7.0.0/Cake.dll"}]""");
        File.SetUnixFileMode(entry, (UnixFileMode)0b110_110_110);
        File.Delete(calls);
        Refused(Plan(), $"{entry} (owner 0, -rw-rw-rw-)");
        Directory.Delete(Path.Combine(home, ".dotnet", "toolResolverCache"), recursive: true);
        // ~/.nuget sticky is still others' to make names in (NuGet's plugins folder, its config folder): refused as the folder itself.
        File.SetUnixFileMode(Path.Combine(home, ".nuget"), (UnixFileMode)0b1_111_111_111);
        Refused(Plan(), $"{home}/.nuget (owner 0, drwxrwxrwt, a folder: ");
        File.SetUnixFileMode(Path.Combine(home, ".nuget"), (UnixFileMode)0b111_101_101);
        File.Delete(calls);

        // A link where the build record's folder goes, in a shared cache folder: nothing made where it leads.
        var shared = Directory.CreateDirectory(Path.Combine(ws.Root, "shared-cache")).FullName;
        File.SetUnixFileMode(shared, (UnixFileMode)0b1_111_111_111);
        var elsewhere = Directory.CreateDirectory(Path.Combine(ws.Root, "elsewhere")).FullName;
        File.CreateSymbolicLink(Path.Combine(shared, "flatnet"), elsewhere);
        Refused(Plan($"XDG_CACHE_HOME={shared}"), $"{shared} (owner 0, drwxrwxrwt, a folder: the cache folder that holds build.sh's record");
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_101_101);
        Refused(Plan($"XDG_CACHE_HOME={shared}"), $"{shared}/flatnet, where build.sh records what it built, is a link or another account's, so nothing was run");
        Assert.That(Directory.GetFileSystemEntries(elsewhere), Is.Empty);

        // Run through a link to the checkout, it checks (and names) the checkout itself, and runs.
        var link = Path.Combine(ws.Root, "checkout-link");
        File.CreateSymbolicLink(link, checkout);
        r = ProcessRunner.Run("env", ["-u", "NUGET_PACKAGES", "-u", "RestoreConfigFile", "-u", "DOTNET_CLI_HOME", "-u", "XDG_CACHE_HOME", $"HOME={home}",
            $"PATH={bin}:{Environment.GetEnvironmentVariable("PATH")}", "bash", Path.Combine(link, "build.sh"), "--target=Plan"], ws.Root, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdOut + r.StdErr);
        Assert.That(File.ReadAllLines(calls).Last(), Does.Contain($"CAKE_PATHS_MODULES={checkout}/build/tools/Modules"));
    }

    /// <summary>
    /// build.sh in a <see cref="FakeCheckout"/>, as its owner runs it: their home, the stand-in dotnet first in PATH (from
    /// <paramref name="bin"/>), and none of the NuGet or cache settings a CI run of build.sh hands down to the tests.
    /// </summary>
    private static ProcessResult BuildSh(string checkout, string home, string bin, params string[] arguments) => BuildSh(checkout, home, bin, [], arguments);

    private static ProcessResult BuildSh(string checkout, string home, string bin, string[] environment, params string[] arguments) =>
        ProcessRunner.Run("env", ["-u", "NUGET_PACKAGES", "-u", "RestoreConfigFile", "-u", "DOTNET_CLI_HOME", "-u", "XDG_CACHE_HOME", $"HOME={home}",
            $"PATH={bin}:{Environment.GetEnvironmentVariable("PATH")}", .. environment, "bash", "build.sh", .. arguments], checkout, timeout: TimeSpan.FromMinutes(2));

    /// <summary>
    /// A checkout with what build.sh hashes and builds (empty sources), build.sh and build.ps1, a home with its own
    /// NuGet config, a NuGet.Config above the checkout naming another packages folder, and a stand-in `dotnet` in
    /// bin/ that records each call (with the restore settings it was given) in calls and makes what -o names.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static (string Checkout, string Home, string Bin, string Calls) FakeCheckout(TestWorkspace ws)
    {
        var checkout = Directory.CreateDirectory(Path.Combine(ws.Root, "checkout")).FullName;
        foreach (var script in new[] { "build.sh", "build.ps1" }) File.Copy(Path.Combine(TestWorkspace.RepoRoot, script), Path.Combine(checkout, script));
        foreach (var (file, text) in new[] { ("src/Flatnet/A.cs", "class A {}\n"), ("src/Flatnet.Lab/B.cs", "class B {}\n"), ("src/Cake.Flatnet.Module/C.cs", "class C {}\n"),
                                            ("src/Directory.Build.props", "<Project />\n"), (".config/dotnet-tools.json", "{}\n"), ("build/build.cake", "// the graph\n") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(checkout, file))!);
            File.WriteAllText(Path.Combine(checkout, file), text);
        }
        var home = Directory.CreateDirectory(Path.Combine(ws.Root, "home", ".nuget", "NuGet")).Parent!.Parent!.FullName;
        File.WriteAllText(Path.Combine(home, ".nuget", "NuGet", "NuGet.Config"), "<configuration />\n");
        File.WriteAllText(Path.Combine(ws.Root, "NuGet.Config"), "<configuration><config><add key=\"globalPackagesFolder\" value=\"/tmp/theirs\" /></config></configuration>\n");
        var bin = Directory.CreateDirectory(Path.Combine(ws.Root, "bin")).FullName;
        var calls = Path.Combine(ws.Root, "calls");
        File.WriteAllText(Path.Combine(bin, "dotnet"), $$"""
            #!/bin/sh
            echo "$* | CAKE_PATHS_CACHE=$CAKE_PATHS_CACHE CAKE_PATHS_MODULES=$CAKE_PATHS_MODULES FLATNET_JSON_TO=$FLATNET_JSON_TO NUGET_HTTP_CACHE_PATH=$NUGET_HTTP_CACHE_PATH NUGET_SCRATCH=$NUGET_SCRATCH RestoreConfigFile=$RestoreConfigFile NUGET_PACKAGES=$NUGET_PACKAGES" >> '{{calls}}'
            prev=
            for a in "$@"; do
              if [ "$prev" = -o ]; then mkdir -p "$a"; touch "$a/Flatnet.dll" "$a/Cake.Flatnet.Module.dll"; fi
              prev=$a
            done
            """.Replace("            ", ""));
        File.SetUnixFileMode(Path.Combine(bin, "dotnet"), (UnixFileMode)0b111_101_101);
        return (checkout, home, bin, calls);
    }

    /// <summary>
    /// Battery 26: a clone that committed a Flatnet.dll (git add -f) with a stamp matching the sources had that DLL run
    /// as root, unreviewed. Git may track no build output, and what a checkout new to this machine holds in its output
    /// folders (a download) is cleared and built here; an output changed since it was built here is built again.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void OnlyWhatThisMachineBuiltFromTheSourcesRuns()
    {
        using var ws = new TestWorkspace();
        var (checkout, home, bin, calls) = FakeCheckout(ws);
        ProcessResult Plan() => BuildSh(checkout, home, bin, "--target=Plan");
        var library = Path.Combine(checkout, "artifacts", "tools", "flatnet", "Flatnet.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(library)!);
        File.WriteAllText(library, "THEIRS");
        foreach (var project in new[] { "src/Flatnet", "tests/Flatnet.Tests" })
        {
            Directory.CreateDirectory(Path.Combine(checkout, project, "obj"));
            File.WriteAllText(Path.Combine(checkout, project, "obj", "Flatnet.dll"), "THEIRS");
        }

        // A download (no git): built here from scratch, what it brought cleared first.
        var r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdOut + r.StdErr);
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool", "publish", "build", "cake" }));
        Assert.That(File.ReadAllText(library), Is.Empty, "the stand-in's build, not the DLL the checkout came with");
        // Cake's compiled script lives beside the record, outside the checkout, whatever a cake.config says: a clone's
        // build/tools/cache would run as it came.
        Assert.That(File.ReadAllLines(calls).Single(l => l.StartsWith("cake ", StringComparison.Ordinal)),
            Does.Match($@"CAKE_PATHS_CACHE={System.Text.RegularExpressions.Regex.Escape(home)}/\.cache/flatnet/builds/[0-9a-f]{{32}}\.cake-cache CAKE_PATHS_MODULES={System.Text.RegularExpressions.Regex.Escape(checkout)}/build/tools/Modules "));
        Assert.That(new[] { "src/Flatnet", "tests/Flatnet.Tests" }.Where(p => File.Exists(Path.Combine(checkout, p, "obj", "Flatnet.dll"))), Is.Empty,
            "an obj/ it brought is no build of this machine's (the Test target builds the tests from theirs)");
        File.Delete(calls);
        Assert.That(Plan().ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool", "cake" }), "built here, and unchanged: not built again");

        // Battery 29: artifacts/ itself writable by others let another account swap artifacts/tools after the check,
        // before Cake loaded it; and the folders above the build record (Cake's compiled script) were never looked at.
        var artifacts = Path.Combine(checkout, "artifacts");
        File.SetUnixFileMode(artifacts, (UnixFileMode)0b111_111_111);
        File.Delete(calls);
        r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"{artifacts} (owner 0, drwxrwxrwx, a folder: the folder that holds the library Cake loads)"));
        Assert.That(File.Exists(calls), Is.False, "dotnet never ran");
        File.SetUnixFileMode(artifacts, (UnixFileMode)0b111_101_101);
        var cacheHome = Path.Combine(home, ".cache");
        File.SetUnixFileMode(cacheHome, (UnixFileMode)0b111_111_111);
        r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"{cacheHome}/flatnet (owner 0, ").Or.Contain($"{cacheHome} (owner 0, drwxrwxrwx, a folder: "));
        File.SetUnixFileMode(cacheHome, (UnixFileMode)0b111_101_101);

        // A new tree at the same path (a download unpacked where this checkout was): the record is no one's word for it,
        // whatever obj/ it brings (dated in the future, MSBuild took it as built: battery 27).
        File.Delete(Path.Combine(checkout, "build", "tools", ".built-here"));
        Directory.CreateDirectory(Path.Combine(checkout, "src", "Flatnet", "obj"));
        File.WriteAllText(Path.Combine(checkout, "src", "Flatnet", "obj", "Flatnet.dll"), "THEIRS");
        File.SetLastWriteTimeUtc(Path.Combine(checkout, "src", "Flatnet", "obj", "Flatnet.dll"), DateTime.UtcNow.AddYears(4));
        File.Delete(calls);
        Assert.That(Plan().ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool", "publish", "build", "cake" }));
        Assert.That(File.Exists(Path.Combine(checkout, "src", "Flatnet", "obj", "Flatnet.dll")), Is.False);
        // ... and a tools/ an archive came with stops it: flatnet runs its programs (nebula-cert on the CA's key). The
        // fix works as printed. (In a git checkout, git tracks nothing there: what is there is the owner's.)
        File.Delete(Path.Combine(checkout, "build", "tools", ".built-here"));
        Directory.CreateDirectory(Path.Combine(checkout, "tools"));
        File.WriteAllText(Path.Combine(checkout, "tools", "nebula-cert"), "#!/bin/sh\n");
        File.Delete(calls);
        r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain("build.sh: tools/ came with this checkout, which this machine has not built yet").And.Contain("fix: mv tools tools.came-with-checkout, then run this again"));
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Has.None.EqualTo("cake"));
        ProcessRunner.Run("mv", ["tools", "tools.came-with-checkout"], checkout).EnsureSuccess("the printed fix");
        Assert.That(Plan().ExitCode, Is.EqualTo(0));
        Directory.Move(Path.Combine(checkout, "tools.came-with-checkout"), Path.Combine(checkout, "tools")); // looked at, and moved back
        Assert.That(Plan().ExitCode, Is.EqualTo(0), "a tree built here keeps what its owner puts in tools/");

        // Battery 28: an archive unpacked over this built tree (its token kept) brought an obj/ dated in the future,
        // which MSBuild took as built: bin/ and obj/ changed since this machine built them are cleared, and built again.
        Directory.CreateDirectory(Path.Combine(checkout, "src", "Flatnet", "obj"));
        File.WriteAllText(Path.Combine(checkout, "src", "Flatnet", "obj", "Flatnet.dll"), "THEIRS");
        File.Delete(calls);
        r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain("build.sh: the projects' bin/ or obj/ changed since this machine built them"));
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool", "publish", "build", "cake" }));
        Assert.That(File.Exists(Path.Combine(checkout, "src", "Flatnet", "obj", "Flatnet.dll")), Is.False);
        // ... and a change to the checkout's own build settings is a new build (it was silently not applied).
        File.WriteAllText(Path.Combine(checkout, "Directory.Build.targets"), "<Project />\n");
        File.Delete(calls);
        Assert.That(Plan().ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool", "publish", "build", "cake" }));

        // Swapped in place after the build: built again.
        File.WriteAllText(library, "THEIRS");
        File.Delete(calls);
        Assert.That(Plan().ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool", "publish", "build", "cake" }));
        Assert.That(File.ReadAllText(library), Is.Empty);

        // Tracked by git (git add -f past .gitignore): refused before anything runs.
        void Git(params string[] args) => ProcessRunner.Run("git", ["-c", "user.email=t@example.org", "-c", "user.name=t", .. args], checkout).EnsureSuccess("git " + args[0]);
        Git("init", "-q");
        File.WriteAllText(library, "THEIRS");
        Git("add", "-f", "artifacts/tools/flatnet/Flatnet.dll");
        Git("commit", "-q", "-m", "bump");
        File.Delete(calls);
        r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain("build.sh: git tracks build outputs or binary files, so nothing was run").And.Contain("  artifacts/tools/flatnet/Flatnet.dll"));
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Has.None.EqualTo("cake"), "Cake never ran");
        // Battery 27: root in a checkout another account owns, where git says "dubious ownership": that was taken for
        // "nothing tracked". It is asked all the same, and when git cannot say at all, nothing runs.
        if (Environment.UserName == "root")
        {
            ProcessRunner.Run("chown", ["-R", "65534", checkout]).EnsureSuccess("chown");
            Assert.That(Plan().StdErr, Does.Contain("build.sh: git tracks build outputs or binary files, so nothing was run"));
            ProcessRunner.Run("chown", ["-R", "0", checkout]).EnsureSuccess("chown back");
        }
        var head = File.ReadAllText(Path.Combine(checkout, ".git", "HEAD"));
        File.WriteAllText(Path.Combine(checkout, ".git", "HEAD"), "garbage\n");
        r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("build.sh: git cannot say which files this checkout tracks, so nothing was run"));
        File.WriteAllText(Path.Combine(checkout, ".git", "HEAD"), head);
        // ... and so is a binary anywhere (battery 28: a committed vendor/nebula-cert named as cert_tool; a zip named as
        // the Windows release).
        Git("rm", "-q", "--cached", "artifacts/tools/flatnet/Flatnet.dll");
        Directory.CreateDirectory(Path.Combine(checkout, "vendor"));
        File.WriteAllBytes(Path.Combine(checkout, "vendor", "nebula-cert"), [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0]);
        Git("add", "vendor/nebula-cert");
        Git("commit", "-q", "-m", "vendor");
        r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain("  vendor/nebula-cert"));
        Git("rm", "-q", "--cached", "vendor/nebula-cert");
        Git("commit", "-q", "-m", "unvendor");
        File.WriteAllText(library, "THEIRS");
        Git("add", "-f", "artifacts/tools/flatnet/Flatnet.dll");
        Git("commit", "-q", "-m", "again");
        // ... and so is a program in tools/ (a nebula-cert that runs on the CA's key).
        Git("rm", "-q", "--cached", "artifacts/tools/flatnet/Flatnet.dll");
        var cert = Path.Combine(checkout, "tools", "nebula", "1.11.0", "nebula-cert");
        Directory.CreateDirectory(Path.GetDirectoryName(cert)!);
        File.WriteAllText(cert, "#!/bin/sh\n");
        Git("add", "-f", "tools/nebula/1.11.0/nebula-cert");
        Git("commit", "-q", "-m", "tools");
        r = Plan();
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain("  tools/nebula/1.11.0/nebula-cert"));
        // The fix works as printed, whichever outputs git tracks.
        var fix = System.Text.RegularExpressions.Regex.Match(r.StdErr, "build.sh: fix: (.*), then run this again").Groups[1].Value;
        ProcessRunner.Run("bash", ["-c", $"git -c user.email=t@example.org -c user.name=t {fix["git ".Length..].Replace("&& git commit", "&& git -c user.email=t@example.org -c user.name=t commit")}"], checkout).EnsureSuccess("the printed fix");
        Assert.That(Plan().ExitCode, Is.EqualTo(0), "after the fix");
        // A git checkout new to this machine with a tools/ git does not track: the owner's (README's Windows setup puts
        // Nebula there before the first run).
        File.Delete(Path.Combine(checkout, "build", "tools", ".built-here"));
        Assert.That(File.Exists(Path.Combine(checkout, "tools", "nebula", "1.11.0", "nebula-cert")), Is.True);
        Assert.That(Plan().ExitCode, Is.EqualTo(0));
    }

    /// <summary>
    /// Battery 25: build.ps1 under pwsh on Linux published another account's DLL into a root run, made the library
    /// world-writable under umask 000 and ran a build.cake others could write: it had none of build.sh's checks. There
    /// it runs build.sh, with PowerShell's list rejoined (`--hosts=a,b`, PowerShell/PowerShell #5301) and --help as the
    /// target's own, and leaves the caller in its folder.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void BuildPs1OnLinuxRunsBuildShWithItsChecks()
    {
        using var ws = new TestWorkspace();
        var (checkout, home, bin, calls) = FakeCheckout(ws);
        var ps1 = PowerShell.Quote(Path.Combine(checkout, "build.ps1"));
        // What the run under test inherits from a CI run of build.sh (its NuGet settings) is not this test's.
        string Run() => $"$env:HOME = {PowerShell.Quote(home)}; $env:PATH = {PowerShell.Quote(bin)} + ':' + $env:PATH\n" +
                        "Remove-Item Env:NUGET_PACKAGES, Env:RestoreConfigFile, Env:DOTNET_CLI_HOME -ErrorAction SilentlyContinue\n" +
                         $"Set-Location -LiteralPath {PowerShell.Quote(ws.Root)}\n";

        var run = PowerShell.Command(Run() + $"& {ps1} --target=Rollout --hosts=host-a,host-b --dryrun\n& {ps1} --target=Plan --help\n'cwd=' + (Get-Location).Path");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.StdOut + run.StdErr);
        var cake = File.ReadAllLines(calls).Where(l => l.StartsWith("cake ", StringComparison.Ordinal)).Select(l => l.Split(" | ")[0]).ToList();
        Assert.That(cake, Is.EqualTo(new[] { "cake build/build.cake --target=Rollout --hosts=host-a,host-b --dryrun", "cake build/build.cake --target=Help --topic=Plan" }));
        Assert.That(run.StdOut, Does.Contain("cwd=" + ws.Root));

        File.SetUnixFileMode(Path.Combine(checkout, "build", "build.cake"), (UnixFileMode)0b110_110_110);
        File.Delete(calls);
        run = PowerShell.Command(Run() + $"& {ps1} --target=Plan; exit $LASTEXITCODE");
        Assert.That(run.ExitCode, Is.EqualTo(1), run.StdOut + run.StdErr);
        Assert.That(run.StdErr + run.StdOut, Does.Contain("./build/build.cake (owner 0, -rw-rw-rw-)"), "build.sh's check, through build.ps1");
        Assert.That(File.Exists(calls), Is.False, "nothing ran");
    }

    /// <summary>
    /// Battery 24: NuGet merges every NuGet.Config above the checkout, and another account made one in /tmp while the
    /// publish ran, after build.sh's checks: its packages folder supplied the DLLs root then ran. Every dotnet call that
    /// restores (the tools, the publish, the module's build, and what the Cake run starts) reads the user's own NuGet
    /// config alone. A stand-in dotnet records what it was asked; that RestoreConfigFile keeps NuGet from reading the
    /// configs above is NuGet's own documented behaviour (--configfile), seen with the real one in the stop's note.
    /// </summary>
    /// <summary>
    /// The two files of the user's that build.sh believes: their NuGet config (what every restore reads) may be
    /// written by them alone, and the folder where build.sh records what it built may be read by them alone.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void TheUsersNuGetConfigAndBuildRecordMustBeTheirsAlone()
    {
        using var ws = new TestWorkspace();
        var (checkout, home, bin, calls) = FakeCheckout(ws);
        var config = Path.Combine(home, ".nuget", "NuGet", "NuGet.Config");
        File.SetUnixFileMode(config, (UnixFileMode)0b110_110_110);
        var r = BuildSh(checkout, home, bin, "--target=Plan");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"your NuGet config {config} is missing, a link, another account's or writable by others, so nothing was restored"));
        Assert.That(File.Exists(calls), Is.False, "dotnet never ran");

        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
        var builds = Path.Combine(home, ".cache", "flatnet", "builds");
        Directory.CreateDirectory(builds);
        File.SetUnixFileMode(builds, (UnixFileMode)0b111_101_101);
        r = BuildSh(checkout, home, bin, "--target=Plan");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"{builds}, where build.sh records what it built, is a link, another account's or open to others, so nothing was run"));
        Assert.That(File.Exists(calls), Is.False, "dotnet never ran");
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void EveryRestoreReadsTheUsersOwnNuGetConfigAlone()
    {
        using var ws = new TestWorkspace();
        var (checkout, home, bin, calls) = FakeCheckout(ws);
        var own = Path.Combine(home, ".nuget", "NuGet", "NuGet.Config");

        var r = BuildSh(checkout, home, bin, "--target=Plan");

        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdOut + r.StdErr);
        var lines = File.ReadAllLines(calls);
        Assert.That(lines.Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool", "publish", "build", "cake" }), string.Join("\n", lines));
        Assert.That(lines, Has.All.EndsWith($"RestoreConfigFile={own} NUGET_PACKAGES={home}/.nuget/packages"),
            "every call, and what it starts, restores from the user's config into the user's packages folder");
        Assert.That(lines[0], Does.Contain($"--configfile {own}"), "the tools too");
        // Battery 33: a package planted in NuGet's download cache (~/.local/share/NuGet/http-cache) ran as root.
        Assert.That(lines, Has.All.Contains($"NUGET_HTTP_CACHE_PATH={home}/.cache/flatnet/builds/nuget-http-cache "), "downloads are kept in build.sh's own folder");
        // Battery 35: another account's link in NuGet's scratch ($TMPDIR/NuGetScratch$USER) had root's NuGet make a file where it led.
        Assert.That(lines, Has.All.Contains($"NUGET_SCRATCH={home}/.cache/flatnet/builds/nuget-scratch "), "and its scratch");
        Assert.That(lines[^1], Does.Contain("FLATNET_JSON_TO= "), "no --json, no document file");

        // Battery 25: --json=1 is --json to the library (anything but false), and was not to build.sh, whose stdout then
        // carried Cake's lines; and a FLATNET_JSON_TO the environment brought was used as it was.
        // Battery 26: `--json false` (the value in the next word, as Cake reads it) is false too.
        foreach (var (flags, json) in new[] { (new[] { "--json=1" }, true), (new[] { "--JSON=yes" }, true), (new[] { "--json=false" }, false), (new[] { "--json", "false" }, false) })
        {
            File.Delete(calls);
            r = BuildSh(checkout, home, bin, ["FLATNET_JSON_TO=/tmp/theirs.json"], ["--target=Plan", .. flags]);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.StdOut + r.StdErr);
            var cake = File.ReadAllLines(calls).Single(l => l.StartsWith("cake ", StringComparison.Ordinal));
            Assert.That(cake, json ? Does.Contain($"FLATNET_JSON_TO={checkout}/build/tools/.json.") : Does.Contain("FLATNET_JSON_TO= "), string.Join(" ", flags));
        }

        // Battery 26: a link that leads nowhere (an editor's lock file) was "another account's", with a chown that fails on it.
        Directory.CreateDirectory(Path.Combine(checkout, "hosts"));
        File.CreateSymbolicLink(Path.Combine(checkout, "hosts", ".#host-a.yaml"), "user@pc.123:456");
        r = BuildSh(checkout, home, bin, "--target=Plan");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain("./hosts/.#host-a.yaml (a link that leads nowhere, to user@pc.123:456)").And.Contain("fix: remove each link that leads nowhere (rm PATH")
            .And.Not.Contain("chown"));
        File.Delete(Path.Combine(checkout, "hosts", ".#host-a.yaml"));

        // Battery 25: `dotnet tool restore` took globalPackagesFolder from the config above whatever --configfile said,
        // and dotnet's tool cache kept pointing every later run at that folder. A cache entry outside the packages
        // folder is refused before Cake runs.
        File.Delete(calls);
        var cache = Directory.CreateDirectory(Path.Combine(home, ".dotnet", "toolResolverCache", "1")).FullName;
        File.WriteAllText(Path.Combine(cache, "cake.tool"), "[{\"Version\":\"7.0.0\",\"Name\":\"dotnet-cake\",\"Runner\":\"dotnet\",\"PathToExecutable\":\"/tmp/theirs/cake.tool/7.0.0/tools/net10.0/any/Cake.dll\"}]");
        r = BuildSh(checkout, home, bin, "--target=Plan");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain("dotnet's tool cache runs /tmp/theirs/cake.tool/7.0.0/tools/net10.0/any/Cake.dll, outside your packages folder")
            .And.Contain($"fix: rm -rf \"{home}/.dotnet/toolResolverCache\""));
        Assert.That(File.ReadAllLines(calls).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "tool" }), "Cake never ran");
        Directory.Delete(Path.Combine(home, ".dotnet"), recursive: true);

        // Battery 23: dotnet from a folder another account may write (PATH put it first) is refused before it runs.
        File.Delete(calls);
        File.SetUnixFileMode(bin, (UnixFileMode)0b111_111_111);
        r = BuildSh(checkout, home, bin, "--target=Plan");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"{bin} (owner 0, drwxrwxrwx"), r.StdErr);
        Assert.That(File.Exists(calls), Is.False, "dotnet never ran");
        // ... and so is a file in it others may write (the SDK's own files run as much as dotnet does).
        File.SetUnixFileMode(bin, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(bin, "sdk.dll"), "MZ");
        File.SetUnixFileMode(Path.Combine(bin, "sdk.dll"), (UnixFileMode)0b110_110_110);
        r = BuildSh(checkout, home, bin, "--target=Plan");
        Assert.That(r.StdErr, Does.Contain($"{bin}/sdk.dll (owner 0, -rw-rw-rw-)"), r.StdOut + r.StdErr);
        Assert.That(File.Exists(calls), Is.False, "dotnet never ran");
        // ... and so is a folder above it that others may write (and is not sticky): they could rename the SDK away.
        File.Delete(Path.Combine(bin, "sdk.dll"));
        var shared = Directory.CreateDirectory(Path.Combine(ws.Root, "shared")).FullName;
        Directory.Move(bin, Path.Combine(shared, "bin"));
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        r = BuildSh(checkout, home, $"{shared}/bin", "--target=Plan");
        Assert.That(r.StdErr, Does.Contain($"{shared} (owner 0, drwxrwxrwx, a folder: the folder dotnet runs from)"), r.StdOut + r.StdErr);
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
    /// <summary>
    /// Battery 32: a props file in the account's MSBuild folder (~/.local/share/Microsoft/MSBuild/.../ImportBefore),
    /// which another account could write, ran inside build.sh's publish as root. No build of this checkout imports
    /// from there (Directory.Build.rsp turns every such import off); checked with the real MSBuild.
    /// </summary>
    [Test]
    public void NoBuildOfTheCheckoutImportsTheAccountsMSBuildFolder()
    {
        using var ws = new TestWorkspace();
        var imports = Directory.CreateDirectory(Path.Combine(ws.Root, "data", "Microsoft", "MSBuild", "Current", "Imports", "Microsoft.Common.props", "ImportBefore")).FullName;
        File.WriteAllText(Path.Combine(imports, "theirs.props"), "<Project><PropertyGroup><Theirs>ran</Theirs></PropertyGroup></Project>\n");
        var r = ProcessRunner.Run("env", [$"XDG_DATA_HOME={Path.Combine(ws.Root, "data")}", "dotnet", "msbuild", "src/Flatnet/Flatnet.csproj", "-getProperty:Theirs", "-getProperty:MSBuildUserExtensionsPath"],
            TestWorkspace.RepoRoot, timeout: TimeSpan.FromMinutes(2));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdOut + r.StdErr);
        Assert.That(r.StdOut, Does.Contain(Path.Combine(ws.Root, "data")), "MSBuild looks in the folder the test made");
        Assert.That(r.StdOut, Does.Contain("\"Theirs\": \"\""), "and imports nothing from it");
    }
}
