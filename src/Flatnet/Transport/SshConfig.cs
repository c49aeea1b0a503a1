using System.Text.RegularExpressions;
using Flatnet.Inventory;

namespace Flatnet.Transport;

/// <summary>
/// How a host is reached over SSH, as ssh itself would: the inventory's deploy fields first, then the user's
/// ~/.ssh/config (Host blocks matching the host's address or its flatnet name: HostName, User, Port, IdentityFile,
/// UserKnownHostsFile; the first value found wins, as in ssh_config(5)), then ssh's defaults (every default key
/// type; ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts).
/// </summary>
public sealed record SshTarget(string Address, int Port, string User, IReadOnlyList<string> Identities, IReadOnlyList<string> KnownHosts)
{
    /// <summary>The private keys ssh tries when none is named (ssh(1), -i), in its order.</summary>
    public static readonly IReadOnlyList<string> DefaultIdentities = ["id_ed25519", "id_ecdsa", "id_rsa"];

    /// <summary>The system-wide known_hosts: Win32-OpenSSH keeps it under %ProgramData%\ssh; on Windows, /etc/... would be a folder on the current drive anyone may create.</summary>
    private static string SystemKnownHosts => OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "ssh", "ssh_known_hosts")
        : "/etc/ssh/ssh_known_hosts";

    public static SshTarget For(HostEntry host, string home)
    {
        var d = host.Deploy;
        var config = SshConfig.Read(Path.Combine(home, ".ssh", "config"), home).For(d.Address!, host.Name);
        var identities = d.Identity is { } named ? [Expand(named, home)]
            : config.GetValueOrDefault("identityfile") is { Count: > 0 } files ? files.Select(f => Expand(f, home)).ToList()
            : DefaultIdentities.Select(f => Path.Combine(home, ".ssh", f)).ToList();
        var knownHosts = (config.GetValueOrDefault("userknownhostsfile")?.SelectMany(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(f => Expand(f, home))
                          ?? [Path.Combine(home, ".ssh", "known_hosts"), Path.Combine(home, ".ssh", "known_hosts2")])
            .Append(SystemKnownHosts).ToList();
        var port = d.PortGiven ? d.Port : config.GetValueOrDefault("port")?[0] is { } p && int.TryParse(p, out var n) && n is > 0 and < 65536 ? n : d.Port;
        return new SshTarget(
            config.GetValueOrDefault("hostname")?[0] ?? d.Address!,
            port,
            d.User ?? config.GetValueOrDefault("user")?[0] ?? Environment.UserName,
            identities, knownHosts);
    }

    private static string Expand(string path, string home) =>
        path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path;
}

/// <summary>The Host blocks of an ssh_config file, as ssh reads them (keywords case-insensitive, `Key value` or `Key=value`).</summary>
public sealed partial class SshConfig
{
    private readonly List<(string[] Patterns, List<(string Key, string Value)> Options)> _blocks = [];

    public static SshConfig Read(string file, string home)
    {
        var config = new SshConfig();
        if (!File.Exists(file)) return config;
        // Options before the first Host line apply to every host, as a `Host *` block would.
        var current = (Patterns: new[] { "*" }, Options: new List<(string, string)>());
        config._blocks.Add(current);
        foreach (var raw in File.ReadLines(file))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var m = Option().Match(line);
            if (!m.Success) continue;
            var key = m.Groups[1].Value.ToLowerInvariant();
            var value = m.Groups[2].Value.Trim().Trim('"');
            if (key == "host")
            {
                current = (value.Split(' ', StringSplitOptions.RemoveEmptyEntries), new List<(string, string)>());
                config._blocks.Add(current);
            }
            else if (key == "match")
                current = (Patterns: [], Options: new List<(string, string)>()); // Match blocks are not read: their options apply to no host here
            else
                current.Options.Add((key, value));
        }
        return config;
    }

    /// <summary>The options for a host, first value wins per keyword (IdentityFile and UserKnownHostsFile collect every value).</summary>
    public Dictionary<string, List<string>> For(params string[] names)
    {
        var found = new Dictionary<string, List<string>>();
        foreach (var (patterns, options) in _blocks.Where(b => Matches(b.Patterns, names)))
            foreach (var (key, value) in options)
            {
                if (!found.TryGetValue(key, out var values)) found[key] = values = [];
                if (values.Count == 0 || key is "identityfile") values.Add(value);
            }
        return found;
    }

    private static bool Matches(string[] patterns, string[] names) => names.Any(n => SshPatterns.Match(patterns, n)) && !names.Any(n => SshPatterns.Excludes(patterns, n));

    [GeneratedRegex(@"^(\w+)\s*(?:=\s*|\s+)(.*)\z")]
    private static partial Regex Option();
}

/// <summary>ssh's PATTERNS (ssh_config(5)), for Host lines and known_hosts names: * and ? wildcards; a leading ! negates.</summary>
public static class SshPatterns
{
    /// <summary>Some pattern matches the name and no negated one does.</summary>
    public static bool Match(IEnumerable<string> patterns, string name)
    {
        var list = patterns.ToList();
        return !Excludes(list, name) && list.Any(p => !p.StartsWith('!') && Glob(p, name));
    }

    /// <summary>A negated pattern (!pattern) matches the name.</summary>
    public static bool Excludes(IEnumerable<string> patterns, string name) => patterns.Any(p => p.StartsWith('!') && Glob(p[1..], name));

    private static bool Glob(string pattern, string name) =>
        Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + @"\z", RegexOptions.IgnoreCase);
}
