using NetArchTest.Rules;

namespace Flatnet.Tests;

/// <summary>
/// The library is layered: each namespace may use the ones below it and never one above, so a change to a workflow
/// never reaches the core and the core reads bottom-up with no cycles. Workflows, the top, is the only layer that
/// composes the others (one class per Cake task). docs/architecture.md draws the same order.
/// </summary>
public class LayersTests
{
    /// <summary>Bottom first. "Flatnet" is the root namespace: errors, the reporter, files, processes, addresses.</summary>
    public static readonly string[] Order =
    [
        "Flatnet", "Flatnet.Versions", "Flatnet.Tools", "Flatnet.Inventory", "Flatnet.Addressing", "Flatnet.Pki",
        "Flatnet.Rendering", "Flatnet.Transport", "Flatnet.Platforms", "Flatnet.Bundles", "Flatnet.Verification", "Flatnet.Workflows",
    ];

    private static IEnumerable<TestCaseData> Layers() => Order.Select((name, i) => new TestCaseData(i).SetArgDisplayNames(name));

    [TestCaseSource(nameof(Layers))]
    public void ANamespaceUsesOnlyTheOnesBelowIt(int layer)
    {
        var above = Order.Skip(layer + 1).ToArray();
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

    [Test]
    public void TheLibraryDoesNotReferenceTheLab()
    {
        Assert.That(typeof(FlatnetException).Assembly.GetReferencedAssemblies().Select(a => a.Name), Has.None.EqualTo("Flatnet.Lab"));
    }
}
