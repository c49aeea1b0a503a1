using Flatnet.Versions;

namespace Flatnet.Lab;

/// <summary>
/// Which Nebula each lab daemon runs. Hosts: --nebula=V (every host) or a list (--nebula=1.11.0,1.9.3,1.6.1: the
/// inventory's hosts in order, the last repeated). The lighthouse: --lighthouse-nebula=V, else the first of --nebula.
/// Nothing given: this machine's nebula everywhere, as before. CaVersion: a CA of that certificate version, made
/// before anything else, as a Stage 1 lighthouse's CA would be (the lab normally lets InitCa choose).
/// </summary>
public sealed record LabVersions(IReadOnlyList<NebulaVersion> Hosts, NebulaVersion? Lighthouse, int? CaVersion = null)
{
    public static readonly LabVersions MachineDefault = new([], null);

    public static LabVersions Parse(string? nebula, string? lighthouseNebula, string? caVersion)
    {
        var hosts = NebulaVersion.ParseList(nebula, "--nebula");
        NebulaVersion? lighthouse = lighthouseNebula is null ? null
            : NebulaVersion.TryParse(lighthouseNebula, out var l) ? l
            : throw new FlatnetException($"--lighthouse-nebula: '{lighthouseNebula}' is not a Nebula version.", fix: $"e.g. --lighthouse-nebula=1.6.1");
        int? ca = caVersion switch
        {
            null => null,
            "1" => 1,
            "2" => 2,
            _ => throw new FlatnetException($"--ca-version: '{caVersion}' is not a certificate version.", fix: $"--ca-version=1 (every Nebula reads it) or 2 (Nebula 1.10 and later)"),
        };
        return new LabVersions(hosts, lighthouse, ca);
    }

    /// <summary>The release host number <paramref name="index"/> (0-based) runs; null: this machine's nebula.</summary>
    public NebulaVersion? ForHost(int index) => Hosts.Count == 0 ? null : Hosts[Math.Min(index, Hosts.Count - 1)];

    public NebulaVersion? ForLighthouse => Lighthouse ?? (Hosts.Count > 0 ? Hosts[0] : null);

    /// <summary>Every release the lab needs in tools/nebula/.</summary>
    public IEnumerable<NebulaVersion> All => Hosts.Concat(Lighthouse is { } l ? [l] : []).Distinct();

    public override string ToString() =>
        Hosts.Count == 0 && Lighthouse is null ? "this machine's nebula"
            : $"hosts on {(Hosts.Count == 0 ? "this machine's nebula" : string.Join(", ", Hosts))}, lighthouse on {ForLighthouse?.ToString() ?? "this machine's nebula"}";
}
