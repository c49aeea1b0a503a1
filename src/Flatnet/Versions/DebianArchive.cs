using Flatnet.Files;
using System.Text.RegularExpressions;
using Flatnet.Output;
using Flatnet.Processes;

namespace Flatnet.Versions;

/// <summary>
/// Debian's archive through apt with a configuration of its own: its own sources list (the machine's Debian mirror,
/// with the suites that carry the releases flatnet tests: bookworm 1.6.1, trixie 1.9.3, sid 1.11.0) and its own state
/// and cache under tools/apt. The machine's apt sources, lists and dpkg database are never read from or written to.
/// Packages are only downloaded (`apt-get download`), never installed.
/// </summary>
public sealed partial class DebianArchive(string stateDirectory, IReporter log)
{
    /// <summary>How flatnet's own apt sources begin; a file there that does not is someone else's.</summary>
    private static readonly Regex SourcesShape = new(@"\A# flatnet's own apt sources, ", RegexOptions.CultureInvariant);

    /// <summary>Suites searched, oldest first: between them they hold every Nebula release flatnet is tested with.</summary>
    public static readonly IReadOnlyList<string> Suites = ["bookworm", "trixie", "sid"];

    private const string DefaultKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
    private const string MirrorVariable = "FLATNET_DEBIAN_MIRROR";

    /// <summary>Downloads PACKAGE at the archive version of Nebula release <paramref name="version"/> into a folder; returns the .deb.</summary>
    public string Download(string package, NebulaVersion version, string intoDirectory)
    {
        Update();
        var candidates = Madison(package);
        var match = candidates.FirstOrDefault(v => NebulaVersion.TryParse(UpstreamPart(v), out var u) && u == version);
        if (match is null)
            throw new FlatnetException($"Nebula {version} is not in Debian's {string.Join(", ", Suites)} (they have {(candidates.Count == 0 ? "none" : string.Join(", ", candidates))}).", fix: $"pick one of those, or put that release's nebula and nebula-cert in {Workspace.Relative(Path.Combine(Path.GetDirectoryName(stateDirectory)!, "nebula", version.ToString()))}");
        Apt("apt-get", ["download", $"{package}={match}"], intoDirectory, "apt-get download");
        return Directory.GetFiles(intoDirectory, $"{package}_*.deb").Single();
    }

    private void Update()
    {
        var lists = Path.Combine(stateDirectory, "state", "lists");
        if (Directory.Exists(lists) && Directory.GetFiles(lists, "*Packages*").Length > 0
            && Directory.GetLastWriteTimeUtc(lists) > DateTime.UtcNow.AddDays(-1)) return;
        WriteConfiguration();
        log.Info($"nebula: reading Debian's package lists ({string.Join(", ", Suites)}) into {Workspace.Relative(stateDirectory)}");
        Apt("apt-get", ["update"], stateDirectory, "apt-get update (flatnet's own configuration)");
        Directory.SetLastWriteTimeUtc(lists, DateTime.UtcNow);
    }

    private List<string> Madison(string package) =>
        Apt("apt-cache", ["madison", package], stateDirectory, "apt-cache madison").StdOut
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .Where(p => p.Length >= 2 && p[0] == package)
            .Select(p => p[1]).Distinct().ToList();

    /// <summary>"1.9.3+dfsg-6+b2" -> "1.9.3"; an epoch ("1:") is dropped.</summary>
    private static string UpstreamPart(string debianVersion)
    {
        var v = debianVersion.Contains(':') ? debianVersion[(debianVersion.IndexOf(':') + 1)..] : debianVersion;
        return v.Split('-')[0].Split('+')[0].Split('~')[0];
    }

    private ProcessResult Apt(string program, IEnumerable<string> arguments, string workingDirectory, string what)
    {
        Directory.CreateDirectory(workingDirectory);
        return ProcessRunner.Run(ProcessRunner.OfSystem(program), Options().Concat(arguments), workingDirectory, TimeSpan.FromMinutes(10)).EnsureSuccess(what);
    }

    /// <summary>Every apt path pointed into tools/apt, so nothing of the machine's apt is used or touched.</summary>
    private IEnumerable<string> Options()
    {
        var d = stateDirectory;
        var settings = new Dictionary<string, string>
        {
            ["Dir::Etc::SourceList"] = Path.Combine(d, "sources.list"),
            ["Dir::Etc::SourceParts"] = Path.Combine(d, "sources.list.d"),
            ["Dir::Etc::Preferences"] = Path.Combine(d, "preferences"),
            ["Dir::Etc::PreferencesParts"] = Path.Combine(d, "preferences.d"),
            ["Dir::State"] = Path.Combine(d, "state"),
            ["Dir::State::status"] = Path.Combine(d, "state", "status"),
            ["Dir::Cache"] = Path.Combine(d, "cache"),
            ["Debug::NoLocking"] = "1",
            // Only the package lists: no translations, no AppStream metadata.
            ["Acquire::Languages"] = "none",
            ["Acquire::IndexTargets::deb::DEP-11::DefaultEnabled"] = "false",
            ["Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled"] = "false",
            ["Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled"] = "false",
            ["Acquire::IndexTargets::deb::CNF::DefaultEnabled"] = "false",
            // Root's downloads into our folders: apt's _apt sandbox user may not be able to write there.
            ["APT::Sandbox::User"] = "root",
        };
        return settings.SelectMany(kv => new[] { "-o", $"{kv.Key}={kv.Value}" });
    }

    private void WriteConfiguration()
    {
        var (uri, keyring) = Mirror();
        var subs = new[] { "sources.list.d", "preferences.d", Path.Combine("state", "lists", "partial"), Path.Combine("cache", "archives", "partial") }
            .Select(sub => Path.Combine(stateDirectory, sub)).ToArray();
        var status = Path.Combine(stateDirectory, "state", "status");
        var sources = Path.Combine(stateDirectory, "sources.list");
        // flatnet and apt write here: never where a link leads (battery 30: a link at sources.list had it written there).
        SafeFiles.RequireNoLinkBelow(Path.GetDirectoryName(Path.GetFullPath(stateDirectory))!, [.. subs, status, sources]);
        foreach (var sub in subs) Directory.CreateDirectory(sub);
        if (!File.Exists(status)) SafeFiles.WriteAllText(status, "");
        SafeFiles.WriteAllText(sources, shape: SourcesShape, text:
            "# flatnet's own apt sources, for downloading Nebula releases only (see src/Flatnet/Versions/DebianArchive.cs).\n" +
            string.Concat(Suites.Select(s => $"deb [signed-by={keyring}] {uri} {s} main\n")));
    }

    /// <summary>
    /// The Debian mirror this machine already uses (its apt sources, read only), or $FLATNET_DEBIAN_MIRROR.
    /// </summary>
    private static (string Uri, string Keyring) Mirror()
    {
        var keyring = File.Exists(DefaultKeyring) ? DefaultKeyring
            : throw new FlatnetException($"{DefaultKeyring} is missing, so Debian's packages cannot be verified.", fix: $"apt-get install debian-archive-keyring");
        if (Environment.GetEnvironmentVariable(MirrorVariable) is { Length: > 0 } forced) return (forced.TrimEnd('/'), keyring);
        var texts = new List<string>();
        if (File.Exists("/etc/apt/sources.list")) texts.Add(File.ReadAllText("/etc/apt/sources.list"));
        if (Directory.Exists("/etc/apt/sources.list.d"))
            texts.AddRange(Directory.GetFiles("/etc/apt/sources.list.d").Where(f => f.EndsWith(".list") || f.EndsWith(".sources")).Select(File.ReadAllText));
        foreach (var text in texts)
        {
            // One-line form: deb [options] URI SUITE COMPONENTS; deb822 form: URIs: / Suites: stanzas.
            foreach (Match m in OneLine().Matches(text))
                if (IsDebianMain(m.Groups["uri"].Value, m.Groups["suite"].Value)) return (m.Groups["uri"].Value.TrimEnd('/'), keyring);
            foreach (var stanza in text.Split(["\n\n", "\r\n\r\n"], StringSplitOptions.RemoveEmptyEntries))
            {
                var uris = Field(stanza, "URIs");
                var suites = Field(stanza, "Suites");
                var types = Field(stanza, "Types");
                if (uris is null || suites is null || types?.Split(' ').Contains("deb") != true) continue;
                foreach (var uri in uris.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (suites.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(s => IsDebianMain(uri, s))) return (uri.TrimEnd('/'), keyring);
            }
        }
        throw new FlatnetException("no Debian mirror found in this machine's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d).", fix: $"set {MirrorVariable} to a Debian mirror's URI, or put the release's nebula and nebula-cert in tools/nebula/VERSION/ by hand");
    }

    /// <summary>A source for Debian's main archive: a release suite (not -security or -updates), from a URI ending in /debian.</summary>
    private static bool IsDebianMain(string uri, string suite) =>
        uri.TrimEnd('/').EndsWith("/debian", StringComparison.Ordinal) && !suite.Contains('-') && !suite.Contains('/');

    private static string? Field(string stanza, string name) =>
        stanza.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) is { } line
            ? line[(name.Length + 1)..].Trim() : null;

    [GeneratedRegex(@"^\s*deb\s+(\[[^\]]*\]\s+)?(?<uri>\S+)\s+(?<suite>\S+)", RegexOptions.Multiline)]
    private static partial Regex OneLine();
}
