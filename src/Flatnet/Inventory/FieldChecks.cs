using Flatnet.Versions;

namespace Flatnet.Inventory;

/// <summary>Checks every inventory file shares: groups, OS names, versions, required values.</summary>
internal static class FieldChecks
{
    internal static void CheckGroups(string file, string field, IReadOnlyList<string> groups, InventoryProblems problems)
    {
        if (groups.Count == 0)
            problems.Add(file, field, "is empty, so no firewall rule that names a group admits this host",
                "list at least one group, e.g. groups: [flatnet, gateway]");
        foreach (var g in groups) problems.Check(file, field, Grammar.Word(g, "group name", "flatnet"));
    }

    internal static T Refused<T>(T placeholder, Action record)
    {
        record();
        return placeholder;
    }

    internal static NebulaVersion? Version(string? value, string file, string field, InventoryProblems problems)
    {
        if (value is null) return null;
        if (NebulaVersion.TryParse(value, out var v))
        {
            if (!v.IsSupported)
                problems.Warn(file, field, $"{v} is outside the releases flatnet supports ({NebulaVersion.SupportedRange})",
                    $"check the version (nebula -version prints it); flatnet renders and checks configs for {NebulaVersion.SupportedRange}");
            return v;
        }
        problems.Add(file, field, $"'{Grammar.Shown(value)}' is not a Nebula version",
            "write the release as MAJOR.MINOR.PATCH, e.g. 1.11.0 (nebula -version prints it)");
        return null;
    }

    internal static string Required(string? value, string file, string field, string fix, InventoryProblems problems)
    {
        if (!string.IsNullOrWhiteSpace(value)) return value.Trim();
        problems.Add(file, field, "is required", fix);
        return "";
    }

    /// <summary>The OS a file names (windows or linux), or the default; anything else is a problem.</summary>
    internal static HostOs Os(string? value, HostOs fallback, string file, string field, InventoryProblems problems) =>
        (value ?? fallback.ToString()).ToLowerInvariant() switch
        {
            "windows" => HostOs.Windows,
            "linux" => HostOs.Linux,
            _ => Refused(fallback, () => problems.Add(file, field, $"'{Grammar.Shown(value ?? "")}' is not supported",
                fallback == HostOs.Windows ? "use windows or linux" : "use linux or windows")),
        };
}
