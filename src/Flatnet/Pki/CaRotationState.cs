using System.Text.Json;
using System.Text.Json.Serialization;
using Flatnet.Files;

namespace Flatnet.Pki;

/// <summary>
/// Where a CA rotation stands, kept in the inventory folder (hosts/ca-rotation.json) so that RotateCa resumes where it
/// stopped, and so that every other task (AddHost, PackageAll) builds configs that trust what the rotation's phase
/// says. It holds fingerprints and host names only, no secret, and may be committed with the inventory.
/// </summary>
public sealed record CaRotationState(string OldFingerprint, string NewFingerprint, DateTimeOffset Started)
{
    public const string FileName = "ca-rotation.json";

    /// <summary>What each of RotateCa's four phases does.</summary>
    public static readonly IReadOnlyList<string> Phases =
    [
        "make the new CA",
        "make every config trust the old and the new CA",
        "re-sign every host with the new CA",
        "drop the old CA from every config",
    ];

    /// <summary>The phase under way, 2 to 4 (phase 1, making the new CA, is done once this state exists).</summary>
    public int Phase { get; init; } = 2;

    /// <summary>The hosts the phase under way has rolled out and verified; a re-run skips them.</summary>
    public IReadOnlyList<string> HostsDone { get; init; } = [];

    /// <summary>The phase whose steps for a person (an unmanaged lighthouse, hosts deployed by hand) were printed and not yet confirmed.</summary>
    public int? WaitingForManualSteps { get; init; }

    public DateTimeOffset? Finished { get; init; }

    /// <summary>Phases 2 and 3: every config trusts both CAs.</summary>
    [JsonIgnore] public bool TrustsBoth => Finished is null && Phase is 2 or 3;

    /// <summary>From phase 3 on, the new CA sits at network.yaml's paths and the old one beside them, retired.</summary>
    [JsonIgnore] public bool Swapped => Finished is not null || Phase >= 3;

    public static string PathIn(string inventoryDirectory) => Path.Combine(inventoryDirectory, FileName);

    public static CaRotationState? Load(string inventoryDirectory)
    {
        var path = PathIn(inventoryDirectory);
        if (!File.Exists(path)) return null;
        string? why;
        try
        {
            var state = JsonSerializer.Deserialize<CaRotationState>(InputFiles.ReadAllText(path, InputFiles.StateLimit, "the CA rotation's record"), Json);
            // Data, never a path: a fingerprint names the retired CA's files (ca.retired-FP.crt), so it must be one.
            why = state is null ? "it is empty"
                : !IsFingerprint(state.OldFingerprint) ? "old_fingerprint is not a certificate fingerprint (64 hex digits)"
                : !IsFingerprint(state.NewFingerprint) ? "new_fingerprint is not a certificate fingerprint (64 hex digits)"
                : state.Phase is < 2 or > 4 ? $"phase {state.Phase} is not 2, 3 or 4"
                // RotateCa records the steps it printed for a person at the phase they follow, before phase 4.
                : state.WaitingForManualSteps is { } waiting && (waiting != state.Phase || waiting > 3)
                    ? $"waiting_for_manual_steps {waiting} is not the phase under way ({state.Phase}), after which RotateCa waits for a person"
                : state.HostsDone.Any(h => !System.Text.RegularExpressions.Regex.IsMatch(h, @"^[a-z0-9][a-z0-9-]{0,62}\z")) ? "hosts_done lists something that is not a host name"
                : null;
            if (why is null) return state!;
        }
        catch (JsonException e)
        {
            why = Output.JsonOutput.Why(e);
        }
        throw new StateConflict($"not a CA rotation's state: {why}",
            "restore it from version control; if no rotation is under way, delete it", Workspace.Relative(path));
    }

    private static bool IsFingerprint(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);

    public void Save(string inventoryDirectory) => SafeFiles.WriteAllText(PathIn(inventoryDirectory), JsonSerializer.Serialize(this, Json) + "\n");

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
