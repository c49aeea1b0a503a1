namespace Flatnet.Tests;

/// <summary>--json prints one document, its time first, only to where build.sh takes stdout from.</summary>
public class JsonOutputTests
{
    [Test]
    public void ADocumentStartsWithTheTimeItWasMade()
    {
        var text = JsonOutput.Document(new { hosts = new[] { "a" }, NebulaIp = "10.0.0.1" }, DateTimeOffset.Parse("2026-12-03T12:00:00.7Z"));
        Assert.That(text, Does.StartWith("{\n  \"generated_at\": \"2026-12-03T12:00:00Z\",\n  \"hosts\": [").And.Contain("\"nebula_ip\": \"10.0.0.1\""));
    }

    [TestCase("Plan")]
    [TestCase("PackageAll")]
    [TestCase("CheckCerts")]
    public void JsonGoesToItsFileAndNothingElseDoes(string target)
    {
        using var ws = new TestWorkspace();
        var to = Path.Combine(ws.Root, "out.json");
        if (target == "CheckCerts") ws.ControlPlane().PackageAll();
        ws.Log.Lines.Clear();
        var context = new FlatnetContext(ws.Workspace, ws.Log) { Arguments = TaskArguments.Of(("json", "true")), JsonTo = to };
        new ControlPlane(context).Run(TaskRuns.Named(target));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(to));
        Assert.That(json.RootElement.GetProperty("generated_at").GetString(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"));
        Assert.That(ws.Log.Lines, Has.None.Contains("generated_at"), "the log never carries the document");
    }

    /// <summary>
    /// Battery 24: the file FLATNET_JSON_TO names was written through a link, so another account that could put one
    /// there (TMPDIR its folder) had root write the document into any file. It is replaced, never written through.
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void TheDocumentReplacesALinkAtItsPathAndNeverWritesThroughIt()
    {
        using var ws = new TestWorkspace();
        var victim = Path.Combine(ws.Root, "victim");
        File.WriteAllText(victim, "not flatnet's\n");
        var to = Path.Combine(ws.Root, "out.json");
        File.CreateSymbolicLink(to, victim);
        var context = new FlatnetContext(ws.Workspace, ws.Log) { Arguments = TaskArguments.Of(("json", "true")), JsonTo = to };
        new ControlPlane(context).Run(TaskRuns.Named("Plan"));
        Assert.That(File.ReadAllText(victim), Is.EqualTo("not flatnet's\n"), "the link's target is untouched");
        Assert.That(new FileInfo(to).LinkTarget, Is.Null, "the link is replaced by the document");
        Assert.That(File.ReadAllText(to), Does.Contain("generated_at"));
    }

    /// <summary>
    /// Battery 26: CheckCerts --json left out a certificate nebula-cert cannot read and one not signed yet, which its
    /// text names: every certificate has an entry, with its state.
    /// </summary>
    [Test]
    public void CheckCertsJsonHasAnEntryForEveryCertificateTheBrokenAndTheUnsignedToo()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        File.WriteAllText(Path.Combine(ws.Workspace.PkiDirectory("host-b"), "host.crt"), "garbage\n");
        File.Delete(Path.Combine(ws.Workspace.PkiDirectory("host-c"), "host.crt"));
        var to = Path.Combine(ws.Root, "out.json");
        var context = new FlatnetContext(ws.Workspace, ws.Log) { Arguments = TaskArguments.Of(("json", "true")), JsonTo = to };
        Assert.Throws<FlatnetException>(() => new ControlPlane(context).Run(TaskRuns.Named("CheckCerts")));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(to));
        var states = json.RootElement.GetProperty("certificates").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("state").GetString());
        Assert.That(states["host-a"], Is.EqualTo("valid"));
        Assert.That(states["host-b"], Is.EqualTo("unreadable"));
        Assert.That(states["host-c"], Is.EqualTo("not_signed"));
    }
}
