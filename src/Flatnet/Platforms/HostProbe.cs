using System.Text.Json;
using System.Text.Json.Serialization;
using Flatnet.Output;

namespace Flatnet.Platforms;

/// <summary>A target one probe pings, and how many tries it gets (a tunnel still forming may lose its first packet).</summary>
public sealed record ProbeTarget(string Address, int Attempts);

/// <summary>One ping of a probe: from the host or its WSL2 ("host", "wsl"), to a target.</summary>
public sealed record ProbePing(string From, string Target, bool Ok, double? RttMs, string Detail);

/// <summary>One name as the host or its WSL2 ("host", "wsl") resolves it: its IPv4 address, or "" when it does not resolve.</summary>
public sealed record ProbeName(string From, string Name, string Address);

/// <summary>
/// What one host said of itself in one command (templates/remote/OS/probe.*): whether its Nebula runs, and every ping
/// from it and from its WSL2, made at once. VerifyPing's cost grows with the hosts, not with the pairs.
/// </summary>
public sealed record HostProbe(bool Running, string State, IReadOnlyList<ProbePing> Pings)
{
    /// <summary>The names the probe resolved (none when none were asked).</summary>
    public IReadOnlyList<ProbeName> Names { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowReadingFromString };

    /// <summary>The probe's JSON document; a host that printed none (no shell, a script that could not start) says why in <paramref name="said"/>.</summary>
    public static HostProbe Parse(string output, string said)
    {
        var line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));
        try
        {
            if (line is not null && JsonSerializer.Deserialize<HostProbe>(line, Json) is { } probe)
                return probe with
                {
                    State = Terminal.OneLine(probe.State),
                    Pings = (probe.Pings ?? []).Select(p => p with { Detail = Terminal.OneLine(p.Detail ?? ""), From = p.From ?? "host", Target = p.Target ?? "" }).ToList(),
                    Names = (probe.Names ?? []).Select(n => new ProbeName(n.From ?? "host", Terminal.OneLine(n.Name ?? ""), Terminal.OneLine(n.Address ?? ""))).ToList(),
                };
        }
        catch (JsonException)
        {
            // what it printed is not the probe's document: said below
        }
        var why = Terminal.OneLine(said.Trim().Split('\n').LastOrDefault()?.Trim() ?? "");
        return new HostProbe(false, $"the probe said nothing flatnet could read{(why.Length > 0 ? ": " + why : "")}", []);
    }

    /// <summary>The ping from <paramref name="from"/> to <paramref name="target"/>, or a failed one when the probe has none.</summary>
    public ProbePing Of(string from, string target) =>
        Pings.FirstOrDefault(p => p.From == from && p.Target == target) ?? new ProbePing(from, target, false, null, "no answer from the probe");
}
