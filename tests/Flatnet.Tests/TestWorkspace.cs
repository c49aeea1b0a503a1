namespace Flatnet.Tests;

/// <summary>A throw-away copy of the repository's example inventory and templates, deleted after the test.</summary>
public sealed class TestWorkspace : IDisposable
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public string Root { get; } = Directory.CreateTempSubdirectory("flatnet-test-").FullName;
    public Workspace Workspace { get; }
    public RecordingReporter Log { get; } = new();

    public TestWorkspace()
    {
        CopyDirectory(Path.Combine(RepoRoot, "hosts"), Path.Combine(Root, "hosts"));
        CopyDirectory(Path.Combine(RepoRoot, "templates"), Path.Combine(Root, "templates"));
        // The tests' workspaces, like the lab, make their CA on first use (the example refuses to: MissingCaTests).
        Edit("network.yaml", "create_if_missing:", "  create_if_missing: true");
        // ... and their Windows hosts have Nebula installed by hand unless a test ships a release (FakeWindowsRelease).
        Edit("network.yaml", "# installed_by_hand:", "    installed_by_hand: true");
        // Nebula releases are fetched once into the repository's tools/ and shared by every test.
        Workspace = Workspace.At(Root) with { ToolsDirectory = ToolsDirectory };
    }

    /// <summary>The repository's tools/: tools/nebula/VERSION holds the Nebula releases the tests run (fetched on first use).</summary>
    public static string ToolsDirectory => Path.Combine(RepoRoot, "tools");

    /// <summary>A Nebula release's binary ("nebula" or "nebula-cert"), fetched from Debian's archive on first use.</summary>
    public static string Nebula(string version, string program = "nebula") =>
        new global::Flatnet.Versions.NebulaReleases(ToolsDirectory).Require(global::Flatnet.Versions.NebulaVersion.Parse(version), program, new RecordingReporter());

    public ControlPlane ControlPlane() => new(Workspace, Log);

    /// <summary>The platforms over the repository's templates: a host's model as its OS shapes it, and the scripts sent to it.</summary>
    public static global::Flatnet.Platforms.HostPlatforms Platforms { get; } =
        new(new global::Flatnet.Rendering.TemplateRenderer(Path.Combine(RepoRoot, "templates")));

    public string HostsFile(string name) => Path.Combine(Root, "hosts", name);

    public void Write(string name, string yaml) => File.WriteAllText(HostsFile(name), yaml);

    /// <summary>Replaces one line that starts with <paramref name="prefix"/> in a hosts/ file.</summary>
    public void Edit(string name, string prefix, string replacement)
    {
        var lines = File.ReadAllLines(HostsFile(name));
        var i = Array.FindIndex(lines, l => l.TrimStart().StartsWith(prefix, StringComparison.Ordinal));
        if (i < 0) throw new InvalidOperationException($"no line starting with '{prefix}' in {name}");
        lines[i] = replacement;
        File.WriteAllLines(HostsFile(name), lines);
    }

    /// <summary>Every file below the workspace except the inputs the test started with, and a writing run's lock (and the marker of the folder it took).</summary>
    public IReadOnlyList<string> WrittenFiles() =>
        Directory.GetFiles(Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f))
            .Where(f => !f.StartsWith("hosts", StringComparison.Ordinal) && !f.StartsWith("templates", StringComparison.Ordinal))
            .Where(f => !Path.GetFileName(f).StartsWith(RunLock.FileName, StringComparison.Ordinal) && Path.GetFileName(f) != SafeFiles.OwnedMarker)
            .ToList();

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "flatnet.sln"))) return dir.FullName;
        throw new InvalidOperationException("flatnet.sln not found above " + AppContext.BaseDirectory);
    }
}
