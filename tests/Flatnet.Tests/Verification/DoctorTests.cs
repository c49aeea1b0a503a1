using Flatnet.Verification;

namespace Flatnet.Tests;

/// <summary>The doctor's machine form: one tab-separated line per check; anything else a shell prints is not a finding.</summary>
public class DoctorTests
{
    [Test]
    public void FindingsAreReadFromTheTabSeparatedLinesOnly()
    {
        var output = "ok\troot\trunning as root\t\r\n" +
                     "some warning a tool printed\n" +
                     "FAIL\troute\tno route of 10.101.2.0/24 to WSL2\trun scripts/host-routing.sh (ConfigureRouting)\n" +
                     "warn\twsl-ping\tno peer to ping yet\n";
        Assert.That(DoctorFindings.Parse(output), Is.EqualTo(new[]
        {
            new DoctorFinding("ok", "root", "running as root", ""),
            new DoctorFinding("FAIL", "route", "no route of 10.101.2.0/24 to WSL2", "run scripts/host-routing.sh (ConfigureRouting)"),
            new DoctorFinding("warn", "wsl-ping", "no peer to ping yet", ""),
        }));
        Assert.That(DoctorFindings.Parse(output).Count(f => f.Failed), Is.EqualTo(1));
    }

    /// <summary>The findings flatnet writes have the shape a file at doctor-HOST.json is judged by; a user's JSON naming "check" elsewhere has not.</summary>
    [Test]
    public void TheFindingsFlatnetWritesAreJudgedByHowTheyBegin()
    {
        Assert.That(DoctorFindings.Shape.IsMatch(DoctorFindings.Json([new DoctorFinding("ok", "nebula service", "running", "")])), Is.True);
        Assert.That(DoctorFindings.Shape.IsMatch("{\"mine\": 1, \"check\": \"x\"}\n"), Is.False);
    }
}
