namespace Flatnet.Tests;

/// <summary>Every problem a user can cause is spelled one way: `file: line N: field: problem` and its fix.</summary>
public class FlatnetExceptionTests
{
    [Test]
    public void AProblemNamesWhereWhatAndTheFix()
    {
        var e = new FlatnetException("70000 is not a TCP port", fix: "use a port from 1 to 65535", file: "hosts/host-b.yaml", field: "deploy.port", line: 9);
        Assert.That(e.Message, Is.EqualTo("hosts/host-b.yaml: line 9: deploy.port: 70000 is not a TCP port\n    fix: use a port from 1 to 65535"));
        Assert.That((e.File, e.Line, e.Field, e.Problem, e.Fix), Is.EqualTo(("hosts/host-b.yaml", (int?)9, "deploy.port", "70000 is not a TCP port", "use a port from 1 to 65535")));
    }

    [Test]
    public void UnknownPartsAreLeftOut()
    {
        Assert.That(new FlatnetException("must be 1 or more", field: "--wave-size").Message, Is.EqualTo("--wave-size: must be 1 or more"));
        Assert.That(FlatnetException.Format("hosts/blocklist.txt", 3, null, "bad line", null), Is.EqualTo("hosts/blocklist.txt: line 3: bad line"));
    }

    [Test]
    public void EveryThrowInTheLibraryIsAFlatnetException()
    {
        var kinds = typeof(FlatnetException).Assembly.GetTypes().Where(t => t.IsAssignableTo(typeof(FlatnetException))).Select(t => t.Name).ToHashSet();
        var src = Path.Combine(TestWorkspace.RepoRoot, "src", "Flatnet");
        var others = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((l, i) => (File: Path.GetRelativePath(src, f), Line: i + 1, Text: l.Trim())))
            .Where(l => System.Text.RegularExpressions.Regex.Matches(l.Text, @"throw new (\w+)").Any(m => !kinds.Contains(m.Groups[1].Value)))
            .Select(l => $"{l.File}:{l.Line}: {l.Text}")
            .ToList();
        // Programming errors (a bundle must never hold the CA key) may stay InvalidOperationException: no user can cause them.
        Assert.That(others.Where(o => !o.Contains("InvalidOperationException") && !o.Contains("UnreachableException")), Is.Empty);
    }

    [Test]
    public void AProblemWithSeveralCausesNamesAFixForEach()
    {
        var e = new FlatnetException("2 certificate(s) expire within 30 days: CA flatnet-ca, host-a", ["for the CA: RotateCa", "for a host: RenewCert"]);
        Assert.That(e.Message, Is.EqualTo("2 certificate(s) expire within 30 days: CA flatnet-ca, host-a\n    fix: for the CA: RotateCa\n    fix: for a host: RenewCert"));
        Assert.That(e.Fix, Is.EqualTo("for the CA: RotateCa"));
    }

    [Test]
    public void OnlyAHostThatMayComeBackOrADaemonCatchingUpIsWorthTryingAgain()
    {
        Assert.That(new HostUnreachable("host-a", "cannot connect", "switch it on").Transient, Is.True);
        Assert.That(new VerificationFailed("1 of 18 pings failed", null).Transient, Is.True);
        Assert.That(new RemoteCommandFailed("host-a", "install.ps1 failed", "nebula said no", 1).Transient, Is.False);
        Assert.That(new InventoryProblem("hosts", ["hosts/host-a.yaml: index: 2 is already used"]).Transient, Is.False);
        Assert.That(new UsageError("'abc' is not a whole number", "e.g. --wave-size=1", "--wave-size").Message,
            Is.EqualTo("--wave-size: 'abc' is not a whole number\n    fix: e.g. --wave-size=1"));
    }
}
