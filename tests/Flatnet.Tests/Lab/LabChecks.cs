using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>
/// What a lab test proves when its lab is gone, knowing other labs may run beside it (in this process or another):
/// no nebula of its own still runs, none of its namespaces or its link is left, and nothing of any lab is left without
/// a live owner.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class LabChecks
{
    public static void AssertNothingLeft(string labDirectory, string? labId = null)
    {
        // Killed processes may linger a moment as zombies until PID 1 reaps them.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<string> nebula;
        do
        {
            nebula = ProcessRunner.Run("pgrep", ["-a", "-x", "nebula"]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => l.Contains(labDirectory, StringComparison.Ordinal)).ToList();
            if (nebula.Count == 0) break;
            Thread.Sleep(200);
        } while (DateTime.UtcNow < deadline);
        Assert.That(nebula, Is.Empty, "no nebula of the lab may outlive it");
        if (labId is not null)
        {
            Assert.That(NetworkNamespace.All().Where(n => LabRegistry.IdOf(n) == labId), Is.Empty, "no namespace may outlive the lab");
            Assert.That(NetworkNamespace.EtcLeft().Where(n => LabRegistry.IdOf(n) == labId), Is.Empty, "no /etc/netns folder may outlive the lab");
            Assert.That(LabTopology.Links(), Has.None.EqualTo($"fnl-{labId}"), "no lab link may outlive the lab");
            Assert.That(LabRegistry.All().Select(l => l.Id), Has.None.EqualTo(labId), "the lab is no longer registered");
        }
        // Other fixtures' labs start and end meanwhile: what is listed first and still there after the owners are
        // read is what counts (a lab registered after the first listing is not in it; one ended meanwhile is gone).
        static List<string> Listed() => [.. NetworkNamespace.All(), .. LabTopology.Links(), .. NetworkNamespace.EtcLeft()];
        var before = Listed();
        var live = LabRegistry.All().Where(l => l.Alive).Select(l => l.Id).ToHashSet();
        Assert.That(before.Intersect(Listed()).Where(n => LabRegistry.IdOf(n) is { } id && !live.Contains(id)), Is.Empty,
            "nothing of a lab is left without an owner");
    }
}
