using System.Text.RegularExpressions;
using Flatnet.Processes;

namespace Flatnet.Versions;

/// <summary>
/// A Nebula release number (1.6.1, 1.11.0). Versions are inputs: what a daemon can read and which flags a tool
/// takes follow from it, never from what the build machine happens to have.
/// </summary>
public readonly partial record struct NebulaVersion(int Major, int Minor, int Patch) : IComparable<NebulaVersion>
{
    /// <summary>1.10.0: reads v2 certificates, nebula-cert makes them by default and signs with -networks /
    /// -unsafe-networks, and firewall.default_local_cidr_any became false (CHANGELOG 1.10.0).</summary>
    public static readonly NebulaVersion First2Certificates = new(1, 10, 0);

    /// <summary>The releases flatnet is tested against: Debian bookworm, trixie and sid.</summary>
    public static readonly IReadOnlyList<NebulaVersion> Tested = [new(1, 6, 1), new(1, 9, 3), new(1, 11, 0)];

    public bool ReadsV2Certificates => this >= First2Certificates;

    /// <summary>The releases flatnet renders and checks configs for: 1.6.0 up to, not including, 1.12.0.</summary>
    public bool IsSupported => this >= new NebulaVersion(1, 6, 0) && this < new NebulaVersion(1, 12, 0);

    public const string SupportedRange = "1.6 to 1.11";

    /// <summary>The newest certificate version this release's daemon and nebula-cert read.</summary>
    public int NewestCertificateVersion => ReadsV2Certificates ? 2 : 1;

    public int CompareTo(NebulaVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(NebulaVersion a, NebulaVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(NebulaVersion a, NebulaVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(NebulaVersion a, NebulaVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(NebulaVersion a, NebulaVersion b) => a.CompareTo(b) >= 0;

    /// <summary>"1.11.0", "v1.9.3", or a tool's own "Version: 1.6.1" line; a Debian suffix (+dfsg-1) is ignored.</summary>
    public static bool TryParse(string? text, out NebulaVersion version)
    {
        var m = Pattern().Match(text ?? "");
        version = m.Success ? new NebulaVersion(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value)) : default;
        return m.Success;
    }

    /// <summary>A command-line list ("1.11.0,1.9.3"); <paramref name="flag"/> names the argument in the error.</summary>
    public static List<NebulaVersion> ParseList(string? text, string flag) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => TryParse(v, out var parsed) ? parsed
                : throw new UsageError($"'{v}' is not a Nebula version", $"e.g. {flag}=1.11.0, or a list: {flag}=1.11.0,1.9.3,1.6.1", flag))
            .ToList();

    public static NebulaVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FlatnetException($"'{text}' is not a Nebula version like 1.11.0",
            fix: $"write MAJOR.MINOR.PATCH, e.g. {string.Join(", ", Tested)}");

    /// <summary>`nebula -version` and `nebula-cert -version` both print "Version: X.Y.Z".</summary>
    public static NebulaVersion OfProgram(string executable, string what)
    {
        var output = ProcessRunner.Run(executable, ["-version"]).EnsureSuccess($"{what} -version").StdOut;
        return TryParse(output.Trim().Split('\n')[0], out var v) ? v
            : throw new FlatnetException($"{what} -version ({executable}) printed '{output.Trim()}', not a version.", fix: $"use an official Nebula build");
    }

    public override string ToString() => $"{Major}.{Minor}.{Patch}";

    [GeneratedRegex(@"^\s*(?:Version:\s*)?v?(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[-+~][0-9A-Za-z.+~-]*)?\s*\z")]
    private static partial Regex Pattern();
}
