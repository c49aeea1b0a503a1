using System.Text.RegularExpressions;
using Flatnet.Pki;

namespace Flatnet.Tests;

/// <summary>
/// RotateCa's phases and their record, on hosts installed by hand (deploy.transport none) and the example's unmanaged
/// lighthouse: every step that needs a person is printed and waited for. The lab test (CaRotationLabTests) runs the
/// same rotation over SSH with a continuous ping.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class CaRotationTests
{
    [Test]
    public void RotateCaWalksFourPhasesWaitingForWhatAPersonMustDo()
    {
        using var ws = HandDeployedFleet();
        var oldCa = Fingerprint(ws, "pki/ca.crt");

        // Phase 1 makes the new CA beside the old; phase 2 gives every bundle and the lighthouse's ca.crt both CAs, then waits.
        var wait2 = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa())!;
        Assert.That(wait2.Message, Does.StartWith("RotateCa: phase 2 of 4 (make every config trust the old and the new CA) done for every host flatnet deploys; before phase 3")
            .And.Contain("host host-a (deploy.transport none): install ").And.Contain("artifacts/bundles/host-a.zip on it as you did before")
            .And.Contain("lighthouse: copy ").And.Contain("artifacts/lighthouses/lighthouse/ca.crt (the old and the new CA) over the file its pki.ca names")
            .And.Contain("fix: do the above, then ./build.sh --target=RotateCa --manual-steps-done"));
        var newCa = Fingerprint(ws, "pki/ca.next.crt");
        Assert.That(Fingerprint(ws, "pki/ca.crt"), Is.EqualTo(oldCa), "the old CA still signs in phase 2");
        Assert.That(CasIn(BundleFile(ws, "host-a", "ca.crt")), Is.EqualTo(2));
        Assert.That(CasIn(File.ReadAllText(Path.Combine(ws.Root, "artifacts/lighthouses/lighthouse/ca.crt"))), Is.EqualTo(2));
        Assert.That(File.ReadAllText(ws.HostsFile("ca-rotation.json")), Does.Contain("\"phase\": 2").And.Contain("\"waiting_for_manual_steps\": 2").And.Contain(newCa));

        // A re-run without the confirmation prints the same steps again and goes no further.
        var again = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa())!;
        Assert.That(again.Message, Is.EqualTo(wait2.Message));
        Assert.That(File.Exists(Path.Combine(ws.Root, "pki/ca.next.crt")), Is.True);

        // Phase 3: the new CA moves to network.yaml's paths, every host is re-signed by it; the lighthouse gets the command to sign its own.
        var wait3 = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa(manualStepsDone: true))!;
        Assert.That(wait3.Message, Does.StartWith("RotateCa: phase 3 of 4 (re-sign every host with the new CA) done")
            .And.Contain("(it carries the certificate the new CA signed)")
            .And.Contain("lighthouse: its certificate must be signed by the new CA before the old one is dropped: here, `nebula-cert sign -name lighthouse ")
            .And.Contain("/pki/ca.crt -ca-key ").And.Contain("/pki/ca.key -out-crt lighthouse.crt -out-key lighthouse.key`"));
        Assert.That(Fingerprint(ws, "pki/ca.crt"), Is.EqualTo(newCa));
        // The printed command works as typed: it makes the lighthouse a certificate of the new CA, with its name and IP.
        var command = Regex.Match(wait3.Message, "`(nebula-cert sign [^`]*)`").Groups[1].Value;
        var nebulaCert = ws.ControlPlane().Context.NebulaCert;
        var operator_ = Directory.CreateDirectory(Path.Combine(ws.Root, "operator")).FullName;
        var typed = global::Flatnet.Processes.ProcessRunner.Run("sh", ["-c", nebulaCert.Executable + command["nebula-cert".Length..]], operator_);
        Assert.That(typed.ExitCode, Is.EqualTo(0), typed.StdErr);
        Assert.That(nebulaCert.Verify(Path.Combine(ws.Root, "pki/ca.crt"), Path.Combine(operator_, "lighthouse.crt")).Ok, Is.True);
        var lighthouse = nebulaCert.Print(Path.Combine(operator_, "lighthouse.crt"));
        Assert.That((lighthouse.Name, lighthouse.Ips[0]), Is.EqualTo(("lighthouse", "10.100.0.1/16")));
        Assert.That(Fingerprint(ws, $"pki/ca.retired-{oldCa[..12]}.crt"), Is.EqualTo(oldCa), "the old CA is kept, not deleted");
        Assert.That(File.Exists(Path.Combine(ws.Root, $"pki/ca.retired-{oldCa[..12]}.key")), Is.True);
        Assert.That(ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(ws.Workspace.BundleDirectory("host-b"), "host.crt")).Issuer, Is.EqualTo(newCa));
        Assert.That(CasIn(BundleFile(ws, "host-b", "ca.crt")), Is.EqualTo(2), "hosts the old CA signed may still be met");

        // Phase 4: only the new CA is trusted; the lighthouse's step is printed, nothing waits any more.
        ws.Log.Lines.Clear();
        var done = ws.ControlPlane().RotateCa(manualStepsDone: true);
        Assert.That(done.Finished, Is.Not.Null);
        Assert.That(BundleFile(ws, "host-c", "ca.crt"), Is.EqualTo(File.ReadAllText(Path.Combine(ws.Root, "pki/ca.crt"))));
        Assert.That(CasIn(File.ReadAllText(Path.Combine(ws.Root, "artifacts/lighthouses/lighthouse/ca.crt"))), Is.EqualTo(1));
        Assert.That(ws.Log.Lines, Has.Some.Contains("RotateCa: by hand: lighthouse: copy ").And.Some.Contains("artifacts/lighthouses/lighthouse/ca.crt (only the new CA now)"));
        Assert.That(ws.Log.Lines, Has.Some.StartsWith("RotateCa: done in ").And.Some.Contains($"pki/ca.retired-{oldCa[..12]}.crt and "));
        Assert.That(ws.ControlPlane().CheckCerts(30).Select(r => r.Name), Has.Member("host-a"));

        // Finished: a re-run changes nothing; another rotation needs --start-new.
        ws.Log.Lines.Clear();
        ws.ControlPlane().RotateCa();
        Assert.That(ws.Log.Lines, Has.Some.Contains("nothing to do. --start-new begins another rotation"));
        Assert.That(Fingerprint(ws, "pki/ca.crt"), Is.EqualTo(newCa));
    }

    [Test]
    public void AHostTheOldCaSignedStaysPackableUntilItsTurnInPhase3()
    {
        using var ws = HandDeployedFleet();
        var oldCa = Fingerprint(ws, "pki/ca.crt");
        Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa());
        // Phase 3 under way (as after an interrupted run): the new CA signs, host-a still carries the old CA's certificate.
        var state = CaRotationState.Load(Path.Combine(ws.Root, "hosts"))!;
        (state with { Phase = 3, WaitingForManualSteps = null }).Save(Path.Combine(ws.Root, "hosts"));
        File.Move(Path.Combine(ws.Root, "pki/ca.crt"), Path.Combine(ws.Root, $"pki/ca.retired-{oldCa[..12]}.crt"));
        File.Move(Path.Combine(ws.Root, "pki/ca.key"), Path.Combine(ws.Root, $"pki/ca.retired-{oldCa[..12]}.key"));
        File.Move(Path.Combine(ws.Root, "pki/ca.next.crt"), Path.Combine(ws.Root, "pki/ca.crt"));
        File.Move(Path.Combine(ws.Root, "pki/ca.next.key"), Path.Combine(ws.Root, "pki/ca.key"));

        Assert.DoesNotThrow(() => ws.ControlPlane().PackageBundle("host-a"), "UpdatePeers during phase 3 packs peers the old CA signed");
        Assert.That(ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(ws.Workspace.BundleDirectory("host-a"), "host.crt")).Issuer, Is.EqualTo(oldCa));
        Assert.That(ws.ControlPlane().GenerateCert("host-a").Signed, Is.True, "its turn: GenerateCert re-signs it with the new CA");
    }

    [Test]
    public void CheckCertsNamesRotateCaForACaAboutToExpire()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().InitCa();
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().CheckCerts(400))!;
        Assert.That(e.Message, Does.Contain("CA flatnet-ca").And.Contain("fix: for the CA: ./build.sh --target=RotateCa replaces it without an outage"));
    }

    [Test]
    public void ADamagedRotationRecordIsNamedWithItsFix()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-a");
        File.WriteAllText(ws.HostsFile("ca-rotation.json"), "{ not json");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageBundle("host-a"))!;
        Assert.That(e.Message, Does.Contain("hosts/ca-rotation.json: not a CA rotation's state").And.Contain("fix: restore it from version control"));
    }

    /// <summary>The rotation's record is data, never a path: a fingerprint is 64 hex digits.</summary>
    [Test]
    public void AForgedFingerprintInTheRotationRecordIsRefused()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-a");
        var forged = "/../../../.." + new string('a', 52);
        File.WriteAllText(ws.HostsFile("ca-rotation.json"), $"{{\"old_fingerprint\": \"{forged}\", \"new_fingerprint\": \"{new string('b', 64)}\", \"started\": \"2026-12-01T00:00:00Z\", \"phase\": 3}}");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageBundle("host-a"))!;
        Assert.That(e.Message, Does.Contain("ca-rotation.json").And.Contain("old_fingerprint is not a certificate fingerprint (64 hex digits)"));
        Assert.That(Directory.GetFiles(ws.Root, "ca.*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(ws.Root, f)).Where(f => !f.StartsWith("artifacts")),
            Is.EquivalentTo(new[] { "pki/ca.crt", "pki/ca.key" }), "nothing moved");
    }

    /// <summary>A rotation is done only when ca.crt is its new CA: a record that says so of the old CA is named, not believed.</summary>
    [Test]
    public void ARotationIsDoneOnlyWhenCaCrtIsTheNewCa()
    {
        using var ws = HandDeployedFleet();
        var old = Fingerprint(ws, "pki/ca.crt");
        File.WriteAllText(ws.HostsFile("ca-rotation.json"),
            $"{{\"old_fingerprint\": \"{old}\", \"new_fingerprint\": \"{new string('c', 64)}\", \"started\": \"2026-12-01T00:00:00Z\", \"phase\": 4, \"finished\": \"2026-12-02T00:00:00Z\"}}");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RotateCa())!;
        Assert.That(e.Message, Does.Contain("says the CA was replaced by cccccccccccccccc").And.Contain($"pki/ca.crt is {old[..16]}"));
        Assert.That(e.Message, Does.Contain("fix: "));
    }

    /// <summary>
    /// One edited digit in the record ("waiting_for_manual_steps": 3 at phase 2) made --manual-steps-done skip phase 3:
    /// no host re-signed, and "done" said of the old CA (battery 16). The record is believed only as RotateCa writes it,
    /// and each phase checks the CA files again.
    /// </summary>
    [TestCase("\"waiting_for_manual_steps\": 3", "waiting_for_manual_steps 3 is not the phase under way (2)")]
    [TestCase("\"waiting_for_manual_steps\": 4", "waiting_for_manual_steps 4 is not the phase under way (2)")]
    [TestCase("\"hosts_done\": {\"a\": 1}, \"waiting_for_manual_steps\": 2", "it does not read as expected at $.hosts_done")]
    public void AnEditedRotationRecordNeverSkipsAPhase(string edit, string said)
    {
        using var ws = HandDeployedFleet();
        var old = Fingerprint(ws, "pki/ca.crt");
        Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa());
        var record = ws.HostsFile("ca-rotation.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace("\"waiting_for_manual_steps\": 2", edit));
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RotateCa(manualStepsDone: true))!;
        Assert.That(e.Message, Does.Contain($"hosts/ca-rotation.json: not a CA rotation's state: {said}").And.Not.Contain("System."));
        Assert.That((Fingerprint(ws, "pki/ca.crt"), File.Exists(Path.Combine(ws.Root, "pki/ca.next.crt"))), Is.EqualTo((old, true)), "nothing moved");
    }

    /// <summary>
    /// Phase 3 moves four CA files one by one; a run stopped between two moves left pki/ca.crt retired, and every later
    /// run refused, its fix pointing at a backup (battery 16). Now PackageAll names RotateCa, and RotateCa finishes the move.
    /// </summary>
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void APhase3StoppedBetweenItsMovesIsFinishedByTheNextRotateCa(int movesDone)
    {
        using var ws = HandDeployedFleet();
        var old = Fingerprint(ws, "pki/ca.crt");
        Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa());
        var newCa = Fingerprint(ws, "pki/ca.next.crt");
        var record = ws.HostsFile("ca-rotation.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace("\"phase\": 2", "\"phase\": 3").Replace(",\n  \"waiting_for_manual_steps\": 2", ""));
        var pki = Path.Combine(ws.Root, "pki");
        var moves = new[] { ("ca.crt", $"ca.retired-{old[..12]}.crt"), ("ca.key", $"ca.retired-{old[..12]}.key"), ("ca.next.crt", "ca.crt"), ("ca.next.key", "ca.key") };
        foreach (var (from, to) in moves.Take(movesDone)) File.Move(Path.Combine(pki, from), Path.Combine(pki, to));

        var packing = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(packing.Message, Does.Contain("the run that moves its new CA in was stopped before it was done").And.Contain("fix: run ./build.sh --target=RotateCa: it finishes the move"));
        var resumed = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa())!;
        Assert.That(resumed.Message, Does.StartWith("RotateCa: phase 3 of 4 (re-sign every host with the new CA) done"));
        Assert.That((Fingerprint(ws, "pki/ca.crt"), Fingerprint(ws, $"pki/ca.retired-{old[..12]}.crt")), Is.EqualTo((newCa, old)));
        Assert.That(Directory.GetFiles(pki, "ca.*").Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "ca.crt", "ca.key", $"ca.retired-{old[..12]}.crt", $"ca.retired-{old[..12]}.key" }.Order()));
    }

    /// <summary>
    /// Battery 17: a ca.retired-* planted in phase 2 (its name is public: the old CA's fingerprint) was taken for a move
    /// already made, so the keys moved and the certificates did not, and every later run looped on a fix that could not
    /// work. A file no stopped move leaves is named before anything moves.
    /// </summary>
    [TestCase("garbage.crt", "it is not the old CA")]
    [TestCase("old.crt", "pki/ca.crt is still there, and a move leaves one of the two, never both")]
    [TestCase("old.key", "pki/ca.key is still there, and a move leaves one of the two, never both")]
    public void APlantedRetiredCaFileStopsPhase3BeforeAnythingMoves(string planted, string said)
    {
        using var ws = HandDeployedFleet();
        var old = Fingerprint(ws, "pki/ca.crt");
        Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa());
        var pki = Path.Combine(ws.Root, "pki");
        var target = Path.Combine(pki, $"ca.retired-{old[..12]}.{(planted.EndsWith(".key") ? "key" : "crt")}");
        if (planted == "garbage.crt") File.WriteAllText(target, "not a CA\n");
        else File.Copy(Path.Combine(pki, planted.EndsWith(".key") ? "ca.key" : "ca.crt"), target);
        var before = Directory.GetFiles(pki, "ca.*").ToDictionary(f => f, File.ReadAllBytes);

        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RotateCa(manualStepsDone: true))!;
        Assert.That(e.Message, Does.Contain($"ca.retired-{old[..12]}").And.Contain("is not a file RotateCa moved there").And.Contain(said).And.Contain("nothing was moved"));
        Assert.That(Directory.GetFiles(pki, "ca.*").ToDictionary(f => f, File.ReadAllBytes), Is.EquivalentTo(before), "nothing moved");

        File.Delete(target); // as the fix says
        var resumed = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa())!;
        Assert.That(resumed.Message, Does.StartWith("RotateCa: phase 3 of 4 (re-sign every host with the new CA) done"));
    }

    /// <summary>Battery 19: another's certificate copied over pki/ca.next.crt in phase 2 was trusted by every bundle as the rotation's new CA.</summary>
    [Test]
    public void OnlyTheCaTheRecordNamesIsTrustedBesideTheOldOne()
    {
        using var ws = HandDeployedFleet();
        Assert.Throws<FlatnetException>(() => ws.ControlPlane().RotateCa());
        var other = Directory.CreateDirectory(Path.Combine(ws.Root, "other-ca")).FullName;
        global::Flatnet.Processes.ProcessRunner.Run("nebula-cert", ["ca", "-name", "someone else", "-out-crt", "ca.crt", "-out-key", "ca.key"], other).EnsureSuccess("nebula-cert ca");
        File.Copy(Path.Combine(other, "ca.crt"), Path.Combine(ws.Root, "pki", "ca.next.crt"), overwrite: true);
        ws.Edit("host-a.yaml", "groups:", "groups: [flatnet, build]"); // a change, so PackageAll packs
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain("pki/ca.next.crt is ").And.Contain("not the CA ca-rotation.json names"));
        Assert.That(CasIn(BundleFile(ws, "host-a", "ca.crt")), Is.EqualTo(2), "the bundle is still the one with the rotation's own two CAs");
    }

    /// <summary>The example inventory with every host installed by hand (deploy.transport none), packed once: nothing is sent anywhere.</summary>
    private static TestWorkspace HandDeployedFleet()
    {
        var ws = new TestWorkspace();
        foreach (var h in new[] { "host-a", "host-b", "host-c" }) ws.Edit($"{h}.yaml", "transport:", "  transport: none");
        ws.ControlPlane().PackageAll();
        return ws;
    }

    private static string Fingerprint(TestWorkspace ws, string crt) => ws.ControlPlane().Context.NebulaCert.Print(Path.Combine(ws.Root, crt)).Fingerprint;

    private static string BundleFile(TestWorkspace ws, string host, string file) => File.ReadAllText(Path.Combine(ws.Workspace.BundleDirectory(host), file));

    private static int CasIn(string pem) => Regex.Matches(pem, "-----BEGIN NEBULA CERTIFICATE").Count;
}
