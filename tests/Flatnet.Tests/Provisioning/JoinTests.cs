namespace Flatnet.Tests;

/// <summary>
/// Join: a new PC joins from its own console. On the build machine Join writes the host's file (next free index) and
/// a join script carrying the deploy key; the PC's reply line pins its host key, address and account; then Plan
/// accepts the inventory and AddHost can reach the host.
/// </summary>
public class JoinTests
{
    /// <summary>A deploy key of the test's own, named by the host file so the build machine's ~/.ssh is never read.</summary>
    private static string DeployKey(TestWorkspace ws)
    {
        var key = Path.Combine(ws.Root, "deploy_ed25519");
        if (!File.Exists(key)) SshKeygen.Ed25519(key, "test-deploy");
        var pub = File.ReadAllText(key + ".pub").Split(' ');
        return $"{pub[0]} {pub[1]} flatnet-deploy";
    }

    /// <summary>A home of the test's whose ~/.ssh holds the deploy key's public half, as ssh would pick it.</summary>
    private static string HomeWithDeployKey(TestWorkspace ws)
    {
        DeployKey(ws);
        var home = Directory.CreateDirectory(Path.Combine(ws.Root, "home", ".ssh")).Parent!.FullName;
        File.Copy(Path.Combine(ws.Root, "deploy_ed25519.pub"), Path.Combine(home, ".ssh", "id_ed25519.pub"), overwrite: true);
        return home;
    }

    /// <summary>host-d's file, as a person starts it, and its join script (used by the Pester test of join.ps1).</summary>
    public static (string Script, string Key) RenderJoin(TestWorkspace ws, string os = "windows")
    {
        var key = DeployKey(ws);
        ws.Write("host-d.yaml", $"name: host-d\nindex: 4\nos: {os}\nwsl: {(os == "windows" ? "true" : "false")}\ndeploy:\n  transport: ssh\n  address: \"\"\n  user: flatnet\n  identity: {Path.Combine(ws.Root, "deploy_ed25519")}\n");
        var outcome = ws.ControlPlane().Join("host-d");
        return (outcome.Script!, key);
    }

    [Test]
    public void AHostFileIsMadeWithTheNextFreeIndexAndTheScriptCarriesTheDeployKey()
    {
        using var ws = new TestWorkspace();
        var key = DeployKey(ws);
        // The account's own ~/.ssh, as ssh would pick its key: a home of the test's.
        var home = Directory.CreateDirectory(Path.Combine(ws.Root, "home", ".ssh")).Parent!.FullName;
        File.Copy(Path.Combine(ws.Root, "deploy_ed25519.pub"), Path.Combine(home, ".ssh", "id_ed25519.pub"));
        // host-e does not exist: Join makes it, index 4 (after host-c's 3); the key is the one this machine would use.
        var outcome = ws.ControlPlane().Join("host-e", "192.168.1.40", home: home);
        Assert.That(File.ReadAllText(outcome.Script!), Does.Contain($"$DeployKey = '{key}'"));
        var file = File.ReadAllText(outcome.HostFile);
        Assert.That(file, Does.Contain("name: host-e\nindex: 4\nos: windows\nwsl: true\n").And.Contain("address: \"192.168.1.40\""));
        Assert.That(outcome.Script, Does.EndWith("artifacts/join/host-e/join.ps1"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\join.ps1"));

        var (script, deploy) = RenderJoin(ws);
        Assert.That(File.ReadAllText(script), Does.Contain($"$DeployKey = '{deploy}'").And.Contain("$HostName = 'host-d'"));
        Assert.That(File.ReadAllText(script), Does.Not.Contain("PRIVATE KEY"), "only the public half travels");
        Assert.That(key, Is.EqualTo(deploy));

        // Battery 9: Join again writes nothing when the script is the same; a folder where a new host's script goes stops it before its file is made.
        var written = File.GetLastWriteTimeUtc(outcome.Script!);
        Thread.Sleep(20);
        ws.ControlPlane().Join("host-e", "192.168.1.40", home: home);
        Assert.That(File.GetLastWriteTimeUtc(outcome.Script!), Is.EqualTo(written));
        Directory.CreateDirectory(Path.Combine(ws.Workspace.ArtifactsDirectory, "join", "host-f", "join.ps1"));
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().Join("host-f", "192.168.1.41", home: home))!;
        Assert.That(e.Message, Does.Contain("artifacts/join/host-f/join.ps1 is a folder of yours where Join writes the join script; nothing was written"));
        Assert.That(e.Message.Split("artifacts/join/host-f/join.ps1").Length, Is.EqualTo(2), "the path said once (battery 29)");
        Assert.That(File.Exists(ws.HostsFile("host-f.yaml")), Is.False);
    }

    [Test]
    public void TheReplyPinsHostKeyAddressAndAccountAndThenPlanAcceptsTheHost()
    {
        using var ws = new TestWorkspace();
        RenderJoin(ws);
        // Awaiting its reply, host-d is pending: named, left out of the fleet, and it blocks nothing.
        var pending = global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory);
        Assert.That(pending.Active.Select(h => h.Name), Does.Not.Contain("host-d"));
        Assert.That(pending.Hosts.Single(h => h.Name == "host-d").Host.Deploy.AwaitingJoin, Is.True);
        _ = ws.ControlPlane().Context.Plan;
        Assert.That(ws.Log.Lines.Count(l => l.Contains("awaiting their join reply")), Is.EqualTo(1), "said once, for every pending host");
        Assert.That(ws.Log.Lines, Has.Some.StartWith("pending, awaiting their join reply (fleet targets leave them out): host-d;"));
        Assert.That(Assert.Throws<UsageError>(() => new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-d"))).Run(new DeployHostTask()))!.Message,
            Does.StartWith("--host: host-d awaits its join reply"));

        const string reply = "flatnet-join host=host-d host_key=SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s address=192.168.1.23 user=kh wsl_user=kh wsl=2.3.26.0 build=22631";
        var pinned = ws.ControlPlane().JoinReply("host-d", reply).Pinned;
        Assert.That(pinned, Is.EqualTo(new[] { "address 192.168.1.23", "user kh", "host key SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s" }));
        var host = global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory).Host("host-d").Host;
        Assert.That((host.Deploy.Address, host.Deploy.User, host.Deploy.HostKey), Is.EqualTo(("192.168.1.23", "kh", "SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s")));
        Assert.That(ws.Log.Lines, Has.Some.Contains("next: ./build.sh --target=AddHost --host=host-d"));
        Assert.That(ws.ControlPlane().JoinReply("host-d", reply).Pinned, Is.Empty, "the same reply again changes nothing");
    }

    [Test]
    public void AReplyThatIsNotThisHostsOrNotAReplyIsRefused()
    {
        using var ws = new TestWorkspace();
        RenderJoin(ws);
        Assert.That(Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d", "hello"))!.Message, Does.StartWith("--reply: is not a join script's reply"));
        Assert.That(Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d", "flatnet-join host=host-e host_key=SHA256:x address=1.2.3.4 user=a"))!.Message,
            Does.StartWith("--reply: is host-e's reply, not host-d's"));
        var e = Assert.Throws<UsageErrors>(() => ws.ControlPlane().JoinReply("host-d", "flatnet-join host=host-d host_key=nope address=a;b"))!;
        Assert.That(e.Errors.Select(x => x.Problem), Has.Some.StartWith("host_key: ").And.Some.StartWith("address: ").And.Some.StartWith("has no user="));
        Assert.That(e.Message, Does.StartWith("3 arguments that Join cannot use (in its --reply)"), "fields of the reply, not arguments Join does not read");
        // Three numbers are no IPv4 address (.NET would read 192.168.77 as 192.168.0.77).
        var three = Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d", "flatnet-join host=host-d host_key=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA address=192.168.77 user=a"))!;
        Assert.That(three.Message, Does.Contain("address: '192.168.77' is not a host name or IPv4 address"));
        // A field given twice is no reply join.ps1 prints (it was a .NET message: "An item with the same key...").
        Assert.That(Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d", "flatnet-join host=host-d user=a user=b"))!.Message,
            Does.StartWith("--reply: names user= twice"));
        Assert.That(Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d", "flatnet-join host=host-d HOST=host-a user=a"))!.Message,
            Does.StartWith("--reply: names HOST= twice").Or.StartWith("--reply: names host= twice"), "HOST= beside host= is an edited reply");
        // Battery 12: not-an-address=127.0.0.1 was read as address=127.0.0.1; a word that is no field is named.
        Assert.That(Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d",
                "flatnet-join host=host-d host_key=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA not-an-address=127.0.0.1 user=a"))!.Message,
            Does.StartWith("--reply: has 'not-an-address=127.0.0.1', which is no field of a join script's reply"));
        // Battery 24: a field of the right shape but no join script's (wsl_usr=, a typo) was dropped without a word.
        var typo = Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d",
            "flatnet-join host=host-d host_key=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA address=127.0.0.1 user=a wsl_usr=office"))!;
        Assert.That(typo.Message, Does.Contain("wsl_usr: is no field of a join script's reply (host, host_key, address, user, wsl_user, wsl, build)"));
        Assert.That(File.ReadAllText(ws.HostsFile("host-d.yaml")), Does.Not.Contain("127.0.0.1"), "nothing pinned");
    }

    /// <summary>
    /// Battery 26: a link where Join writes the join script was refused, after hosts/NAME.yaml had been written; Join
    /// writes all or nothing, whatever stops it after the host's file is made.
    /// </summary>
    [Test]
    public void ALinkWhereTheJoinScriptGoesStopsJoinBeforeTheHostsFileIsWritten()
    {
        using var ws = new TestWorkspace();
        var home = HomeWithDeployKey(ws);
        ws.ControlPlane().PackageAll(); // the artifacts are flatnet's
        var victim = Directory.CreateDirectory(Path.Combine(ws.Root, "victim")).FullName;
        Directory.CreateDirectory(Path.Combine(ws.Root, "artifacts", "join"));
        Directory.CreateSymbolicLink(Path.Combine(ws.Root, "artifacts", "join", "pc-2"), victim);

        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().Join("pc-2", "192.168.1.42", home: home))!;

        Assert.That(e.Message, Does.Contain("artifacts/join/pc-2 is a link, not a folder of flatnet's, where Join writes the join script; nothing was written"));
        Assert.That(e.Fix, Does.StartWith("remove the link (rm ").And.Contain("artifacts/join/pc-2), then run Join again"));
        Assert.That(File.Exists(ws.HostsFile("pc-2.yaml")), Is.False, "all or nothing");
        Assert.That(Directory.GetFileSystemEntries(victim), Is.Empty);
    }

    /// <summary>Without a key on this machine, Join writes nothing, and its refusal names no file it took back.</summary>
    [Test]
    public void WithoutAKeyJoinWritesNothingAndNamesNoFileItTookBack()
    {
        using var ws = new TestWorkspace();
        var home = Directory.CreateDirectory(Path.Combine(ws.Root, "empty-home")).FullName;
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().Join("pc-9", home: home))!;
        Assert.That(e.Message, Does.StartWith("pc-9: no SSH key on this machine").And.Contain("nothing was written").And.Contain("fix: make one: ssh-keygen -t ed25519"));
        Assert.That(e.Message, Does.Not.StartWith("hosts/pc-9.yaml").And.Not.Contain("in the host's file"));
        Assert.That(File.Exists(ws.HostsFile("pc-9.yaml")), Is.False);
    }

    /// <summary>A reply whose LAN address lies inside the mesh (the routed pool, the overlay) is refused, and the host's file stays as it was.</summary>
    [Test]
    public void AReplyWhoseAddressIsInsideTheMeshIsRefusedAndNothingIsWritten()
    {
        using var ws = new TestWorkspace();
        RenderJoin(ws);
        var before = File.ReadAllText(ws.HostsFile("host-d.yaml"));
        var e = Assert.Throws<InventoryProblem>(() => ws.ControlPlane().JoinReply("host-d",
            "flatnet-join host=host-d host_key=SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s address=10.101.2.9 user=kh"))!;
        Assert.That(e.Message, Does.Contain("deploy.address: 10.101.2.9 is inside routed_pool 10.101.0.0/16"));
        Assert.That(File.ReadAllText(ws.HostsFile("host-d.yaml")), Is.EqualTo(before));
    }

    /// <summary>A reply pinned while another host's file is broken said "nothing was written": it says what it wrote, and what is left.</summary>
    [Test]
    public void AReplyPinnedBesideAnotherBrokenHostSaysWhatItWroteAndWhatIsLeft()
    {
        using var ws = new TestWorkspace();
        RenderJoin(ws);
        ws.Edit("host-a.yaml", "index:", "index: nine");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().JoinReply("host-d",
            "flatnet-join host=host-d host_key=SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s address=192.168.1.23 user=kh"))!;
        Assert.That(e.Message, Does.StartWith("host-d: the reply is pinned in").And.Contain("still has 1 problem(s) before AddHost can run").And.Contain("host-a.yaml"));
        Assert.That(e.Message, Does.Not.Contain("nothing was written"));
        Assert.That(File.ReadAllText(ws.HostsFile("host-d.yaml")), Does.Contain("192.168.1.23"));
    }

    /// <summary>A reply file is read up to 64 KiB: `--reply=/dev/zero` took 5.6 GB in 10 s.</summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AReplyFileIsReadOnlyAsFarAsAReplyGoes()
    {
        using var ws = new TestWorkspace();
        RenderJoin(ws);
        var e = Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d", "/dev/zero"))!;
        Assert.That(e.Message, Does.Contain("/dev/zero is a character special file, not a regular file: it is not read"));
        var huge = Path.Combine(ws.Root, "reply.txt");
        File.WriteAllText(huge, new string('x', 70 * 1024));
        e = Assert.Throws<UsageError>(() => ws.ControlPlane().JoinReply("host-d", huge))!;
        Assert.That(e.Message, Does.Contain("is longer than a join script's output (64 KiB at most)"));
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void TheLinuxJoinScriptIsPlainShAndCarriesTheKey()
    {
        using var ws = new TestWorkspace();
        var (script, key) = RenderJoin(ws, "linux");
        Assert.That(script, Does.EndWith("join.sh"));
        Assert.That(File.ReadAllText(script), Does.StartWith("#!/bin/sh").And.Contain($"DEPLOY_KEY='{key}'"));
        Assert.That(ProcessRunner.Run("sh", ["-n", script]).ExitCode, Is.Zero, "it parses as POSIX sh");
    }
    /// <summary>Battery 30: a host joined but never given its reply could not be removed (RemoveHost asked for the fingerprint of a certificate that never was).</summary>
    [Test]
    public void AHostAwaitingItsReplyIsRemovedWithNothingToRevoke()
    {
        using var ws = new TestWorkspace();
        var home = HomeWithDeployKey(ws);
        ws.ControlPlane().Join("host-e", null, home: home);
        // As the user runs it: the task, whose --host once refused a host awaiting its reply (the whole-path walk).
        new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-e"))).Run(new RemoveHostTask());
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-e: never signed (it awaits its join reply), so there is nothing to revoke or take off it; ./build.sh --target=RemoveHost --host=host-e --delete-inventory deletes"));
        Assert.That(File.Exists(ws.HostsFile("blocklist.txt")) && File.ReadAllText(ws.HostsFile("blocklist.txt")).Contains("host-e"), Is.False, "nothing revoked");
        new ControlPlane(ws.Workspace, ws.Log, TaskArguments.Of(("host", "host-e"), ("delete-inventory", "true"))).Run(new RemoveHostTask());
        Assert.That(File.Exists(ws.HostsFile("host-e.yaml")), Is.False);
        Assert.That(ws.ControlPlane().DescribePlan(), Does.Not.Contain("host-e"));
    }
    /// <summary>Battery 32: a file of the user's where Join writes a new host's script was replaced by it.</summary>
    [Test]
    public void AFileOfTheUsersWhereTheJoinScriptGoesIsNeverReplaced()
    {
        using var ws = new TestWorkspace();
        var home = HomeWithDeployKey(ws);
        ws.ControlPlane().PackageAll(); // the artifacts are flatnet's
        var script = Path.Combine(ws.Workspace.ArtifactsDirectory, "join", "host-e", "join.ps1");
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.WriteAllText(script, "# my own notes\n");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().Join("host-e", "192.168.1.40", home: home))!;
        Assert.That(e.Message, Does.Contain("join/host-e/join.ps1 is a file of yours where flatnet writes its own"));
        Assert.That(File.ReadAllText(script), Is.EqualTo("# my own notes\n"));
        Assert.That(File.Exists(ws.HostsFile("host-e.yaml")), Is.False, "Join writes all or nothing");
        Assert.That(ws.Log.Lines, Has.None.Contains("wrote hosts/host-e.yaml"), "nothing said written that was taken back");

        // A file naming flatnet's words further down is still the user's; flatnet's own, changed, is written again.
        File.WriteAllText(script, string.Concat(Enumerable.Repeat("# my own notes\n", 12)) + "# Rendered by flatnet-automation (copied here)\n");
        Assert.Throws<StateConflict>(() => ws.ControlPlane().Join("host-e", "192.168.1.40", home: home));
        File.Delete(script);
        ws.ControlPlane().Join("host-e", "192.168.1.40", home: home);
        File.AppendAllText(script, "# an older render\n");
        Assert.DoesNotThrow(() => ws.ControlPlane().Join("host-e", "192.168.1.40", home: home));
        Assert.That(File.ReadAllText(script), Does.Not.Contain("an older render"));
    }
}
