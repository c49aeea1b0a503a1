// The tests run side by side, a fixture at a time each: most of a lab's time is waiting (handshakes, SSH, sleeps),
// and every lab has namespaces, a LAN and a link of its own (Flatnet.Lab.LabRegistry), so labs never meet. A
// fixture that touches process-wide state says [NonParallelizable]. The longest fixtures carry [StartsEarly(N)], longest
// first, so they start at once rather than in alphabetical turn: the last of them to start ended the whole run
// (LabTests started after 96 s and ran 230 s; the suite is CPU-bound on two cores, so only the order is free).
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(4)]

namespace Flatnet.Tests
{
    /// <summary>
    /// A fixture among the longest, started in this rank (1 first) before the others: NUnit dispatches a namespace's
    /// fixtures in the order of its "Order" property, then by name. (NUnit 5 deprecates [Order] for tests that depend
    /// on each other; these do not, they only start early.)
    /// </summary>
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class StartsEarlyAttribute(int rank) : NUnitAttribute, NUnit.Framework.Interfaces.IApplyToTest
    {
        public void ApplyToTest(NUnit.Framework.Internal.Test test) => test.Properties.Set(NUnit.Framework.Internal.PropertyNames.Order, rank);
    }
}
