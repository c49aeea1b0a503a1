using Flatnet.Verification;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// Doctor: runs the host's own doctor (scripts/flatnet-doctor.ps1 or .sh, shipped in its bundle, read-only)
/// over its transport, prints each check in order with its fix, and keeps them in artifacts/verify/doctor-HOST.json.
/// The person at the host runs the same script by hand; both see the same checks.
/// </summary>
public static class HostDoctor
{
    public static IReadOnlyList<DoctorFinding> Examine(FlatnetContext context, string host)
    {
        var h = context.Plan.Host(host);
        var model = context.Model(h);
        var connection = context.Connection(h);
        var result = context.Platform(h).Doctor(model, connection);
        var findings = DoctorFindings.Parse(result.StdOut);
        if (findings.Count == 0)
            throw new FlatnetException($"{host}: the doctor said nothing (exit {result.ExitCode}): {(result.StdErr + result.StdOut).Trim()}",
                fix: $"deploy {host} first: its bundle brings scripts/flatnet-doctor (./build.sh --target=DeployHost --host={host})");
        var json = Path.Combine(context.Workspace.ArtifactsDirectory, "verify", $"doctor-{host}.json");
        context.ClaimArtifacts();
        SafeFiles.WriteAllText(json, DoctorFindings.Json(findings), shape: DoctorFindings.Shape);
        context.Log.Info($"doctor on {host} ({Workspace.Relative(json)}):");
        foreach (var f in findings)
            context.Log.Info($"  {f.Status,-4} {f.Check}: {f.Detail}" + (f.Failed && f.Fix.Length > 0 ? $"\n         fix: {f.Fix}" : ""));
        var failed = findings.Where(f => f.Failed).ToList();
        if (failed.Count > 0)
            throw new FlatnetException($"{host}: {failed.Count} of {findings.Count} checks failed: {string.Join(", ", failed.Select(f => f.Check))}",
                fix: $"start with the first, {failed[0].Check}: {failed[0].Fix}");
        return findings;
    }
}
