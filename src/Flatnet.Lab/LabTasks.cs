using Flatnet.Provisioning;
using Flatnet.Tasks;

namespace Flatnet.Lab;

/// <summary>Lab: the local lab; every example host joins with the real AddHost chain over SSH (<see cref="LabRunner"/>).</summary>
[TaskName("Lab")]
[TaskDescription("Build the local lab (namespaces, real nebula + sshd), AddHost every example host, print the ping matrix, tear down (--keep leaves it up). --nebula=V[,V..] (hosts), --lighthouse-nebula=V, --ca-version=1|2, --managed-lighthouse (flatnet deploys the lighthouse over SSH, first), --windows=host-c[,host-b] (those hosts are Windows stand-ins: cmd.exe, PowerShell and wsl.exe as Windows runs them).")]
public sealed class LabTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["keep", "nebula", "lighthouse-nebula", "ca-version", "managed-lighthouse", "windows"];

    public override IReadOnlyDictionary<string, string> OptionHelp => new Dictionary<string, string>
    {
        ["keep"] = "leave the lab up (./build.sh --target=LabClean removes it)",
        ["lighthouse-nebula"] = "V: the lighthouse's Nebula release",
        ["ca-version"] = "1|2: the CA's certificate version",
        ["managed-lighthouse"] = "flatnet deploys the lighthouse over SSH, first",
        ["windows"] = "HOST[,HOST..]: these hosts are Windows stand-ins",
    };

    public override void Run(FlatnetContext context)
    {
        var a = context.Arguments;
        LabRunner.Run(context.Workspace, context.Log, a.Flag("keep"), installPackages: true,
            LabVersions.Parse(a.Value("nebula"), a.Value("lighthouse-nebula"), a.Value("ca-version")), a.Flag("managed-lighthouse"), a.List("windows"));
    }
}

/// <summary>LabClean: what a kept or interrupted lab left.</summary>
[TaskName("LabClean")]
[TaskDescription("Remove what this checkout's kept lab, and any interrupted lab, left: namespaces, processes and links (a lab that runs is left alone, and so is another checkout's kept lab unless --all).")]
public sealed class LabCleanTask : FlatnetTask
{
    public override bool Writes => false;

    public override IReadOnlyList<string> Options => ["all"];

    public override IReadOnlyDictionary<string, string> OptionHelp => new Dictionary<string, string>
    {
        ["all"] = "also every other checkout's kept lab on this machine",
    };

    public override void Run(FlatnetContext context) => LabNetwork.Clean(context.Log, kept: true,
        keptIn: context.Arguments.Flag("all") ? null : Path.Combine(context.Workspace.ArtifactsDirectory, "lab"));
}

/// <summary>Benchmark: the lab's figures side by side (<see cref="LabBenchmark"/>); never a test.</summary>
[TaskName("Benchmark")]
[TaskDescription("Lab figures side by side: throughput and latency (underlay, Nebula defaults, ours, WSL), AddHost, repair, Rollout, VerifyPing and Status at 3, 8 and 16 hosts, relays per Nebula release, RotateCa, 1,000-host packaging (cold, warm, one change), join to first ping (a bare PC, split by step). --part=data-path|rollout|verify|relays|rotation|packaging|join runs one.")]
public sealed class BenchmarkTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["part"];

    public override IReadOnlyDictionary<string, string> OptionHelp => new Dictionary<string, string>
    {
        ["part"] = "data-path|rollout|verify|relays|rotation|packaging|join: one part only",
    };

    public override void Run(FlatnetContext context) => LabBenchmark.Run(context.Workspace, context.Log, installPackages: true, context.Arguments.Value("part"));
}

/// <summary>Test: what the tests need on a fresh machine, then the tests themselves (what CI runs).</summary>
[TaskName("Test")]
[TaskDescription("Install what the tests need (Debian packages incl. chromium, as root; build.sh restored pwsh; the tested Nebula releases) and run them: dotnet test flatnet.sln -c Release.")]
public sealed class TestTask : FlatnetTask
{
    public override bool Writes => false;

    public override void Run(FlatnetContext context)
    {
        LabPrerequisites.Ensure(context.Log, install: true, browser: true);
        // The tested releases are fetched while the tests build: a test that needs one before it is there waits on the
        // releases' lock (tools/nebula/.lock), as a second run of flatnet would.
        var fetched = Task.Run(() => context.Releases.FetchAll(string.Join(",", Versions.NebulaVersion.Tested), context.Log));
        // Release: the configuration build.sh has just compiled the library in, so only the tests are compiled here.
        // The test run speaks for itself on this console, as it goes.
        using var run = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", ["test", "flatnet.sln", "-c", "Release"])
            { WorkingDirectory = context.Workspace.Root, UseShellExecute = false }) ?? throw new FlatnetException("could not start dotnet test");
        run.WaitForExit();
        fetched.GetAwaiter().GetResult(); // a failed fetch is said as itself, not only by the tests that needed it
        if (run.ExitCode != 0) throw new FlatnetException($"dotnet test flatnet.sln -c Release failed (exit {run.ExitCode})", fix: "the failing tests are listed above");
    }
}
