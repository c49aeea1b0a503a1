using System.Text.RegularExpressions;
using Flatnet.Lab;
using YamlDotNet.RepresentationModel;

namespace Flatnet.Tests;

/// <summary>
/// The sample pipelines in docs/ci/ parse, name only arguments their targets read, and their steps pass in order on
/// a repository that keeps hosts/ in git: the pull-request job with and without the CA, then the release job. Each
/// `./build.sh` line runs its target's chain through the library as the Cake graph would; shell lines run in bash.
/// Rollout is checked, never run: it connects to the hosts, and the example's addresses are no lab's.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class SamplePipelineTests
{
    private static readonly IReadOnlyList<FlatnetTask> Registered = [.. TaskRuns.Registered];
    private static string Ci(string file) => Path.Combine(TestWorkspace.RepoRoot, "docs", "ci", file);

    private static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Ci(file))));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    /// <summary>The GitHub job's steps: (condition, command) for each `run:`.</summary>
    private static IEnumerable<(string? If, string Run)> Steps(YamlMappingNode workflow, string job) =>
        ((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)workflow["jobs"])[job])["steps"]).Children.Cast<YamlMappingNode>()
            .Where(s => s.Children.ContainsKey("run"))
            .Select(s => (s.Children.TryGetValue("if", out var c) ? c.ToString() : null, s["run"].ToString()));

    private static IEnumerable<string> Scripts(YamlMappingNode pipeline, string job) =>
        ((YamlSequenceNode)((YamlMappingNode)pipeline[job])["script"]).Children.Select(c => c.ToString());

    /// <summary>A clone of a repository whose main branch holds the example inventory, with a pull request's change on top.</summary>
    private sealed class Repository : IDisposable
    {
        public TestWorkspace Ws { get; } = new();
        public string Summary => Path.Combine(Ws.Root, "summary.md");
        public string Kept => Path.Combine(Ws.Root, "runner-artifacts");
        public Dictionary<string, string> Env { get; } = [];

        public Repository()
        {
            TestWorkspace.CopyDirectory(Path.Combine(TestWorkspace.RepoRoot, "docs", "ci"), Path.Combine(Ws.Root, "docs", "ci"));
            File.SetUnixFileMode(Path.Combine(Ws.Root, "docs", "ci", "write-ca.sh"), File.GetUnixFileMode(Ci("write-ca.sh")));
            Git("init", "-q", "-b", "main");
            Git("add", "hosts", "templates");
            Git("commit", "-q", "-m", "the fleet");
            Git("remote", "add", "origin", Ws.Root);
            Git("fetch", "-q", "origin");
            Ws.Edit("host-b.yaml", "groups:", "groups: [flatnet, gateway, build]");
            File.WriteAllText(Summary, "");
        }

        public void Git(params string[] args) =>
            ProcessRunner.Run("git", ["-C", Ws.Root, "-c", "user.name=ci", "-c", "user.email=ci@example.invalid", .. args]).EnsureSuccess("git " + args[0]);

        /// <summary>The CI's expressions and variables, as the runner would fill them in.</summary>
        public string Expand(string line) => line
            .Replace("${{ github.base_ref }}", "main").Replace("$CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")
            .Replace("${{ github.run_number }}", "7").Replace("$CI_PIPELINE_IID", "7")
            .Replace("${{ vars.FLATNET_ARTIFACTS }}", Kept).Replace("$FLATNET_ARTIFACTS", Kept);

        public void Dispose() => Ws.Dispose();
    }

    /// <summary>
    /// One step: `./build.sh ...` through the library (its document appended where the line sends stdout), anything
    /// else in bash. Installing the distribution's nebula is the machine's part: .ci/run installs the same package here.
    /// </summary>
    private static void Run(Repository repo, string line, bool connects = false)
    {
        line = repo.Expand(line);
        if (Regex.IsMatch(line, @"^(sudo )?apt-get update -qq && (sudo )?apt-get install -y -qq nebula$"))
        {
            Assert.That(global::Flatnet.Lab.LabPrerequisites.Which("nebula-cert"), Is.Not.Null, "the machine has the distribution's nebula, as the step installs it");
            return;
        }
        var build = Regex.Match(line, @"^\./build\.sh((?: --[a-z-]+(?:=\S+)?)+)(?: (>>|>) ""?(\$GITHUB_STEP_SUMMARY|\S+)""?)?$");
        if (!build.Success)
        {
            var bash = ProcessRunner.Run("env", [.. repo.Env.Select(kv => $"{kv.Key}={kv.Value}"), $"GITHUB_STEP_SUMMARY={repo.Summary}", "bash", "-euo", "pipefail", "-c", line], repo.Ws.Root);
            Assert.That(bash.ExitCode, Is.Zero, $"{line}\n{bash.StdOut}{bash.StdErr}");
            return;
        }
        var args = Regex.Matches(build.Groups[1].Value, @"--([a-z-]+)(?:=(\S+))?").Select(m => (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : "true")).ToList();
        var target = args.Single(a => a.Item1 == "target").Item2;
        CommandLine.Check(target, args.Select(a => a.Item1), Registered, ["Help"]);
        if (connects) return;
        var document = build.Groups[3].Success ? Path.Combine(repo.Ws.Root, "document.out") : null;
        var artifacts = args.Where(a => a.Item1 == "artifacts").Select(a => a.Item2).SingleOrDefault();
        var context = new FlatnetContext(Workspace.At(repo.Ws.Root, null, artifacts) with { ToolsDirectory = TestWorkspace.ToolsDirectory }, repo.Ws.Log)
            { Arguments = TaskArguments.Of([.. args]), JsonTo = document };
        var control = new ControlPlane(context);
        foreach (var task in TaskRuns.Chain(target)) control.Run(task);
        if (document is not null)
        {
            var to = build.Groups[3].Value == "$GITHUB_STEP_SUMMARY" ? repo.Summary : Path.Combine(repo.Ws.Root, build.Groups[3].Value);
            File.AppendAllText(to, File.ReadAllText(document));
        }
    }

    private static bool Holds(string? condition, Repository repo) => condition switch
    {
        null => true,
        "always()" => true,
        _ => throw new AssertionException($"the test does not know the condition '{condition}'"),
    };

    /// <summary>Stage 1's CA, as the CI's secret store holds it.</summary>
    private static void CaInSecrets(Repository repo)
    {
        var dir = Directory.CreateDirectory(Path.Combine(repo.Ws.Root, "secret-store")).FullName;
        ProcessRunner.Run(TestWorkspace.Nebula("1.9.3", "nebula-cert"), ["ca", "-name", "stage1", "-out-crt", Path.Combine(dir, "ca.crt"), "-out-key", Path.Combine(dir, "ca.key")]).EnsureSuccess("nebula-cert ca");
        repo.Env["FLATNET_CA_CRT"] = File.ReadAllText(Path.Combine(dir, "ca.crt")).Trim();
        repo.Env["FLATNET_CA_KEY"] = File.ReadAllText(Path.Combine(dir, "ca.key")).Trim();
    }

    /// <summary>A job's own text, as written in the file (its env, its steps).</summary>
    private static string JobText(string file, string job)
    {
        var text = File.ReadAllText(Ci(file));
        var head = Regex.Match(text, $@"(?m)^( *){job}:\n");
        Assert.That(head.Success, $"{file} has a job {job}");
        var indent = head.Groups[1].Value;
        var next = Regex.Match(text[(head.Index + head.Length)..], $@"(?m)^{indent}[a-z#]");
        return next.Success ? text.Substring(head.Index, head.Length + next.Index) : text[head.Index..];
    }

    /// <summary>
    /// A pull request's job never has the CA key: a pull request from a branch of the same repository runs its own
    /// build.sh, which could read it (GitHub's job had FLATNET_CA_KEY in its environment). What needs the key waits for the merge.
    /// </summary>
    [Test]
    public void TheGitHubPullRequestJobSaysWhatTheChangeDoesWithoutTheCaKey()
    {
        Assert.That(JobText("github-actions.yml", "plan"), Does.Not.Contain("secrets.").And.Not.Contain("FLATNET_CA").And.Not.Contain("write-ca"));
        using var repo = new Repository();
        repo.Ws.Edit("network.yaml", "create_if_missing:", "  create_if_missing: false");
        var workflow = Load("github-actions.yml");
        foreach (var (condition, run) in Steps(workflow, "plan").Where(s => Holds(s.If, repo))) Run(repo, run);

        var summary = File.ReadAllText(repo.Summary);
        Assert.That(summary, Does.Contain("| host-b | changed | certificate: groups flatnet,gateway -> flatnet,gateway,build (re-signed) |"));
        Assert.That(summary, Does.Contain("A rollout touches **host-b**; 2 other host(s) unchanged."));
        Assert.That(summary, Does.Contain("after the merge - signing, PackageAll and its nebula -test run on main"), "the job says what it left for the merge");
        Assert.That(Directory.GetDirectories(Path.Combine(repo.Ws.Root, "artifacts", "render")).Select(Path.GetFileName), Is.EquivalentTo(new[] { "host-a", "host-b", "host-c" }));
        Assert.That(Path.Combine(repo.Ws.Root, "pki", "ca.key"), Does.Not.Exist, "no CA key reached the job");
    }

    /// <summary>
    /// On main the release is made on the build machine without --include-keys (hosts make their keys: nothing to
    /// carry), and the CA key it wrote leaves the runner's kept workspace at the job's end.
    /// </summary>
    [Test]
    public void OnMainTheReleaseIsMadeOnTheBuildMachineAndTheCaKeyLeavesItsWorkspace()
    {
        using var repo = new Repository();
        repo.Ws.Edit("network.yaml", "create_if_missing:", "  create_if_missing: false");
        foreach (var host in new[] { "host-a.yaml", "host-b.yaml", "host-c.yaml" }) repo.Ws.Edit(host, "keygen_on_host:", "  keygen_on_host: true");
        CaInSecrets(repo);
        var workflow = Load("github-actions.yml");
        foreach (var (condition, run) in Steps(workflow, "release").Where(s => Holds(s.If, repo))) Run(repo, run);

        Assert.That(File.Exists(Path.Combine(repo.Kept, "releases", "flatnet-1.0.7.zip")), Is.True, "kept in the build machine's artifacts folder");
        Assert.That(repo.Ws.Log.Lines, Has.Some.Contains("host-a: pending: its key is made on it at its first AddHost").And.Some.Contains("not in it yet: host-a, host-b, host-c"));
        Assert.That(File.Exists(Path.Combine(repo.Ws.Root, "pki", "ca.key")), Is.False, "the CA key left the runner's workspace");
        Assert.That(File.Exists(Path.Combine(repo.Ws.Root, "pki", "ca.crt")), Is.True);
        foreach (var (_, run) in Steps(workflow, "rollout")) Run(repo, run, connects: !run.StartsWith("docs/", StringComparison.Ordinal));
        Assert.That(File.Exists(Path.Combine(repo.Ws.Root, "pki", "ca.key")), Is.False);
    }

    /// <summary>The weekly job renews what is due; on a fleet just signed nothing is, and it connects to no host to say so.</summary>
    [Test]
    public void TheScheduledJobRenewsWhatIsDueAndSaysWhenNothingIs()
    {
        Assert.That(File.ReadAllText(Ci("github-actions.yml")), Does.Contain("schedule:").And.Contain("--target=RenewCerts --within=30"));
        Assert.That(JobText("gitlab-ci.yml", "renew"), Does.Contain("$CI_PIPELINE_SOURCE == \"schedule\"").And.Contain("--target=RenewCerts --within=30"));
        using var repo = new Repository();
        repo.Ws.Edit("network.yaml", "create_if_missing:", "  create_if_missing: false");
        CaInSecrets(repo);
        var workflow = Load("github-actions.yml");
        Run(repo, "docs/ci/write-ca.sh");
        Run(repo, "./build.sh --target=PackageAll"); // every host signed just now
        repo.Ws.Log.Lines.Clear();
        foreach (var (condition, run) in Steps(workflow, "renew").Where(s => Holds(s.If, repo))) Run(repo, run);
        Assert.That(repo.Ws.Log.Lines, Has.Some.StartWith("RenewCerts: nothing to renew: no host certificate has fewer than 30 days left"));
        Assert.That(File.Exists(Path.Combine(repo.Ws.Root, "pki", "ca.key")), Is.False);
    }

    /// <summary>GitLab's File variables hold a path, not the PEM (a multi-line value cannot be masked): write-ca.sh takes either.</summary>
    [Test]
    public void TheCaFromAFileVariableIsWrittenOwnerOnly()
    {
        using var repo = new Repository();
        CaInSecrets(repo);
        var dir = Path.Combine(repo.Ws.Root, "secret-store");
        repo.Env["FLATNET_CA_CRT"] = Path.Combine(dir, "ca.crt");
        repo.Env["FLATNET_CA_KEY"] = Path.Combine(dir, "ca.key");
        Run(repo, "docs/ci/write-ca.sh");
        Assert.That(File.ReadAllText(Path.Combine(repo.Ws.Root, "pki", "ca.key")), Is.EqualTo(File.ReadAllText(Path.Combine(dir, "ca.key"))));
        Assert.That(File.GetUnixFileMode(Path.Combine(repo.Ws.Root, "pki", "ca.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void TheGitLabPipelineRunsTheSameSteps()
    {
        Assert.That(JobText("gitlab-ci.yml", "plan"), Does.Not.Contain("FLATNET_CA").And.Not.Contain("write-ca"));
        Assert.That(JobText("gitlab-ci.yml", "rollout"), Does.Contain("optional: true"), "release is skipped by its changes rule; the rollout still runs");
        using var repo = new Repository();
        var pipeline = Load("gitlab-ci.yml");
        foreach (var line in Scripts(pipeline, "plan")) Run(repo, line);
        Assert.That(File.ReadAllText(Path.Combine(repo.Ws.Root, "plan-diff.md")), Does.Contain("| host-b | changed |").And.Contain("after the merge"));
        foreach (var job in new[] { "release", "rollout" })
            foreach (var line in Scripts(pipeline, job).Where(l => l.StartsWith("./build.sh", StringComparison.Ordinal)))
                Run(repo, line, connects: true); // their arguments are what the targets read; the release job's run is the GitHub test's
    }
}
