using Flatnet.Versions;

namespace Flatnet.Tests.Versions;

public class NebulaVersionTests
{
    [TestCase("1.11.0", 1, 11, 0)]
    [TestCase("Version: 1.6.1", 1, 6, 1)]
    [TestCase("v1.9.3", 1, 9, 3)]
    [TestCase("1.9.3+dfsg-6+b2", 1, 9, 3)]
    public void ReadsTheWaysAReleaseIsWritten(string text, int major, int minor, int patch)
    {
        Assert.That(NebulaVersion.TryParse(text, out var v), Is.True);
        Assert.That(v, Is.EqualTo(new NebulaVersion(major, minor, patch)));
    }

    [TestCase("1.10")]
    [TestCase("latest")]
    [TestCase("1.11.0; rm -rf /")]
    [TestCase("")]
    public void RefusesAnythingElse(string text) => Assert.That(NebulaVersion.TryParse(text, out _), Is.False);

    [Test]
    public void OrdersByNumberNotByText()
    {
        Assert.That(NebulaVersion.Parse("1.11.0"), Is.GreaterThan(NebulaVersion.Parse("1.9.3")));
        Assert.That(NebulaVersion.Parse("1.10.0").ReadsV2Certificates, Is.True);
        Assert.That(NebulaVersion.Parse("1.9.7").ReadsV2Certificates, Is.False);
    }
}
