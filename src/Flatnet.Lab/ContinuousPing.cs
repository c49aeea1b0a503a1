using System.Diagnostics;
using System.Text.RegularExpressions;
using Flatnet.Processes;

namespace Flatnet.Lab;

/// <summary>What a continuous ping counted: every echo sent, and those answered.</summary>
public sealed record PingCount(int Sent, int Received)
{
    public int Lost => Sent - Received;
}

/// <summary>
/// A ping that runs while something else happens (RotateCa, a rollout) and says what that cost: iputils ping every
/// 0.2 s inside a lab namespace, ended with SIGINT so that it prints its own count.
/// </summary>
public sealed partial class ContinuousPing : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output;

    private ContinuousPing(Process process)
    {
        _process = process;
        _output = process.StandardOutput.ReadToEndAsync();
    }

    public static ContinuousPing Start(NetworkNamespace from, string target)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // `ip netns exec` becomes ping (it execs), so the signal below reaches ping itself.
        foreach (var a in new[] { "netns", "exec", from.Name, "ping", "-n", "-i", "0.2", "-W", "1", target }) psi.ArgumentList.Add(a);
        return new ContinuousPing(Process.Start(psi) ?? throw new FlatnetException($"[{from.Name}] could not start ping"));
    }

    /// <summary>Ends the ping and reads its summary ("N packets transmitted, M received").</summary>
    public PingCount Stop()
    {
        if (!_process.HasExited) ProcessRunner.Run("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!_process.WaitForExit(10_000)) _process.Kill();
        var output = _output.Result;
        var m = Summary().Match(output);
        return m.Success ? new PingCount(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value))
            : throw new FlatnetException($"ping printed no summary: {output.Trim().Split('\n').LastOrDefault()}");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) received")]
    private static partial Regex Summary();
}
