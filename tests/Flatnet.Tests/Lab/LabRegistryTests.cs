using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>
/// LabClean removes this checkout's kept lab and what interrupted labs left, never the lab another checkout kept
/// on purpose (it removed every kept lab on the machine); --all removes those too.
/// </summary>
[Category("Lab")]
public class LabRegistryTests
{
    [Test]
    public void AKeptLabIsThisCheckoutsToRemoveNotAnothers()
    {
        using var ws = new TestWorkspace();
        var mine = Path.Combine(ws.Root, "artifacts", "lab");
        var theirs = Path.Combine(ws.Root, "other-checkout", "artifacts", "lab");
        var a = LabRegistry.Claim(mine);
        var b = LabRegistry.Claim(theirs);
        try
        {
            LabRegistry.Keep(a.Id);
            LabRegistry.Keep(b.Id);
            Assert.That(LabRegistry.All().Single(l => l.Id == a.Id).Directory, Is.EqualTo(Path.GetFullPath(mine)), "whose it is, recorded");
            Assert.That(LabRegistry.Dead(includeKept: true, keptIn: mine), Does.Contain(a.Id).And.Not.Contain(b.Id));
            Assert.That(LabRegistry.Dead(includeKept: true), Does.Contain(a.Id).And.Contain(b.Id), "--all");
            Assert.That(LabRegistry.Dead(includeKept: false), Does.Not.Contain(a.Id).And.Not.Contain(b.Id), "a kept lab is no interrupted one");
        }
        finally
        {
            LabRegistry.Forget(a.Id);
            LabRegistry.Forget(b.Id);
        }
    }
}
