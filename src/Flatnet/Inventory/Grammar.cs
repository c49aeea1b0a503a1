using System.Text.RegularExpressions;

namespace Flatnet.Inventory;

/// <summary>
/// The grammar each free-text inventory value really has. A value that does not fit is refused at load, so no
/// inventory value can carry a newline, a quote or a shell or PowerShell metacharacter into a config or script.
/// Each check returns null when the value fits, else the problem and its fix.
/// </summary>
public static partial class Grammar
{
    public sealed record Refusal(string Problem, string Fix);

    /// <summary>A network, group, user or distro name: letters, digits and . _ - (no spaces, quotes or separators).</summary>
    public static Refusal? Word(string value, string what, string example) =>
        WordPattern().IsMatch(value) ? null
            : new($"'{Shown(value)}' is not a usable {what}", $"use letters, digits, '.', '_' or '-' (up to 64, starting with a letter or digit), e.g. {example}");

    /// <summary>A Windows user as deploy.user takes it: NAME or DOMAIN\NAME.</summary>
    public static Refusal? User(string value) =>
        UserPattern().IsMatch(value) ? null
            : new($"'{Shown(value)}' is not a user name", @"use NAME or DOMAIN\NAME with letters, digits, '.', '_' or '-'");

    /// <summary>A DNS name or IPv4 address (deploy.address, an endpoint's host).</summary>
    /// <remarks>Digits and dots are an IPv4 address, all four parts of it: "192.168.77" would be read as 192.168.0.77.</remarks>
    public static Refusal? Address(string value) =>
        HostPattern().IsMatch(value) && value.Length <= 253
        && (value.Any(c => c is not (>= '0' and <= '9') and not '.') || value.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is > 0 and <= 3 && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255))
            ? null
            : new($"'{Shown(value)}' is not a host name or IPv4 address", "write it like 192.168.1.13 (four numbers) or host-c.lan");

    public static Refusal? Port(int value, string example = "22") =>
        value is >= 1 and <= 65535 ? null : new($"{value} is not a port", $"use 1 to 65535, e.g. {example}");

    /// <summary>A Nebula firewall port: any, N, or N-M (examples/config.yml).</summary>
    public static Refusal? FirewallPort(string value)
    {
        var m = FirewallPortPattern().Match(value);
        if (value == "any") return null;
        if (m.Success && int.TryParse(m.Groups[1].Value, out var a) && a is >= 1 and <= 65535
            && (!m.Groups[2].Success || int.TryParse(m.Groups[2].Value, out var b) && b is >= 1 and <= 65535 && b >= a)) return null;
        return new($"'{Shown(value)}' is not a port for Nebula's firewall", "use any, a port (443) or a range (8000-8080), each from 1 to 65535");
    }

    /// <summary>Nebula's firewall host: any, or a certificate name.</summary>
    public static Refusal? FirewallHost(string value) =>
        value == "any" || WordPattern().IsMatch(value) ? null
            : new($"'{Shown(value)}' is not 'any' or a certificate name", "use host: any, or the name of one host's certificate (e.g. host-a)");

    public static Refusal? Cidr(string value) =>
        Ipv4Network.TryParse(value, out _, out var error) ? null : new(error, "write it like 10.101.0.0/16");

    /// <summary>A Go duration as nebula-cert -duration takes it: 8760h, 90m, 1h30m.</summary>
    public static Refusal? Duration(string value) =>
        DurationPattern().IsMatch(value) ? null
            : new($"'{Shown(value)}' is not a duration nebula-cert understands", "write hours (and minutes, seconds) like 8760h for a year, or 2160h for 90 days");

    /// <summary>An absolute Linux path of plain characters (it is written into shell scripts and configs).</summary>
    public static Refusal? LinuxPath(string value) =>
        LinuxPathPattern().IsMatch(value) && !value.Split('/').Contains("..") ? null
            : new($"'{Shown(value)}' is not a plain absolute path", "use an absolute path of letters, digits, '.', '_', '-' and '/', e.g. /opt/flatnet");

    /// <summary>
    /// An absolute Windows path of plain ASCII characters (Windows PowerShell 5.1 reads scripts as ANSI), or a plain
    /// absolute /path for PowerShell on a host that is not Windows (the lab's stand-in).
    /// </summary>
    public static Refusal? WindowsPath(string value) =>
        (WindowsPathPattern().IsMatch(value) || LinuxPathPattern().IsMatch(value)) && !value.Split('\\', '/').Contains("..") ? null
            : new($"'{Shown(value)}' is not a plain absolute Windows path", @"use a drive and folders of ASCII letters, digits, spaces, '.', '_' and '-', e.g. F:\flatnet");

    /// <summary>
    /// A host's install root, in its OS's path grammar, and a folder of flatnet's own: never the file system's root or
    /// a system folder, which its scripts would fill with run/, logs/ and config/ (and its uninstall empty).
    /// </summary>
    public static Refusal? Root(HostOs os, string value) => os == HostOs.Windows ? WindowsRoot(value) : LinuxRoot(value);

    public static Refusal? LinuxRoot(string value) => LinuxPath(value) ?? NotOwnFolder(value, "/opt/flatnet");

    public static Refusal? WindowsRoot(string value) => WindowsPath(value) ?? NotOwnFolder(value, @"F:\flatnet");

    private static Refusal? NotOwnFolder(string value, string example)
    {
        var folder = value.Replace('\\', '/').TrimEnd('/').ToLowerInvariant();
        if (folder.Length == 0 || folder is [_, ':'])
            return new($"'{Shown(value)}' is a whole file system, not a folder of flatnet's own", $"use a folder of its own, e.g. {example}");
        if (folder.Split('/').Skip(1).Any(part => part is "" or "."))
            return new($"'{Shown(value)}' has an empty or '.' folder in it", $"write the folder plainly, e.g. {example}");
        return SystemFolders.Contains(folder) ? new($"'{Shown(value)}' is a system folder, not a folder of flatnet's own", $"use a folder of its own, e.g. {example}") : null;
    }

    /// <summary>Folders a host's install root may never be (lower case, '/' for '\\').</summary>
    private static readonly HashSet<string> SystemFolders =
    [
        "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/media", "/mnt", "/opt", "/proc", "/root",
        "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/sbin", "/usr/share",
        "/var", "/var/lib", "/var/log", "/var/run", "/var/tmp",
        "c:/windows", "c:/program files", "c:/program files (x86)", "c:/programdata", "c:/users",
    ];

    /// <summary>A host's (or lighthouse's) name: a DNS label in lower case, as certificates and file names carry it.</summary>
    public static Refusal? HostName(string value) =>
        HostNamePattern().IsMatch(value) ? null
            : new($"'{Shown(value)}' is not a valid host name", "use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. host-c)");

    /// <summary>A suffix for the mesh's names (names.suffix): DNS labels as host names are, joined by dots (office.lan).</summary>
    public static Refusal? DnsSuffix(string value) =>
        value.Length <= 180 && value.Split('.').All(label => HostNamePattern().IsMatch(label)) ? null
            : new($"'{Shown(value)}' is not a name suffix", "use lower-case DNS labels joined by dots (e.g. office.lan), or leave it out for bare names (host-c)");

    /// <summary>
    /// An OpenSSH public key line (`ssh-TYPE BASE64 [comment]`, as ssh-keygen writes a .pub) as its type and blob,
    /// without the comment; null when the line is not one.
    /// </summary>
    public static (string Type, string Blob)? SshPublicKey(string line)
    {
        var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && parts[0].StartsWith("ssh-", StringComparison.Ordinal) && parts[1].Length > 0
               && parts[1].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=') ? (parts[0], parts[1]) : null;
    }

    /// <summary>A pinned SSH host key fingerprint as ssh-keygen -l prints it.</summary>
    public static Refusal? HostKey(string value) =>
        HostKeyPattern().IsMatch(value) ? null
            : new($"'{Shown(value)}' is not an SSH host key fingerprint", "copy it as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it: SHA256:...");

    /// <summary>The command prefix that runs a command inside a Linux host's WSL (the lab's `ip netns exec ...`).</summary>
    public static Refusal? CommandPrefix(string value) =>
        CommandPrefixPattern().IsMatch(value) ? null
            : new($"'{Shown(value)}' is not a plain command prefix", "use words of letters, digits and . _ - / = : separated by spaces (no quotes, ;, &, |, $ or newlines)");

    /// <summary>How a refused value is shown: control characters visible, long values cut, so the message stays one line.</summary>
    public static string Shown(string value)
    {
        var visible = string.Concat(value.Select(c => char.IsControl(c) || c is '\u2028' or '\u2029' ? $"\\u{(int)c:x4}" : c.ToString()));
        return visible.Length > 60 ? visible[..57] + "..." : visible;
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    private static partial Regex WordPattern();

    /// <summary>A user name as the inventory takes it (NAME or DOMAIN\NAME); join.ps1 checks the accounts it reports with it too.</summary>
    public const string UserRegex = @"^([A-Za-z0-9][A-Za-z0-9._-]{0,62}\\)?[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z";

    [GeneratedRegex(UserRegex)]
    private static partial Regex UserPattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z")]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"^(\d{1,5})(?:-(\d{1,5}))?\z")]
    private static partial Regex FirewallPortPattern();

    [GeneratedRegex(@"^(\d{1,6}(h|m|s|ms))+\z")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^/[A-Za-z0-9._/-]{0,200}\z")]
    private static partial Regex LinuxPathPattern();

    [GeneratedRegex(@"^[A-Za-z]:[\\/][A-Za-z0-9 ._\\/-]{0,200}\z")]
    private static partial Regex WindowsPathPattern();

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\z")]
    private static partial Regex HostNamePattern();

    [GeneratedRegex(@"^SHA256:[A-Za-z0-9+/]{43}=?\z")]
    private static partial Regex HostKeyPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._/=:-]+( [A-Za-z0-9._/=:-]+){0,15}\z")]
    private static partial Regex CommandPrefixPattern();
}
