
namespace Flatnet.Verification;

/// <summary>One check of the doctor: ok, warn or FAIL, what it saw, and (for a FAIL) what to do.</summary>
public sealed record DoctorFinding(string Status, string Check, string Detail, string Fix)
{
    public bool Failed => Status == "FAIL";
}

/// <summary>The doctor's findings as its scripts print them.</summary>
public static class DoctorFindings
{
    /// <summary>How the findings flatnet writes (artifacts/verify/doctor-HOST.json) begin: a file there that does not is someone else's.</summary>
    public static readonly System.Text.RegularExpressions.Regex Shape =
        new(@"\A\[\r?\n  \{\r?\n    ""status"": ""[^""\r\n]*"",\r?\n    ""check"": ", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The findings as flatnet writes them (camelCase, indented).</summary>
    public static string Json(IReadOnlyList<DoctorFinding> findings) =>
        System.Text.Json.JsonSerializer.Serialize(findings, new System.Text.Json.JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase }) + "\n";

    /// <summary>The doctor's machine form: STATUS, CHECK, DETAIL, FIX separated by tabs; other lines are ignored.</summary>
    public static List<DoctorFinding> Parse(string output) =>
        output.Replace("\r", "").Split('\n')
            .Select(l => l.Split('\t'))
            .Where(p => p.Length >= 3 && p[0] is "ok" or "warn" or "FAIL")
            .Select(p => new DoctorFinding(p[0], p[1], p[2], p.Length > 3 ? p[3] : ""))
            .ToList();
}
