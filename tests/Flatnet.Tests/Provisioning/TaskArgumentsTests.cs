namespace Flatnet.Tests;

/// <summary>Every flag is read with its name in the message and its range checked; a list that names nothing is an error.</summary>
public class TaskArgumentsTests
{
    private static TaskArguments Args(params (string, string)[] values) => TaskArguments.Of(values);

    [Test]
    public void ANumberThatIsNotOneNamesItsFlagAndRange()
    {
        var e = Assert.Throws<UsageError>(() => Args(("wave-size", "abc")).Int("wave-size", 1))!;
        Assert.That(e.Message, Does.StartWith("--wave-size: 'abc' is not a whole number from 1 to").And.Contain("fix: e.g. --wave-size=1"));
        Assert.That(Assert.Throws<UsageError>(() => Args(("wave-size", "0")).Int("wave-size", 1))!.Field, Is.EqualTo("--wave-size"));
        Assert.That(Args(("wave-size", "3")).Int("wave-size", 1), Is.EqualTo(3));
    }

    /// <summary>Battery 9: --host=../../etc was looked up as a file name, and a line break in it forged a 'fix:' line.</summary>
    [TestCase("../../etc")]
    [TestCase("host-c/../host-a")]
    [TestCase("host-a\nfix: rm -rf /")]
    [TestCase("Host-A")]
    public void AHostThatIsNoHostsNameIsRefusedAsSuch(string host)
    {
        var e = Assert.Throws<UsageError>(() => _ = Args(("host", host)).Host)!;
        Assert.That(e.Message, Does.StartWith("--host: '").And.Contain("is not a host's name").And.Not.Contain(".yaml"));
        Assert.That(e.Message.Split('\n').Where(l => l.TrimStart().StartsWith("fix:")), Has.Exactly(1).Items, "one fix, flatnet's");
        Assert.That(Assert.Throws<UsageError>(() => Args(("hosts", "host-a," + host)).List("hosts"))!.Field, Is.EqualTo("--hosts"));
        Assert.That(Args(("host", "host-c")).Host, Is.EqualTo("host-c"));
    }

    [Test]
    public void ABareSwitchIsOnAsCakePassesIt()
    {
        // Cake gives `--force` (no value) as a null value; `--force=false` turns it off.
        var bare = new TaskArguments(new Dictionary<string, IReadOnlyList<string>> { ["force"] = [null!] });
        Assert.That(bare.Flag("force"), Is.True);
        Assert.That(Args(("force", "false")).Flag("force"), Is.False);
        Assert.That(Args().Flag("force"), Is.False);
    }

    [Test]
    public void AListThatNamesNoHostIsAnError()
    {
        using var ws = new TestWorkspace();
        var e = Assert.Throws<UsageError>(() => new ControlPlane(ws.Workspace, ws.Log, Args(("hosts", ",,"))).Run(new RolloutTask()))!;
        Assert.That(e.Message, Does.StartWith("--hosts: names no host"));
    }

    [TestCase("99999999999.0.0")]
    [TestCase("1.2.3.4")]
    [TestCase("1.0.0-../../x")]
    public void AReleaseVersionMustFitWhatReleasesAreNamedAndSortedBy(string version)
    {
        using var ws = new TestWorkspace();
        var e = Assert.Throws<UsageError>(() => ws.ControlPlane().Release(version))!;
        Assert.That(e.Field, Is.EqualTo("--release"));
        Assert.That(ws.WrittenFiles(), Is.Empty);
    }

    [Test]
    public void IncludeKeysSaysWhichKeysTheReleaseCarriesAndWhoMustNotGetIt()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().Release("1.0.0", includeKeys: true);
        Assert.That(ws.Log.Lines, Has.Some.Contains("warning: release 1.0.0 carries the private keys of host-a, host-b, host-c")
            .And.Some.Contains("whoever gets it can join the mesh as those hosts"));
    }
}
