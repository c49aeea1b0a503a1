using Flatnet.Versions;

namespace Flatnet.Tests.Versions;

/// <summary>flatnet's own apt state (tools/apt), where it and apt write before Nebula is fetched from Debian's archive.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class DebianArchiveTests
{
    /// <summary>Battery 30: a link at tools/apt/sources.list had flatnet's apt sources written where it led.</summary>
    [Test]
    public void NothingIsWrittenWhereALinkInItsStateLeads()
    {
        using var ws = new TestWorkspace();
        var state = Directory.CreateDirectory(Path.Combine(ws.Root, "tools", "apt")).FullName;
        var victim = Path.Combine(ws.Root, "victim");
        File.WriteAllText(victim, "theirs\n");
        File.CreateSymbolicLink(Path.Combine(state, "sources.list"), victim);
        var e = Assert.Throws<StateConflict>(() => new DebianArchive(state, ws.Log).Download("nebula", new NebulaVersion(1, 6, 1), ws.Root))!;
        Assert.That(e.Message, Does.Contain("tools/apt/sources.list is a link (to ").And.Contain("nothing was written through it"));
        Assert.That(File.ReadAllText(victim), Is.EqualTo("theirs\n"));

        // A folder apt writes in, a link: refused the same way, before anything is made where it leads.
        File.Delete(Path.Combine(state, "sources.list"));
        var elsewhere = Directory.CreateDirectory(Path.Combine(ws.Root, "elsewhere")).FullName;
        File.CreateSymbolicLink(Path.Combine(state, "state"), elsewhere);
        Assert.That(Assert.Throws<StateConflict>(() => new DebianArchive(state, ws.Log).Download("nebula", new NebulaVersion(1, 6, 1), ws.Root))!.Message,
            Does.Contain("tools/apt/state is a link"));
        Assert.That(Directory.GetFileSystemEntries(elsewhere), Is.Empty);
    }
}
