namespace Flatnet;

/// <summary>
/// Where flatnet reads and writes. Everything generated goes under artifacts/ (never committed);
/// per host: artifacts/hosts/NAME/{pki,render}/ and artifacts/bundles/NAME.zip.
/// </summary>
public sealed record Workspace(string Root, string InventoryDirectory, string ArtifactsDirectory)
{
    public static Workspace At(string root, string? inventory = null, string? artifacts = null)
    {
        var full = FullPath(root);
        var workspace = new Workspace(full, FullPath(inventory ?? "hosts", full), FullPath(artifacts ?? "artifacts", full));
        workspace.Validate();
        return workspace;
    }

    /// <summary>
    /// A folder's full path without a trailing "/", the one form flatnet compares and keys folders by (battery 38:
    /// --artifacts=art/ kept it, no path below matched "art//", and the sweep's journal recorded nothing).
    /// </summary>
    public static string FullPath(string path, string? basePath = null) =>
        Path.TrimEndingDirectorySeparator(basePath is null ? Path.GetFullPath(path) : Path.GetFullPath(path, basePath));

    /// <summary>
    /// The flags that name this workspace's folders when they are not the defaults (hosts/, artifacts/), as a printed
    /// command needs them to act on the same folders (battery 32: a fix printed without them would have revoked and
    /// deleted a host of the default inventory); "" for the defaults.
    /// </summary>
    public string FolderFlags =>
        (InventoryDirectory == Path.Combine(Root, "hosts") ? "" : $" --inventory={Word(Relative(InventoryDirectory))}") +
        (ArtifactsDirectory == Path.Combine(Root, "artifacts") ? "" : $" --artifacts={Word(Relative(ArtifactsDirectory))}");

    private static string Word(string path) =>
        System.Text.RegularExpressions.Regex.IsMatch(path, "^[A-Za-z0-9_./:-]+$") ? path : "'" + path.Replace("'", "'\"'\"'") + "'";

    /// <summary>Every build.sh (or build.ps1) command with a --target in <paramref name="line"/> given <see cref="FolderFlags"/>, so that it acts on these folders as printed.</summary>
    public string WithFolderFlags(string line) =>
        FolderFlags.Length == 0 ? line
            : System.Text.RegularExpressions.Regex.Replace(line, @"(\.[/\\]build\.(?:sh|ps1)\s+--target=(?>[A-Za-z]+))(?!\s+--inventory=|\s+--artifacts=)", m => m.Value + FolderFlags);

    /// <summary>
    /// The inventory and the artifacts are two separate folders, neither the repository itself: artifacts carry keys
    /// and get replaced, so they must not land where `git add -A` or the inventory's editor would pick them up.
    /// </summary>
    public void Validate()
    {
        static bool Within(string inner, string outer) =>
            inner == outer || inner.StartsWith(outer.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        var problems = new List<string>();
        if (Within(Root, ArtifactsDirectory)) problems.Add($"--artifacts: {ArtifactsDirectory} is the repository or holds it");
        if (Within(Root, InventoryDirectory)) problems.Add($"--inventory: {InventoryDirectory} is the repository or holds it");
        if (Within(InventoryDirectory, ArtifactsDirectory) || Within(ArtifactsDirectory, InventoryDirectory))
            problems.Add($"--artifacts ({ArtifactsDirectory}) and --inventory ({InventoryDirectory}) are the same folder or one holds the other");
        if (problems.Count > 0)
            throw new FlatnetException(string.Join("\n", problems), fix: "keep them apart, e.g. --inventory=hosts --artifacts=artifacts (the defaults)");
    }

    /// <summary>
    /// A path a person typed, with ~ as this account's home, as a shell would have said it: neither an answer to a
    /// question nor a flag's `=~/x` is expanded by one.
    /// </summary>
    public static string HomeExpanded(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[1..].TrimStart('/'))
            : path;

    /// <summary>A path as messages show it: relative to the current folder when it is below it, else absolute.</summary>
    public static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    public string TemplatesDirectory => Path.Combine(Root, "templates");

    /// <summary>tools/ under the root: tools flatnet looks for first, and the Nebula releases it keeps (tools/nebula/VERSION).</summary>
    public string ToolsDirectory
    {
        get => _tools ?? Path.Combine(Root, "tools");
        init => _tools = value;
    }

    private readonly string? _tools;
    public string HostDirectory(string host) => Path.Combine(ArtifactsDirectory, "hosts", host);
    public string PkiDirectory(string host) => Path.Combine(HostDirectory(host), "pki");
    public string RenderDirectory(string host) => Path.Combine(HostDirectory(host), "render");
    /// <summary>Where a public key made on the host is dropped for signing (keygen_on_host).</summary>
    public string IncomingPublicKey(string host) => Path.Combine(HostDirectory(host), "host.pub");
    public string BundleDirectory(string host) => Path.Combine(HostDirectory(host), "bundle");
    public string BundlePath(string host) => Path.Combine(ArtifactsDirectory, "bundles", host + ".zip");

    /// <summary>Where Release keeps flatnet-VERSION.zip, and Plan --diff finds the newest to compare with.</summary>
    public string ReleasesDirectory => Path.Combine(ArtifactsDirectory, "releases");
}
