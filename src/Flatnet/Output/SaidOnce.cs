namespace Flatnet.Output;

/// <summary>
/// Advice a run gives once, however many hosts or tasks it concerns (a run is a process: Cake's, or a test host's):
/// the first to ask may say it, the others only what is their own.
/// </summary>
public static class SaidOnce
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Said = new();

    /// <summary>True the first time <paramref name="advice"/> is asked for in this process, false after.</summary>
    public static bool First(string advice) => Said.TryAdd(advice, 0);
}
