namespace Flatnet.Tests;

/// <summary>
/// RenderAll replaces each host's folder under artifacts/render whole, and touches only what it wrote there, at every
/// depth, judged by its own listing of what it wrote (artifacts/hosts/NAME/render.files), never by folder names.
/// </summary>
public class RenderAllTests
{
    [Test]
    public void WhatTheUserPutInARenderFolderSurvivesAtEveryDepth()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var root = Path.Combine(ws.Workspace.ArtifactsDirectory, "render");
        File.WriteAllText(Path.Combine(root, "host-b", "keep.txt"), "notes");
        File.WriteAllText(Path.Combine(root, "host-b", "scripts", "extra.sh"), "x");
        Directory.CreateDirectory(Path.Combine(root, "notes"));
        File.WriteAllText(Path.Combine(root, "notes", "a.txt"), "mine");

        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243"); // every host is rendered again
        ws.Log.Lines.Clear();
        ws.ControlPlane().RenderAll();
        Assert.That(ws.Log.Lines, Has.Some.EndsWith("0 unchanged, 3 rebuilt"));
        Assert.That(File.ReadAllText(Path.Combine(root, "host-b", "config.yaml")), Does.Contain("4243"));
        Assert.That(File.ReadAllText(Path.Combine(root, "host-b", "keep.txt")), Is.EqualTo("notes"));
        Assert.That(File.ReadAllText(Path.Combine(root, "host-b", "scripts", "extra.sh")), Is.EqualTo("x"));
        Assert.That(File.ReadAllText(Path.Combine(root, "notes", "a.txt")), Is.EqualTo("mine"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("host-b/scripts/extra.sh is not flatnet's; left as it is"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("render/notes is not flatnet's; left as it is"));

        // Battery 27: an empty folder of the user's, alone in a render folder flatnet replaces, went with the old one.
        using var alone = new TestWorkspace();
        alone.ControlPlane().RenderAll();
        var empty = Path.Combine(alone.Workspace.ArtifactsDirectory, "render", "host-a", "my-empty-dir");
        Directory.CreateDirectory(empty);
        alone.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        alone.ControlPlane().RenderAll();
        Assert.That(Directory.Exists(empty), Is.True);
        Assert.That(alone.Log.Lines, Has.Some.Contains("render/host-a/my-empty-dir is not flatnet's; left as it is"));
    }

    /// <summary>The user's notes in a render folder are theirs to keep there: the folder still holds what flatnet rendered, so it is not rebuilt for them.</summary>
    [Test]
    public void WhatTheUserPutInARenderFolderCostsNoRebuild()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var root = Path.Combine(ws.Workspace.ArtifactsDirectory, "render");
        Directory.CreateDirectory(Path.Combine(root, "host-b", "review"));
        File.WriteAllText(Path.Combine(root, "host-b", "review", "notes.txt"), "mine");
        ws.Log.Lines.Clear();
        ws.ControlPlane().RenderAll();
        Assert.That(ws.Log.Lines, Has.Some.EndsWith("3 unchanged, 0 rebuilt"));
        // ... and named at every run, rebuilt or not (they were named only on runs that rebuilt host-b).
        Assert.That(ws.Log.Lines, Has.Some.Contains("render/host-b/review/notes.txt is not flatnet's; left as it is"));
        // A file flatnet wrote there and would not write now (its listing says so, and it holds those bytes) is not
        // left behind: the folder is rendered again without it.
        File.Copy(Path.Combine(root, "host-b", "config.yaml"), Path.Combine(root, "host-b", "old.yaml"));
        var listing = Path.Combine(ws.Workspace.HostDirectory("host-b"), "render.files");
        File.AppendAllText(listing, $"{Digest.Sha256OfFile(Path.Combine(root, "host-b", "old.yaml"))}  old.yaml\n");
        ws.Log.Lines.Clear();
        ws.ControlPlane().RenderAll();
        Assert.That(ws.Log.Lines, Has.Some.EndsWith("2 unchanged, 1 rebuilt"));
        Assert.That(File.Exists(Path.Combine(root, "host-b", "old.yaml")), Is.False);
        Assert.That(File.ReadAllText(Path.Combine(root, "host-b", "review", "notes.txt")), Is.EqualTo("mine"));
    }

    [Test]
    public void AHostThatLeavesTakesOnlyFlatnetsFilesWithIt()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var root = Path.Combine(ws.Workspace.ArtifactsDirectory, "render");
        File.WriteAllText(Path.Combine(root, "host-c", "scripts", "mine.sh"), "mine");
        File.Delete(ws.HostsFile("host-c.yaml"));
        ws.Log.Lines.Clear();
        ws.ControlPlane().RenderAll();
        Assert.That(File.ReadAllText(Path.Combine(root, "host-c", "scripts", "mine.sh")), Is.EqualTo("mine"));
        Assert.That(File.Exists(Path.Combine(root, "host-c", "config.yaml")), Is.False, "flatnet's files are gone");
        Assert.That(ws.Log.Lines, Has.Some.Contains("render/host-c holds what flatnet did not write (scripts/mine.sh)"));
        File.Delete(Path.Combine(root, "host-c", "scripts", "mine.sh"));
        File.Delete(ws.HostsFile("host-a.yaml"));
        ws.ControlPlane().RenderAll();
        Assert.That(Directory.Exists(Path.Combine(root, "host-a")), Is.False, "nothing else was in it");
        // Battery 27: an empty folder the user made went with the host's files, without a word.
        Directory.CreateDirectory(Path.Combine(root, "host-b", "my-empty-dir"));
        File.Delete(ws.HostsFile("host-b.yaml"));
        ws.Log.Lines.Clear();
        ws.ControlPlane().RenderAll();
        Assert.That(Directory.Exists(Path.Combine(root, "host-b", "my-empty-dir")), Is.True);
        Assert.That(ws.Log.Lines, Has.Some.Contains("render/host-b holds what flatnet did not write (my-empty-dir/)"));
    }

    /// <summary>
    /// Battery 29: a line added to a host's listing (an archive unpacked over the checkout can bring one) had RenderAll
    /// delete the user's file it had just called "not flatnet's". A listed file is flatnet's only while it holds the
    /// bytes flatnet wrote.
    /// </summary>
    [Test]
    public void AForgedLineInAListingDeletesNothingOfTheUsers()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var notes = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "host-a", "notes.txt");
        File.WriteAllText(notes, "mine");
        var listing = Path.Combine(ws.Workspace.HostDirectory("host-a"), "render.files");
        File.AppendAllText(listing, "notes.txt\n" + new string('0', 64) + "  notes.txt\n");
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243"); // every host is rendered again
        ws.Log.Lines.Clear();
        ws.ControlPlane().RenderAll();
        Assert.That(File.ReadAllText(notes), Is.EqualTo("mine"));
        Assert.That(ws.Log.Lines, Has.Some.Contains("render/host-a/notes.txt is not flatnet's; left as it is"));
        File.Delete(ws.HostsFile("host-a.yaml"));
        File.AppendAllText(listing, "notes.txt\n");
        ws.ControlPlane().RenderAll();
        Assert.That(File.ReadAllText(notes), Is.EqualTo("mine"), "nor when the host leaves");
    }
    /// <summary>
    /// Battery 30: a file of the user's at a path flatnet writes for the first time (an install.sh of theirs, then
    /// the host became a Linux one) was overwritten without a word. It stops the run, named, and nothing changes; a
    /// file flatnet wrote there before and someone changed since is written again, and said.
    /// </summary>
    [Test]
    public void AFileOfTheUsersWhereFlatnetWritesForTheFirstTimeStopsTheRun()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var folder = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "host-b");
        File.WriteAllText(Path.Combine(folder, "install.sh"), "mine");
        var before = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);
        ws.Edit("host-b.yaml", "os:", "os: linux");
        ws.Edit("host-b.yaml", "wsl:", "wsl: false");
        var e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("render/host-b: install.sh is a file of yours where flatnet writes its own; nothing was changed")
            .And.Contain("fix: move it aside"));
        Assert.That(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText), Is.EqualTo(before));
        File.Move(Path.Combine(folder, "install.sh"), Path.Combine(ws.Root, "my-install.sh"));
        ws.ControlPlane().RenderAll();
        Assert.That(File.ReadAllText(Path.Combine(folder, "install.sh")), Does.Not.EqualTo("mine"));

        // A file flatnet wrote, edited since, is the user's edit (battery 35: a line anyone could add to the listing
        // had a user's file "written again"): it stops the run too, and is kept.
        File.AppendAllText(Path.Combine(folder, "config.yaml"), "# my experiment\n");
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4243");
        e = Assert.Throws<StateConflict>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("config.yaml is a file of yours where flatnet writes its own; nothing was changed"));
        Assert.That(File.ReadAllText(Path.Combine(folder, "config.yaml")), Does.Contain("my experiment"));
    }

    /// <summary>Battery 40: a FIFO of the user's at a path flatnet writes in a host's render folder was replaced without a word.</summary>
    [Test]
    public void AFifoWhereFlatnetWritesInARenderFolderStopsTheRun()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var readme = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "host-a", "README.md");
        File.Delete(readme);
        ProcessRunner.Run("mkfifo", [readme]).EnsureSuccess("mkfifo");
        var e = Assert.Catch<FlatnetException>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(e.Message, Does.Contain("README.md is a file of yours where flatnet writes its own; nothing was changed"));
        Assert.That(InputFiles.NotRegular(readme), Does.Contain("fifo"));
    }

    /// <summary>
    /// Battery 41: any file at artifacts/hosts/NAME/render.files made render/NAME flatnet's for a NAME not in the plan,
    /// and the file (a user's notes, a FIFO, one reached through a link) was deleted with it, without a word.
    /// </summary>
    [TestCase("notes")]
    [TestCase("fifo")]
    [TestCase("link")]
    public void AFileOfTheUsersAtAListingsPathNeverMakesAFolderFlatnetsNorGoes(string kind)
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().RenderAll();
        var render = Path.Combine(ws.Workspace.ArtifactsDirectory, "render", "old");
        Directory.CreateDirectory(render);
        File.WriteAllText(Path.Combine(render, "draft.txt"), "draft\n");
        var hostDir = ws.Workspace.HostDirectory("old");
        var real = kind == "link" ? Path.Combine(ws.Root, "elsewhere") : hostDir;
        Directory.CreateDirectory(real);
        if (kind == "link") Directory.CreateSymbolicLink(hostDir, real);
        var listing = Path.Combine(real, "render.files");
        if (kind == "fifo") ProcessRunner.Run("mkfifo", [listing]).EnsureSuccess("mkfifo");
        else File.WriteAllText(listing, "my notes about the old box\n");

        ws.ControlPlane().RenderAll();

        Assert.That(File.Exists(listing), Is.True, "the user's file at the listing's path stays");
        Assert.That(File.Exists(Path.Combine(render, "draft.txt")), Is.True);
        Assert.That(ws.Log.Lines, Has.Some.Contains("render/old is not flatnet's; left as it is"));
    }
}
