namespace Flatnet.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class SafeFilesTests
{
    [Test]
    public void AFolderFlatnetDidNotMakeIsNeverDeletedWhole()
    {
        using var ws = new TestWorkspace();
        var foreign = Path.Combine(ws.Root, "someone-elses");
        Directory.CreateDirectory(Path.Combine(foreign, ".git"));
        File.WriteAllText(Path.Combine(foreign, "precious.txt"), "keep me");

        var e = Assert.Throws<FlatnetException>(() => SafeFiles.DeleteOwnedDirectory(foreign))!;
        Assert.That(e.Message, Does.Contain("was not made by flatnet, so it is not deleted"));
        Assert.That(File.ReadAllText(Path.Combine(foreign, "precious.txt")), Is.EqualTo("keep me"));

        var owned = Path.Combine(ws.Root, "ours");
        SafeFiles.CreateOwnedDirectory(owned);
        File.WriteAllText(Path.Combine(owned, "scratch"), "x");
        SafeFiles.DeleteOwnedDirectory(owned);
        Assert.That(Directory.Exists(owned), Is.False);
    }

    [Test]
    [Category("Lab")] // the lab clears namespaces an earlier lab left: never beside a running lab
    public void TheLabRefusesToClearAFolderItDidNotMake()
    {
        using var ws = new TestWorkspace();
        var lab = Path.Combine(ws.Root, "lab");
        Directory.CreateDirectory(lab);
        File.WriteAllText(Path.Combine(lab, "notes.txt"), "mine");
        var e = Assert.Throws<FlatnetException>(() => global::Flatnet.Lab.LabNetwork.Build(ws.Workspace, lab, ws.Log))!;
        Assert.That(e.Message, Does.Contain("was not made by flatnet"));
        Assert.That(File.Exists(Path.Combine(lab, "notes.txt")), Is.True);
    }

    [Test]
    public void ArtifactsCannotBeTheRepositoryNorHoldTheInventory()
    {
        using var ws = new TestWorkspace();
        var e = Assert.Throws<FlatnetException>(() => Workspace.At(ws.Root, artifacts: "."))!;
        Assert.That(e.Message, Does.Contain("--artifacts:").And.Contain("is the repository").And.Contain("fix: keep them apart"));
        e = Assert.Throws<FlatnetException>(() => Workspace.At(ws.Root, inventory: "artifacts/hosts"))!;
        Assert.That(e.Message, Does.Contain("one holds the other"));
    }

    [Test]
    public void AForeignFolderAsArtifactsIsRefusedAndKeepsEverything()
    {
        using var ws = new TestWorkspace();
        var home = Path.Combine(ws.Root, "home");
        Directory.CreateDirectory(Path.Combine(home, "render"));
        File.WriteAllText(Path.Combine(home, "render", "thesis.tex"), "mine");
        File.WriteAllText(Path.Combine(home, ".bashrc"), "mine");
        var control = new ControlPlane(ws.Workspace with { ArtifactsDirectory = home }, ws.Log);
        var e = Assert.Throws<FlatnetException>(() => control.RenderAll())!;
        Assert.That(e.Message, Does.Contain("already holds things flatnet did not make (.bashrc)"));
        Assert.That(File.ReadAllText(Path.Combine(home, "render", "thesis.tex")), Is.EqualTo("mine"));
    }

    [Test]
    public void ASecretIsNeverPutInASharedFolderAndTheFolderKeepsItsMode()
    {
        using var ws = new TestWorkspace();
        var shared = Path.Combine(ws.Root, "shared");
        Directory.CreateDirectory(shared);
        var sticky = (UnixFileMode)0b1_111_111_111; // 1777, like /tmp
        File.SetUnixFileMode(shared, sticky);
        ws.Edit("network.yaml", "key:", $"  key: {shared}/ca.key");
        // Refused before anything is written: every writing run checks the CA key's folder (and those above it) first.
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().InitCa())!;
        Assert.That(e.Message, Does.Contain("mode 1777"));
        Assert.That(File.GetUnixFileMode(shared), Is.EqualTo(sticky));
        Assert.That(Directory.GetFileSystemEntries(shared), Is.Empty);
    }

    /// <summary>A file that may hold a key is owner-only from its first byte, and registered so a stopped run deletes it.</summary>
    [Test]
    public void ASecretIsOwnerOnlyFromItsFirstByteAndItsTemporaryFileIsRegistered()
    {
        using var ws = new TestWorkspace();
        var path = Path.Combine(ws.Root, "artifacts", "bundles", "host-a.zip");
        UnixFileMode? modeBeforeWriting = null;
        var registered = false;
        SafeFiles.WriteFile(path, temp =>
        {
            modeBeforeWriting = File.Exists(temp) ? File.GetUnixFileMode(temp) : null;
            registered = TempFolders.IsRegistered(temp);
            File.WriteAllBytes(temp, [1, 2, 3]);
        }, secret: true);
        Assert.That(modeBeforeWriting, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "made owner-only before any byte is written");
        Assert.That(registered, Is.True, "a stopped run deletes it on its way out");
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    /// <summary>A replaced folder keeps what flatnet did not put there, and says so.</summary>
    [Test]
    public void AReplacedFolderKeepsWhatFlatnetDidNotPutThere()
    {
        using var ws = new TestWorkspace();
        SafeFiles.ClaimArtifacts(ws.Workspace.ArtifactsDirectory);
        var target = Path.Combine(ws.Workspace.ArtifactsDirectory, "lighthouses", "lighthouse");
        SafeFiles.ReplaceDirectory(target, dir => File.WriteAllText(Path.Combine(dir, "config.yaml"), "one"));
        File.WriteAllText(Path.Combine(target, "operator-notes.txt"), "mine");
        SafeFiles.ReplaceDirectory(target, dir => File.WriteAllText(Path.Combine(dir, "config.yaml"), "two"), ws.Log);
        Assert.That(File.ReadAllText(Path.Combine(target, "config.yaml")), Is.EqualTo("two"));
        Assert.That(File.ReadAllText(Path.Combine(target, "operator-notes.txt")), Is.EqualTo("mine"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("operator-notes.txt").And.Some.Contains("not flatnet's"));
    }

    /// <summary>At every depth: a file the user put in a subfolder flatnet writes survives the replacement too.</summary>
    [Test]
    public void AReplacedFolderKeepsAtEveryDepthWhatFlatnetDidNotWrite()
    {
        using var ws = new TestWorkspace();
        SafeFiles.ClaimArtifacts(ws.Workspace.ArtifactsDirectory);
        var target = Path.Combine(ws.Workspace.ArtifactsDirectory, "hosts", "h3", "bundle");
        void Fill(string dir, string text)
        {
            Directory.CreateDirectory(Path.Combine(dir, "scripts"));
            File.WriteAllText(Path.Combine(dir, "config.yaml"), text);
            File.WriteAllText(Path.Combine(dir, "scripts", "install.sh"), text);
        }
        SafeFiles.ReplaceDirectory(target, d => Fill(d, "one"));
        File.WriteAllText(Path.Combine(target, "scripts", "extra.sh"), "mine");
        File.WriteAllText(Path.Combine(target, "keep.txt"), "notes");
        SafeFiles.ReplaceDirectory(target, d => Fill(d, "two"), ws.Log);
        Assert.That(File.ReadAllText(Path.Combine(target, "scripts", "install.sh")), Is.EqualTo("two"));
        Assert.That(File.ReadAllText(Path.Combine(target, "scripts", "extra.sh")), Is.EqualTo("mine"));
        Assert.That(File.ReadAllText(Path.Combine(target, "keep.txt")), Is.EqualTo("notes"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("scripts/extra.sh is not flatnet's; left as it is"));
        // What flatnet no longer writes goes; the user's file stays.
        SafeFiles.ReplaceDirectory(target, d => File.WriteAllText(Path.Combine(d, "config.yaml"), "three"), ws.Log);
        Assert.That(File.Exists(Path.Combine(target, "scripts", "install.sh")), Is.False);
        Assert.That(File.ReadAllText(Path.Combine(target, "scripts", "extra.sh")), Is.EqualTo("mine"));
    }

    /// <summary>A forged listing ("../../victim", "/abs/victim") made the in-place update delete files anywhere (battery 6).</summary>
    [Test]
    public void AForgedListingNeverDeletesAnythingOutsideTheFolder()
    {
        using var ws = new TestWorkspace();
        SafeFiles.ClaimArtifacts(ws.Workspace.ArtifactsDirectory);
        var target = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "h3");
        SafeFiles.ReplaceDirectory(target, d => File.WriteAllText(Path.Combine(d, "config.yaml"), "one"));
        File.WriteAllText(Path.Combine(target, "keep.txt"), "mine"); // the user's: the update is in place
        var victim = Path.Combine(ws.Root, "victim");
        File.WriteAllText(victim, "precious");
        var listing = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", ".h3.flatnet");
        File.WriteAllText(listing, $"config.yaml\n../../../victim\n{victim}\n");

        // A listing whose lines are no paths below the folder is not flatnet's (battery 33): the update stops, named.
        Assert.Throws<StateConflict>(() => SafeFiles.ReplaceDirectory(target, d => File.WriteAllText(Path.Combine(d, "config.yaml"), "two"), ws.Log));

        Assert.That(File.ReadAllText(victim), Is.EqualTo("precious"));
        Assert.That(File.ReadAllText(Path.Combine(target, "keep.txt")), Is.EqualTo("mine"));
        Assert.That(File.ReadAllText(Path.Combine(target, "config.yaml")), Is.EqualTo("one"));
    }

    /// <summary>A user's folder where flatnet writes a file stopped the update half-way in .NET's words, claiming nothing was kept (battery 6).</summary>
    [Test]
    public void AUsersFolderWhereFlatnetWritesAFileStopsTheUpdateBeforeAnythingMoves()
    {
        using var ws = new TestWorkspace();
        SafeFiles.ClaimArtifacts(ws.Workspace.ArtifactsDirectory);
        var target = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "h4");
        void Fill(string dir, string text)
        {
            File.WriteAllText(Path.Combine(dir, "README.md"), text);
            File.WriteAllText(Path.Combine(dir, "config.yaml"), text);
        }
        SafeFiles.ReplaceDirectory(target, d => Fill(d, "one"));
        File.WriteAllText(Path.Combine(target, "keep.txt"), "mine");
        File.Delete(Path.Combine(target, "config.yaml"));
        Directory.CreateDirectory(Path.Combine(target, "config.yaml"));

        var e = Assert.Throws<StateConflict>(() => SafeFiles.ReplaceDirectory(target, d => Fill(d, "two"), ws.Log))!;

        Assert.That(e.Message, Does.Contain("config.yaml is a folder of yours where flatnet writes a file; nothing was changed"));
        Assert.That(File.ReadAllText(Path.Combine(target, "README.md")), Is.EqualTo("one"), "nothing moved");
        Assert.That(File.ReadAllText(Path.Combine(target, "keep.txt")), Is.EqualTo("mine"));
    }

    /// <summary>Battery 11: a link in place of a folder flatnet writes into was refused only half-way, the files before it already new.</summary>
    [Test]
    public void ALinkWhereFlatnetWritesIntoAFolderStopsTheUpdateBeforeAnythingMoves()
    {
        using var ws = new TestWorkspace();
        SafeFiles.ClaimArtifacts(ws.Workspace.ArtifactsDirectory);
        var target = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "h5");
        void Fill(string dir, string text)
        {
            File.WriteAllText(Path.Combine(dir, "README.md"), text);
            Directory.CreateDirectory(Path.Combine(dir, "scripts"));
            File.WriteAllText(Path.Combine(dir, "scripts", "x.sh"), text);
        }
        SafeFiles.ReplaceDirectory(target, d => Fill(d, "one"));
        File.WriteAllText(Path.Combine(target, "keep.txt"), "mine"); // so the folder is updated in place
        var elsewhere = Path.Combine(ws.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        Directory.Delete(Path.Combine(target, "scripts"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(target, "scripts"), elsewhere);

        var e = Assert.Throws<StateConflict>(() => SafeFiles.ReplaceDirectory(target, d => Fill(d, "two"), ws.Log))!;

        Assert.That(e.Message, Does.Contain("scripts is a link, not a folder of flatnet's"));
        Assert.That(File.ReadAllText(Path.Combine(target, "README.md")), Is.EqualTo("one"), "nothing moved, not even the files before the link");
        Assert.That(Directory.GetFileSystemEntries(elsewhere), Is.Empty, "nothing written through it");
    }

    /// <summary>
    /// Battery 17: artifacts/.tmp made first by another account (mode 777) let it swap a signing folder for a link, and
    /// root's nebula-cert wrote the host's key into that account's folder. A folder flatnet finds where it keeps scratch
    /// or secrets is used only when it is this account's alone.
    /// </summary>
    [Test]
    public void AScratchFolderAnotherAccountMadeOrMayWriteIsRefusedAndNothingIsSignedThroughIt()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-b"); // artifacts/ is flatnet's
        var tmp = Path.Combine(ws.Root, "artifacts", ".tmp");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        File.SetUnixFileMode(tmp, (UnixFileMode)0b111_111_111);
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-a"))!;
        Assert.That(e.Message, Does.Contain("another account owns or may write: ").And.Contain("artifacts/.tmp (owner ").And.Contain("mode 777)").And.Contain("fix: make them yours alone"));
        Assert.That(Directory.Exists(ws.Workspace.PkiDirectory("host-a")) ? Directory.GetFiles(ws.Workspace.PkiDirectory("host-a")) : [], Is.Empty, "nothing signed");
        if (Environment.UserName != "root") return; // another account's folder: only root can make one here
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        global::Flatnet.Processes.ProcessRunner.Run("chown", ["65534", tmp]).EnsureSuccess("chown");
        var theirs = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-a"))!;
        Assert.That(theirs.Message, Does.Contain("artifacts/.tmp (owner 65534, mode 700)"));
    }

    /// <summary>
    /// Battery 18: artifacts/bundles owned by another account let it swap a bundle's temporary file for a link between
    /// its creation and its write, and root wrote the bundle, host key included, into that account's file. Every folder
    /// of the artifacts must be this account's, root's or the artifacts' owner's, and none writable by others.
    /// </summary>
    [Test]
    public void AnArtifactsFolderAnotherAccountOwnsOrMayWriteStopsEveryWrite()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var bundles = Path.Combine(ws.Root, "artifacts", "bundles");
        File.SetUnixFileMode(bundles, (UnixFileMode)0b111_111_111);
        ws.Edit("host-b.yaml", "groups:", "groups: [flatnet, build]"); // a change, so PackageAll writes
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain("artifacts: this entry another account owns or may write: ").And.Contain("artifacts/bundles (owner ").And.Contain("mode 777)")
            .And.Contain("fix: make them yours alone (chown -R \"$(id -un)\" '"));
        // Group-writable with the owner's own group (umask 002, as Debian and Ubuntu give each account a group of its
        // own): that group is the account alone, and flatnet's next run takes its own folders (battery 19).
        File.SetUnixFileMode(bundles, (UnixFileMode)0b111_111_101);
        ws.Edit("host-b.yaml", "groups:", "groups: [flatnet]");
        Assert.That(ws.ControlPlane().PackageAll(), Has.Some.Property("Written").True);
        File.SetUnixFileMode(bundles, (UnixFileMode)0b111_101_101);
        if (Environment.UserName != "root") return; // another account's folder: only root can make one here
        global::Flatnet.Processes.ProcessRunner.Run("chown", ["65534", bundles]).EnsureSuccess("chown");
        Assert.That(Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageAll())!.Message, Does.Contain("artifacts/bundles (owner 65534, mode 755)"));
    }

    /// <summary>
    /// Battery 19: an artifacts folder that is a link was checked as the link (find does not enter it), and .tmp was made
    /// in the folder it leads to before anything refused. The folder a link leads to is checked, and those above it.
    /// </summary>
    [Test]
    public void AnArtifactsFolderReachedThroughALinkIsCheckedWhereItLeads()
    {
        using var ws = new TestWorkspace();
        var elsewhere = Directory.CreateDirectory(Path.Combine(ws.Root, "elsewhere")).FullName;
        File.SetUnixFileMode(elsewhere, (UnixFileMode)0b111_111_111);
        if (Directory.Exists(ws.Workspace.ArtifactsDirectory)) Directory.Delete(ws.Workspace.ArtifactsDirectory, recursive: true);
        Directory.CreateSymbolicLink(ws.Workspace.ArtifactsDirectory, elsewhere);
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-a"))!;
        Assert.That(e.Message, Does.Contain("another account owns or may write: ").And.Contain("elsewhere (owner ").And.Contain("mode 777)"));
        Assert.That(Directory.GetFileSystemEntries(elsewhere), Is.Empty, "nothing made where the link leads, .tmp included");
        Assert.That(Assert.Throws<StateConflict>(() => ws.ControlPlane().Status())!.Message, Does.Contain("elsewhere (owner "), "a read-only run keeps scratch there too");

        File.SetUnixFileMode(elsewhere, (UnixFileMode)0b111_101_101);
        Assert.That(Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-a"))!.Message, Does.Contain("artifacts is a link, not a folder of flatnet's: nothing was written through it"),
            "a folder of this account's own behind it: still a link, refused as such");
        Assert.That(Directory.GetFileSystemEntries(elsewhere), Is.Empty, "nothing made there before the link was refused");
    }

    /// <summary>
    /// Battery 20: only folders were checked, through no link and by mode alone. A host file another account could
    /// edit was signed as it said; a template it could edit rendered the scripts hosts run as administrator; a link in
    /// tools/ ran its nebula on the CA's key; an ACL (the mode read 775) let it swap pki/ for a link. Every entry of
    /// the trees a run reads, runs or writes is checked now, through links, ACLs included.
    /// </summary>
    [TestCase("hosts/host-b.yaml", "--inventory")]
    [TestCase("templates/config.yaml.scriban", "templates")]
    [TestCase("artifacts/hosts/host-b/pki/host.crt", "--artifacts")]
    [TestCase("pki/ca.key", "ca.key")]
    public void AFileOthersMayWriteInsideATreeStopsEveryWrite(string file, string field)
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var path = Path.Combine(ws.Root, file);
        var mode = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, mode | UnixFileMode.OtherWrite);
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-a", force: true))!;
        Assert.That(e.Message, Does.Contain("this entry another account owns or may write: ").And.Contain($"{file} (owner 0, mode ").And.Contain("so nothing was written"));
        Assert.That(e.Message, Does.StartWith($"{field}: "), "named by the option or file that names the tree");
        File.SetUnixFileMode(path, mode);
        if (Environment.UserName != "root") return; // another account's file: only root can make one here
        global::Flatnet.Processes.ProcessRunner.Run("chown", ["65534", path]).EnsureSuccess("chown");
        Assert.That(Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageAll())!.Message, Does.Contain($"{file} (owner 65534, mode "));
    }

    /// <summary>Battery 20: a Windows release another account could write shipped its nebula.exe in every bundle, under "no inventory changes".</summary>
    [Test]
    public void AWindowsReleaseOthersMayWriteIsRefusedBeforeItShips()
    {
        using var ws = new TestWorkspace();
        var release = FakeWindowsRelease.Write(Path.Combine(ws.Root, "nebula-windows-amd64.zip"));
        FakeWindowsRelease.UseIn(ws, release);
        File.SetUnixFileMode(release, File.GetUnixFileMode(release) | UnixFileMode.OtherWrite);
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().Release("1.0.0", includeKeys: true))!;
        Assert.That(e.Message, Does.StartWith("nebula.windows.release: ").And.Contain("nebula-windows-amd64.zip (owner 0, mode "));
        Assert.That(Directory.Exists(Path.Combine(ws.Root, "artifacts", "releases")), Is.False);
    }

    /// <summary>Battery 20: a link above --artifacts that another account owns was followed (stat -L): it could point it elsewhere mid-run.</summary>
    [Test]
    public void ALinkAboveATreeIsJudgedByItsOwnOwner()
    {
        using var ws = new TestWorkspace();
        var real = Directory.CreateDirectory(Path.Combine(ws.Root, "real")).FullName;
        var link = Path.Combine(ws.Root, "via");
        Directory.CreateSymbolicLink(link, real);
        var control = new ControlPlane(Workspace.At(ws.Root, artifacts: Path.Combine(link, "artifacts")) with { ToolsDirectory = TestWorkspace.ToolsDirectory }, ws.Log);
        Assert.That(control.GenerateCert("host-a").Signed, Is.True, "a link of this account's own above the artifacts is fine");
        if (Environment.UserName != "root") return; // another account's link: only root can make one here
        global::Flatnet.Processes.ProcessRunner.Run("chown", ["-h", "65534", link]).EnsureSuccess("chown -h");
        var e = Assert.Throws<StateConflict>(() => new ControlPlane(control.Context.Workspace, ws.Log).GenerateCert("host-a", force: true))!;
        Assert.That(e.Message, Does.Contain($"{link} (owner 65534, mode 777)").And.Contain("make each folder or link above it yours or root's"));
    }

    [Test]
    public void ALinkInToolsIsJudgedByWhatItLeadsTo()
    {
        using var ws = new TestWorkspace();
        var tools = Directory.CreateDirectory(Path.Combine(ws.Root, "tools")).FullName;
        var theirs = Directory.CreateDirectory(Path.Combine(ws.Root, "theirs")).FullName;
        File.SetUnixFileMode(theirs, (UnixFileMode)0b111_111_111);
        Directory.CreateDirectory(Path.Combine(tools, "nebula"));
        Directory.CreateSymbolicLink(Path.Combine(tools, "nebula", "1.9.3"), theirs);
        var control = new ControlPlane(ws.Workspace with { ToolsDirectory = tools }, ws.Log);
        var e = Assert.Throws<StateConflict>(() => control.PackageAll())!;
        Assert.That(e.Message, Does.Contain("tools: this entry another account owns or may write: ").And.Contain("tools/nebula/1.9.3 (owner 0, mode 777)"));
        Assert.That(Directory.Exists(ws.Workspace.ArtifactsDirectory), Is.False, "nothing written");
    }

    [Test]
    public void AnAclThatGivesAnotherAccountWriteIsSeenThoughTheModeLooksPrivate()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        var folder = Path.Combine(ws.Root, "artifacts", "hosts", "host-b");
        Acl.GiveWrite(folder, uid: 65534);
        Assert.That(Convert.ToString((int)File.GetUnixFileMode(folder), 8), Is.EqualTo("775"), "the ACL's mask shows as the group's bits");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-b", force: true))!;
        Assert.That(e.Message, Does.Contain("artifacts/hosts/host-b (an ACL gives others a share; mode 775)").And.Contain("setfacl -R -b"));
    }

    /// <summary>
    /// Battery 21: a path that is itself a link (cert_tool, --inventory) was followed and never judged: another account
    /// owning it in a sticky /tmp could point it elsewhere between the check and the use (the CA key was copied by its
    /// nebula-cert). Every link on the way is judged by its own owner.
    /// </summary>
    [Test]
    public void ALinkOnTheWayToATreeIsJudgedByItsOwnOwner()
    {
        using var ws = new TestWorkspace();
        var sticky = Directory.CreateDirectory(Path.Combine(ws.Root, "shared")).FullName;
        File.SetUnixFileMode(sticky, (UnixFileMode)0b1_111_111_111);
        var link = Path.Combine(sticky, "nebula-cert");
        File.CreateSymbolicLink(link, TestWorkspace.Nebula("1.11.0", "nebula-cert"));
        ws.Edit("network.yaml", "nebula:", "nebula:\n  cert_tool: " + link);
        Assert.That(ws.ControlPlane().GenerateCert("host-a").Signed, Is.True, "a link of this account's own in a sticky folder is fine");
        if (Environment.UserName != "root") return; // another account's link: only root can make one here
        global::Flatnet.Processes.ProcessRunner.Run("chown", ["-h", "65534", link]).EnsureSuccess("chown -h");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().GenerateCert("host-a", force: true))!;
        Assert.That(e.Message, Does.StartWith("nebula.cert_tool: ").And.Contain($"{link} (owner 65534, mode 777)"));
    }

    /// <summary>Battery 21: find -xdev left what a link or a mount on another file system holds unchecked (/dev/shm here), and a newline in a path hid a tree's every entry.</summary>
    [Test]
    public void WhatLiesOnAnotherFileSystemOrUnderANameWithANewlineIsCheckedToo()
    {
        using var ws = new TestWorkspace();
        if (!Directory.Exists("/dev/shm")) Assert.Fail("/dev/shm is not here: this test needs a second file system to link to");
        var other = Directory.CreateTempSubdirectory("flatnet-test-").FullName.Replace(Path.GetTempPath().TrimEnd('/'), "/dev/shm");
        Directory.CreateDirectory(other);
        try
        {
            File.WriteAllText(Path.Combine(other, "nebula"), "#!/bin/sh\n");
            File.SetUnixFileMode(Path.Combine(other, "nebula"), (UnixFileMode)0b111_111_111);
            var tools = Directory.CreateDirectory(Path.Combine(ws.Root, "tools", "nebula")).Parent!.FullName;
            Directory.CreateSymbolicLink(Path.Combine(tools, "nebula", "1.9.3"), other);
            var e = Assert.Throws<StateConflict>(() => new ControlPlane(ws.Workspace with { ToolsDirectory = tools }, ws.Log).PackageAll())!;
            Assert.That(e.Message, Does.Contain("tools/nebula/1.9.3/nebula (owner 0, mode 777)"));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }

        var odd = Path.Combine(ws.Root, "in\nventory");
        Directory.Move(Path.Combine(ws.Root, "hosts"), odd);
        File.SetUnixFileMode(Path.Combine(odd, "host-b.yaml"), (UnixFileMode)0b110_110_110);
        var control = new ControlPlane(Workspace.At(ws.Root, inventory: odd) with { ToolsDirectory = TestWorkspace.ToolsDirectory }, ws.Log);
        Assert.That(Assert.Throws<StateConflict>(() => control.PackageAll())!.Message, Does.Contain("host-b.yaml (owner 0, mode 666)"));
    }

    /// <summary>Battery 21: a default ACL on the folder above a new --artifacts gave another account write on all flatnet made there, keys included, before it refused.</summary>
    [Test]
    public void ADefaultAclAboveANewArtifactsFolderIsRefusedBeforeItIsMade()
    {
        using var ws = new TestWorkspace();
        var parent = Directory.CreateDirectory(Path.Combine(ws.Root, "outputs")).FullName;
        Acl.GiveWrite(parent, uid: 65534, "system.posix_acl_default");
        var artifacts = Path.Combine(parent, "artifacts");
        var e = Assert.Throws<StateConflict>(() => new ControlPlane(Workspace.At(ws.Root, artifacts: artifacts) with { ToolsDirectory = TestWorkspace.ToolsDirectory }, ws.Log).PackageAll())!;
        Assert.That(e.Message, Does.Contain("outputs (a default ACL gives others a share of what is made in it)"));
        Assert.That(Directory.Exists(artifacts), Is.False, "nothing made");
    }

    /// <summary>Battery 21: root in a user's own checkout was refused artifacts/.tmp, the user's own folder, though the user owns the whole clone.</summary>
    [Test]
    public void ASudoRunInAUsersOwnCheckoutUsesTheUsersFolders()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().PackageAll();
        if (Environment.UserName != "root") return; // the user's own clone, run as root: only root can make one here
        global::Flatnet.Processes.ProcessRunner.Run("chown", ["-R", "65534", ws.Root]).EnsureSuccess("chown -R");
        Assert.That(ws.ControlPlane().GenerateCert("host-b", force: true).Signed, Is.True);
        Assert.That(ws.ControlPlane().PackageAll(), Has.Some.Property("Written").True);
    }

    /// <summary>
    /// Battery 22: a link inside a tree was judged by where it ended only: through another account's link on the way,
    /// an unpacked release's nebula.exe was pointed at pki/ca.key, which shipped. Each link it leads through is judged too.
    /// </summary>
    [Test]
    public void ALinkInsideATreeIsJudgedByEveryLinkItLeadsThrough()
    {
        using var ws = new TestWorkspace();
        var tools = Directory.CreateDirectory(Path.Combine(ws.Root, "tools", "nebula")).Parent!.FullName;
        var real = Directory.CreateDirectory(Path.Combine(ws.Root, "real-1.9.3")).FullName;
        var open = Directory.CreateDirectory(Path.Combine(ws.Root, "open")).FullName;
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        Directory.CreateSymbolicLink(Path.Combine(open, "nx"), real);
        Directory.CreateSymbolicLink(Path.Combine(tools, "nebula", "1.9.3"), Path.Combine(open, "nx"));
        var e = Assert.Throws<StateConflict>(() => new ControlPlane(ws.Workspace with { ToolsDirectory = tools }, ws.Log).PackageAll())!;
        Assert.That(e.Message, Does.Contain($"{open} (owner 0, mode 777)"), "another account could point open/nx elsewhere at any time");
    }

    /// <summary>Battery 22: a baseline named by hand (--against) that another account could write was believed, and reading runs ran its cert_tool.</summary>
    [Test]
    public void WhatAReadingRunReadsOrRunsIsHeldToTheSameOwners()
    {
        using var ws = new TestWorkspace();
        var release = ws.ControlPlane().Release("1.0.0", includeKeys: true).Path;
        var copy = Path.Combine(ws.Root, "baseline.zip");
        File.Copy(release, copy);
        File.SetUnixFileMode(copy, (UnixFileMode)0b110_110_110);
        Assert.That(Assert.Throws<StateConflict>(() => PlanDiff.Compare(ws.ControlPlane().Context, copy))!.Message, Does.StartWith("--against: ").And.Contain("baseline.zip (owner 0, mode 666)"));

        var tool = Path.Combine(ws.Root, "nebula-cert");
        File.Copy(TestWorkspace.Nebula("1.11.0", "nebula-cert"), tool);
        File.SetUnixFileMode(tool, (UnixFileMode)0b111_111_111);
        ws.Edit("network.yaml", "nebula:", "nebula:\n  cert_tool: " + tool);
        Assert.That(Assert.Throws<StateConflict>(() => ws.ControlPlane().CheckCerts(30))!.Message, Does.Contain("nebula-cert (owner 0, mode 777)"));
    }
    /// <summary>
    /// Battery 23: a reading run (Plan, CheckCerts, Plan --diff; Status and Doctor connect where it says) used a host
    /// file another account could edit, and an ACL letting others write a folder above a tree passed (only a default
    /// one was looked for there).
    /// </summary>
    [Test]
    public void AReadingRunChecksTheInventoryAndAnAclAboveATreeCounts()
    {
        using var ws = new TestWorkspace();
        File.SetUnixFileMode(ws.HostsFile("host-b.yaml"), (UnixFileMode)0b110_110_110);
        Assert.That(Assert.Throws<StateConflict>(() => _ = ws.ControlPlane().Context.Plan)!.Message, Does.StartWith("--inventory: ").And.Contain("host-b.yaml (owner 0, mode 666)"));
        File.SetUnixFileMode(ws.HostsFile("host-b.yaml"), (UnixFileMode)0b110_100_100);

        var outputs = Directory.CreateDirectory(Path.Combine(ws.Root, "outputs")).FullName;
        Acl.GiveWrite(outputs, uid: 65534);
        var e = Assert.Throws<StateConflict>(() => new ControlPlane(Workspace.At(ws.Root, artifacts: Path.Combine(outputs, "artifacts")) with { ToolsDirectory = TestWorkspace.ToolsDirectory }, ws.Log).PackageAll())!;
        Assert.That(e.Message, Does.Contain("outputs (an ACL lets others write; mode 775)"));
    }

    /// <summary>Battery 23: a CA key appended to ca.crt was named "most likely a v2 certificate"; what the file holds is said first.</summary>
    [Test]
    public void ACaFileWithAKeyAppendedIsNamedForWhatItHolds()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-a");
        File.AppendAllText(Path.Combine(ws.Root, "pki", "ca.crt"), File.ReadAllText(Path.Combine(ws.Root, "pki", "ca.key")));
        Assert.That(Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageAll())!.Message, Does.Contain("ca.crt holds text besides its one certificate"));
    }

    /// <summary>
    /// Battery 23: the programs that say whose files are trusted (stat, find, getent) came from PATH, so a run whose
    /// PATH put another account's folder first (root's own, badly set) took that account's word. They come from the
    /// system's folders (sudo's secure_path), whatever PATH says.
    /// </summary>
    [Test]
    public void TheProgramsThatJudgeOwnersComeFromTheSystemNotFromPath()
    {
        using var ws = new TestWorkspace();
        var theirs = Directory.CreateDirectory(Path.Combine(ws.Root, "their-bin")).FullName;
        foreach (var program in new[] { "stat", "find", "getent" })
        {
            File.WriteAllText(Path.Combine(theirs, program), "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(Path.Combine(theirs, program), (UnixFileMode)0b111_101_101);
        }
        var template = Path.Combine(ws.Root, "templates", "config.yaml.scriban");
        File.SetUnixFileMode(template, File.GetUnixFileMode(template) | UnixFileMode.OtherWrite);

        var run = TestHostProcess.After($"export PATH='{theirs}':\"$PATH\"", ws, "PackageAll").Wait();

        Assert.That(run.ExitCode, Is.EqualTo(1), "a stat and a find that say nothing hid a template others may write: " + run.StdOut + run.StdErr);
        Assert.That(run.StdErr, Does.Contain("templates/config.yaml.scriban (owner 0, mode "));
    }

    /// <summary>Battery 26: a link that leads nowhere (Emacs' lock file while a host file is edited) got a chown fix that fails on it.</summary>
    [Test]
    public void ALinkThatLeadsNowhereInATreeIsNamedWithTheFixThatWorks()
    {
        using var ws = new TestWorkspace();
        File.CreateSymbolicLink(ws.HostsFile(".#host-a.yaml"), "user@pc.123:456");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().PackageAll())!;
        Assert.That(e.Message, Does.Contain(".#host-a.yaml (a link that leads nowhere: another account may make what it names)"));
        Assert.That(e.Fix, Does.StartWith("remove each link that leads nowhere (rm PATH").And.Not.Contain("chown"));
    }

    /// <summary>Battery 42: rewriting an inventory file the user had narrowed (chmod 600 hosts/network.yaml) made it 0644.</summary>
    [Test]
    public void ARewrittenFileKeepsTheNarrowerModeItsUserGaveIt()
    {
        using var ws = new TestWorkspace();
        var network = ws.HostsFile("network.yaml");
        File.SetUnixFileMode(network, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        SafeFiles.WriteAllText(network, File.ReadAllText(network) + "# again\n");
        Assert.That(File.GetUnixFileMode(network), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }
}

/// <summary>POSIX ACLs set as setfacl(1) would (the acl package is not installed here): the xattr the kernel reads.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class Acl
{
    /// <summary>Gives <paramref name="uid"/> read, write and search on <paramref name="folder"/> (mode's owner and other bits kept, mask rwx).</summary>
    public static void GiveWrite(string folder, int uid, string attribute = "system.posix_acl_access")
    {
        var mode = (int)File.GetUnixFileMode(folder);
        var entries = new (ushort Tag, ushort Perm, uint Id)[] { (1, (ushort)(mode >> 6 & 7), uint.MaxValue), (2, 7, (uint)uid), (4, (ushort)(mode >> 3 & 7), uint.MaxValue), (0x10, 7, uint.MaxValue), (0x20, (ushort)(mode & 7), uint.MaxValue) };
        var blob = new byte[4 + 8 * entries.Length];
        BitConverter.TryWriteBytes(blob.AsSpan(0), 2u);
        for (var i = 0; i < entries.Length; i++)
        {
            BitConverter.TryWriteBytes(blob.AsSpan(4 + 8 * i), entries[i].Tag);
            BitConverter.TryWriteBytes(blob.AsSpan(6 + 8 * i), entries[i].Perm);
            BitConverter.TryWriteBytes(blob.AsSpan(8 + 8 * i), entries[i].Id);
        }
        if (SetXattr(folder, attribute, blob, (nuint)blob.Length, 0) != 0)
            Assert.Fail($"setxattr {attribute} on {folder} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}): this file system keeps no ACLs, so the test cannot run");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setxattr", SetLastError = true, CharSet = System.Runtime.InteropServices.CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetXattr(string path, string name, byte[] value, nuint size, int flags);
}
