using Flatnet.Bundles;
using Flatnet.Files;
using Flatnet.Inventory;
using Flatnet.Output;
using Flatnet.Processes;

namespace Flatnet.Provisioning;

/// <summary>Plan --diff against a git ref: its inventory and templates, unpacked from git archive into a scratch folder.</summary>
public static partial class PlanDiff
{
    /// <summary>What git archived, unpacked; a link that leads out of it (a host file linked to /etc/shadow) is refused as itself, never read (battery 30: it was blamed on the disk).</summary>
    private static void Unpack(string tar, string tree, string reference)
    {
        try { System.Formats.Tar.TarFile.ExtractToDirectory(tar, tree, overwriteFiles: false); }
        catch (IOException e)
        {
            throw new UsageError($"the inventory or templates at '{Grammar.Shown(reference)}' hold what cannot be read safely ({Output.Terminal.OneLine(e.Message)}); nothing was read from it",
                "compare with a ref whose hosts/ and templates/ hold plain files (a link there is refused in a checkout too)", "--against");
        }
    }

    /// <summary>Each host as the inventory and templates at a git ref would build it (the same admin key unless that inventory records another).</summary>
    private static IReadOnlyList<HostView> FromGit(FlatnetContext context, string reference)
    {
        if (reference.StartsWith('-') || reference.Any(char.IsControl))
            throw new UsageError($"'{Grammar.Shown(reference)}' is neither a release zip nor a git ref", "pass --against=RELEASE.zip, or a branch, tag or commit", "--against");
        var root = context.Workspace.Root;
        var top = ProcessRunner.Run(ProcessRunner.OfSystem("git"), ["-C", root, "rev-parse", "--show-toplevel"]);
        if (top.ExitCode != 0)
            throw new UsageError($"{reference} is not a file, and {Workspace.Relative(root)} is not a git checkout to read it from", "pass a release's version (--against=1.0.0) or --against=RELEASE.zip", "--against");
        var gitRoot = top.StdOut.Trim();
        var inventory = Path.GetRelativePath(gitRoot, context.Workspace.InventoryDirectory).Replace('\\', '/');
        var templates = Path.GetRelativePath(gitRoot, context.Workspace.TemplatesDirectory).Replace('\\', '/');
        var scratch = TempFolders.CreateInSystemTemp("flatnet-diff-", context.Workspace.Root);
        try
        {
            var tar = Path.Combine(scratch, "ref.tar");
            var archive = ProcessRunner.Run(ProcessRunner.OfSystem("git"), ["-C", gitRoot, "archive", "--format=tar", "-o", tar, reference, "--", inventory, templates]);
            if (archive.ExitCode != 0)
                throw new UsageError($"git cannot read {inventory} and {templates} at '{Grammar.Shown(reference)}': {archive.StdErr.Trim()}",
                    "pass a branch, tag or commit that has them (git log --oneline), a release's version (--against=1.0.0) or --against=RELEASE.zip", "--against");
            var tree = Path.Combine(scratch, "tree");
            Directory.CreateDirectory(tree);
            Unpack(tar, tree, reference);
            // The CA files and Nebula's Windows release, where the ref tracks them at the paths the inventory names now:
            // what every config trusted and shipped then (a file the ref does not track is not compared).
            var network = context.Plan.Inventory.Network;
            var shipped = new[] { Path.GetDirectoryName(network.Ca.CrtPath)!, network.Nebula.Windows.Release }.OfType<string>()
                .Select(p => Path.GetRelativePath(gitRoot, p).Replace('\\', '/')).Where(p => !p.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(p)).ToList();
            var tracked = shipped.Count == 0 ? [] : ProcessRunner.Run(ProcessRunner.OfSystem("git"), ["-C", gitRoot, "ls-tree", "-r", "--name-only", reference, "--", .. shipped]).StdOut
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(f => !f.EndsWith(".key", StringComparison.Ordinal)).ToList();
            if (tracked.Count > 0)
            {
                var more = Path.Combine(scratch, "shipped.tar");
                ProcessRunner.Run(ProcessRunner.OfSystem("git"), ["-C", gitRoot, "archive", "--format=tar", "-o", more, reference, "--", .. tracked]).EnsureSuccess("git archive");
                Unpack(more, tree, reference);
            }
            var thenInventory = Path.Combine(tree, inventory);
            if (context.Admin is { } admin) AdminKeyRecord.Record(thenInventory, admin.AuthorizedKey);
            var then = new FlatnetContext(new Workspace(tree, thenInventory, Path.Combine(scratch, "artifacts")) { ToolsDirectory = context.Workspace.ToolsDirectory }, new RecordingReporter());
            return Rendered(then, withShipped: true);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
