// No namespace: NUnit runs a set-up fixture outside any namespace once, before every fixture of the assembly.

/// <summary>
/// Where the tests keep their scratch, and how the programs they start run: the suite is CPU-bound on two cores, and
/// two costs were the machine's, not flatnet's (measured with perf over a whole run).
/// <list type="bullet">
/// <item>Every workspace, lab and key pair is a folder of the temporary folder, made and deleted thousands of times: on
/// ext4 (/tmp here) each new file made the kernel step over the inodes deleted in the last minute (~6% of the run's CPU).
/// When TMPDIR is not set and /dev/shm is a tmpfs anyone may write to, as /tmp (mode 1777) and not noexec, TMPDIR is
/// /dev/shm for this process and every process it starts.</item>
/// <item>pwsh (the Pester runs, the Windows stand-in) and the one-run test host start hundreds of .NET processes that live
/// about a second: DOTNET_TieredPGO=0 spares them the JIT's profiling of methods they never run long enough to gain from
/// (~13% of a pwsh's CPU). It changes how code is compiled, never what it does.</item>
/// </list>
/// </summary>
[NUnit.Framework.SetUpFixture]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TestScratch
{
    public const string InMemory = "/dev/shm";

    [NUnit.Framework.OneTimeSetUp]
    public void ChooseTheScratchAndTheJit()
    {
        Environment.SetEnvironmentVariable("DOTNET_TieredPGO", "0");
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TMPDIR")) && IsSharedTmpfs(InMemory))
            Environment.SetEnvironmentVariable("TMPDIR", InMemory);
    }

    /// <summary>A tmpfs mount point that is as /tmp is: anyone's to write, sticky, and programs may run from it.</summary>
    private static bool IsSharedTmpfs(string path)
    {
        if (!Directory.Exists(path) || File.GetUnixFileMode(path) != (UnixFileMode)0b1_111_111_111) return false;
        var mount = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')).LastOrDefault(f => f.Length > 3 && f[1] == path);
        return mount is not null && mount[2] == "tmpfs" && !mount[3].Split(',').Contains("noexec");
    }
}
