using NetArchTest.Rules;

namespace Flatnet.Tests;

/// <summary>
/// The library is layered: each namespace may use the ones below it and never one above, so a change to a task never
/// reaches the core and the core reads bottom-up with no cycles. Provisioning composes the layers below it (a run, its
/// hosts, the steps and the services across hosts); Tasks, the top, is thin: one class per Cake task over Provisioning.
/// docs/architecture.md draws the same order.
/// </summary>
public class LayersTests
{
    /// <summary>
    /// Bottom first. Output (the reporter, the terminal, JSON, natural order) is below everything, then the root
    /// "Flatnet" (the failures, the workspace, the build's identity), then processes and files (safe writes, locks,
    /// temporary folders): the hall, before the rooms.
    /// </summary>
    public static readonly string[] Order =
    [
        "Flatnet.Output", "Flatnet", "Flatnet.Processes", "Flatnet.Files", "Flatnet.Versions", "Flatnet.Tools", "Flatnet.Inventory", "Flatnet.Addressing", "Flatnet.Pki",
        "Flatnet.Rendering", "Flatnet.Transport", "Flatnet.Platforms", "Flatnet.Bundles", "Flatnet.Verification", "Flatnet.Provisioning", "Flatnet.Tasks",
    ];

    private static IEnumerable<TestCaseData> Layers() => Order.Select((name, i) => new TestCaseData(i).SetArgDisplayNames(name));

    [TestCaseSource(nameof(Layers))]
    public void ANamespaceUsesOnlyTheOnesBelowIt(int layer)
    {
        // NetArchTest matches a namespace as a prefix, and every namespace starts with the root's name: the root is
        // named by its types.
        var root = typeof(FlatnetException).Assembly.GetTypes().Where(t => t.Namespace == "Flatnet" && !t.IsNested).Select(t => t.FullName!).ToArray();
        var above = Order.Skip(layer + 1).SelectMany(n => n == "Flatnet" ? root : [n]).ToArray();
        if (above.Length == 0) Assert.Pass("the top layer may use every other");
        var result = Types.InAssembly(typeof(FlatnetException).Assembly)
            .That().ResideInNamespaceMatching("^" + System.Text.RegularExpressions.Regex.Escape(Order[layer]) + "$")
            .ShouldNot().HaveDependencyOnAny(above)
            .GetResult();
        Assert.That(result.FailingTypeNames ?? [], Is.Empty, $"{Order[layer]} uses a layer above it");
    }

    [Test]
    public void EveryNamespaceOfTheLibraryHasItsPlaceInTheOrder()
    {
        var namespaces = typeof(FlatnetException).Assembly.GetTypes().Select(t => t.Namespace).OfType<string>()
            .Where(n => n.StartsWith("Flatnet", StringComparison.Ordinal)).Distinct();
        Assert.That(namespaces, Is.SubsetOf(Order));
    }

    /// <summary>
    /// What a reader sees agrees with what the compiler sees: the using lines of every file name only layers below its
    /// own, so no two namespaces use each other by either measure (IDE0005 makes a using nothing needs an error).
    /// </summary>
    [Test]
    public void TheUsingLinesNameOnlyLayersBelow()
    {
        var wrong = Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(f =>
            {
                var text = File.ReadAllText(f);
                var own = System.Text.RegularExpressions.Regex.Match(text, @"^namespace ([\w.]+);", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
                var level = own == "Flatnet.Lab" ? Order.Length : Array.IndexOf(Order, own);
                return System.Text.RegularExpressions.Regex.Matches(text, @"^using (Flatnet[\w.]*);", System.Text.RegularExpressions.RegexOptions.Multiline)
                    .Select(m => m.Groups[1].Value)
                    .Where(used => used == "Flatnet.Lab" || Array.IndexOf(Order, used) >= level)
                    .Select(used => $"{Path.GetRelativePath(TestWorkspace.RepoRoot, f)} ({own}) uses {used}");
            });
        Assert.That(wrong, Is.Empty);
    }

    [Test]
    public void TheLibraryDoesNotReferenceTheLab()
    {
        Assert.That(typeof(FlatnetException).Assembly.GetReferencedAssemblies().Select(a => a.Name), Has.None.EqualTo("Flatnet.Lab"));
    }
}

/// <summary>A newcomer reads a file whole: short files, the host's OS asked in one place, scripts in templates.</summary>
public class SourceShapeTests
{
    private static IEnumerable<(string Path, string[] Lines)> Sources(string project) =>
        Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "src", project), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => (Path.GetRelativePath(Path.Combine(TestWorkspace.RepoRoot, "src"), f), File.ReadAllLines(f)));

    [Test]
    public void EverySourceFileIsUnder250Lines()
    {
        var long_ = Sources("Flatnet").Concat(Sources("Flatnet.Lab")).Where(s => s.Lines.Length >= 250).Select(s => $"{s.Path}: {s.Lines.Length}");
        Assert.That(long_, Is.Empty);
    }

    /// <summary>Which OS a host runs is Platforms/' business; the inventory's grammar and the templates' is_windows are the only others.</summary>
    [Test]
    public void OnlyThePlatformsAskWhichOsAHostRuns()
    {
        string[] allowed = ["Flatnet/Inventory/FieldChecks.cs", "Flatnet/Inventory/HostFields.cs", "Flatnet/Inventory/Grammar.cs", "Flatnet/Rendering/HostModel.cs"];
        var asking = Sources("Flatnet")
            .Where(s => !s.Path.StartsWith("Flatnet/Platforms/", StringComparison.Ordinal) && !allowed.Contains(s.Path))
            .SelectMany(s => s.Lines.Select((l, i) => (s.Path, Line: i + 1, Text: l)))
            .Where(l => System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"HostOs\.(Windows|Linux)|(?<!OperatingSystem\.)\bIsWindows\b|""windows""") && !l.Text.Contains("SupportedOSPlatform"))
            .Select(l => $"{l.Path}:{l.Line}: {l.Text.Trim()}");
        Assert.That(asking, Is.Empty);
    }

    /// <summary>Every script that runs on a host is a template (templates/, templates/remote/), where the Pester and shell tests see it.</summary>
    [Test]
    public void NoPowerShellOrShellScriptIsACSharpString()
    {
        var scripts = Sources("Flatnet")
            .SelectMany(s => s.Lines.Select((l, i) => (s.Path, Line: i + 1, Text: l)))
            .Where(l => System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"""[^""]*(\$LASTEXITCODE|Test-Path|Get-Service -|New-Item|Get-Content|Invoke-Command|New-PSSession|\bthen\b.*\bfi\b|\|\| exit|; done)"))
            .Select(l => $"{l.Path}:{l.Line}: {l.Text.Trim()}");
        Assert.That(scripts, Is.Empty);
    }
}
