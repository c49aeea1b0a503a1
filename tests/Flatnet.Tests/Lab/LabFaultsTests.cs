using Flatnet.Lab;

namespace Flatnet.Tests;

/// <summary>The lab's WSL2 restart runs the [boot] command as WSL reads it from wsl.conf.</summary>
public class LabFaultsTests
{
    [TestCase("[boot]\ncommand = \"/mnt/f/flatnet/scripts/wsl-routing.sh\"\n", "/mnt/f/flatnet/scripts/wsl-routing.sh")]
    [TestCase("[network]\ncommand = other\n[boot]\n  command=/x/y.sh\n", "/x/y.sh")]
    [TestCase("[automount]\nenabled = true\n\n[ boot ]\ncommand = \"/a b.sh\"\n[user]\ndefault = kh\n", "/a b.sh")]
    public void TheBootCommandIsReadFromTheBootSection(string conf, string expected)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, conf);
            Assert.That(LabFaults.BootCommand(file), Is.EqualTo(expected));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void AWslConfWithoutABootCommandIsNamed()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "[network]\ncommand = not-boot\n");
            Assert.That(() => LabFaults.BootCommand(file), Throws.TypeOf<FlatnetException>().With.Message.Contains("has no [boot] command"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
