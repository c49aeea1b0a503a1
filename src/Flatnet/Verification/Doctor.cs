using Flatnet.Workflows;
using System.Text.Json;
using Flatnet.Deploy;

namespace Flatnet.Verification;

/// <summary>One check of the doctor: ok, warn or FAIL, what it saw, and (for a FAIL) what to do.</summary>
public sealed record DoctorFinding(string Status, string Check, string Detail, string Fix)
{
    public bool Failed => Status == "FAIL";
}

/// <summary>
/// Target Doctor: runs the host's own doctor (scripts/flatnet-doctor.ps1 or .sh, shipped in its bundle, read-only)
/// over its transport, prints each check in order with its fix, and keeps them in artifacts/verify/doctor-HOST.json.
/// The person at the host runs the same script by hand; both see the same checks.
/// </summary>
public sealed class Doctor(FlatnetContext context)
{
    public IReadOnlyList<DoctorFinding> Examine(string host)
    {
        var h = context.Plan.Host(host);
        var model = context.Model(h);
        using var connection = HostConnections.Open(h.Host);
        var result = connection.Run(HostOperations.DoctorCommand(model, h.Host.WslCommand), TimeSpan.FromMinutes(3));
        var findings = Parse(result.StdOut);
        if (findings.Count == 0)
            throw new FlatnetException($"{host}: the doctor said nothing (exit {result.ExitCode}): {(result.StdErr + result.StdOut).Trim()}",
                fix: $"deploy {host} first: its bundle brings scripts/flatnet-doctor (./build.sh --target=DeployHost --host={host})");
        var json = Path.Combine(context.Workspace.ArtifactsDirectory, "verify", $"doctor-{host}.json");
        context.ClaimArtifacts();
        SafeFiles.WriteAllText(json, JsonSerializer.Serialize(findings, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }) + "\n");
        context.Log.Info($"doctor on {host} ({Workspace.Relative(json)}):");
        foreach (var f in findings)
            context.Log.Info($"  {f.Status,-4} {f.Check}: {f.Detail}" + (f.Failed && f.Fix.Length > 0 ? $"\n         fix: {f.Fix}" : ""));
        var failed = findings.Where(f => f.Failed).ToList();
        if (failed.Count > 0)
            throw new FlatnetException($"{host}: {failed.Count} of {findings.Count} checks failed: {string.Join(", ", failed.Select(f => f.Check))}",
                fix: $"start with the first, {failed[0].Check}: {failed[0].Fix}");
        return findings;
    }

    /// <summary>The doctor's machine form: STATUS, CHECK, DETAIL, FIX separated by tabs; other lines are ignored.</summary>
    public static List<DoctorFinding> Parse(string output) =>
        output.Replace("\r", "").Split('\n')
            .Select(l => l.Split('\t'))
            .Where(p => p.Length >= 3 && p[0] is "ok" or "warn" or "FAIL")
            .Select(p => new DoctorFinding(p[0], p[1], p[2], p.Length > 3 ? p[3] : ""))
            .ToList();
}
