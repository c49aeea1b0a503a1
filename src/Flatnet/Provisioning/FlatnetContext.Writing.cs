using Flatnet.Files;
using Flatnet.Output;

namespace Flatnet.Provisioning;

// What a writing run does before its first write: the folders it writes checked, the locks taken, leftovers swept.
public sealed partial class FlatnetContext
{
    /// <summary>
    /// Before a task's first write: the artifacts folder is claimed (made and marked, or refused when it is someone
    /// else's), then this run takes the artifacts' and the inventory's locks (<see cref="RunLock"/>) and keeps them to its
    /// end; the run that takes them sweeps what a killed run left (its scratch, temporaries, the CA's staging).
    /// </summary>
    /// <param name="needsPlan">false for a task that mends the inventory (Join): it must be able to run while the inventory is incomplete.</param>
    public void ForWriting(string task, bool needsPlan = true)
    {
        var wait = TimeSpan.FromSeconds(Arguments.Int("lock-wait", 10, min: 0, max: 3600));
        // The inventory first: what is read from it is then what this run writes from.
        // Folders another account owns or may write are refused first: it could swap what this run writes for a link.
        Check((Workspace.InventoryDirectory, "--inventory"));
        var inventoryLocked = Directory.Exists(Workspace.InventoryDirectory) && Lock(Workspace.InventoryDirectory, task, wait);
        // The inventory's files (network.yaml, a host's file, the lock's holder) are written under a new name, then
        // renamed: what a killed run left of them goes, before anything reads the folder.
        var swept = inventoryLocked ? TempFolders.SweepBeside(Workspace.InventoryDirectory) : Swept.Nothing;
        _writing = true;
        var plan = needsPlan ? Plan : null; // a bad inventory stops the run here, before anything is written
        // A run records the admin key in network.yaml when it makes one: what would stop that stops it now (battery 44).
        if (plan?.Inventory.Network.Nebula is { AdminPort: not 0, AdminKey: null }) Inventory.AdminKeyRecord.RequireRecordable(Workspace.InventoryDirectory);
        CheckTrees(); // what the plan names (the CA key's folder, the Windows release), when the plan was loaded before this run wrote
        ClaimArtifacts();
        if (Lock(Workspace.ArtifactsDirectory, task, wait)) swept = swept.And(TempFolders.SweepLeftovers(Workspace.ArtifactsDirectory));
        // The CA's staging (.ca.staging-*) and the admin key's temporaries live beside the CA's key, which the inventory
        // names; another inventory may name the same folder, so it has a lock of its own too (battery 38: a run of
        // another inventory swept this run's live pair check there). Only while it holds the CA's key (battery 39: a
        // network.yaml naming a folder of the user's had lock files left there by a run that found no CA to sign with);
        // until then (InitCa, Init make the key) what this run makes there is recorded, and nothing is swept.
        if (inventoryLocked && plan is not null && Path.GetDirectoryName(plan.Inventory.Network.Ca.KeyPath) is { } caFolder)
            // (A folder another inventory's run has locked, for its own key, is locked for this one too: battery 40.)
            if (!File.Exists(plan.Inventory.Network.Ca.KeyPath) && !File.Exists(RunLock.PathFor(caFolder))) Record(caFolder);
            else if (Lock(caFolder, task, wait)) swept = swept.And(TempFolders.SweepBeside(caFolder));
        foreach (var path in swept.Removed) Log.Verbose($"removed {Workspace.Relative(path)}, which a run of flatnet's that was killed left");
        // Named once all sweeps are done: a look-alike one sweep saw may be what another's journal names (battery 37).
        var scratch = TempFolders.ScratchRoot(Workspace.ArtifactsDirectory) + Path.DirectorySeparatorChar;
        foreach (var path in swept.LookAlikes.Distinct().Where(p => File.Exists(p) || Directory.Exists(p) || TempFolders.IsLink(p)))
            Log.Warn($"{Terminal.OneLine(Workspace.Relative(path))} is not flatnet's as far as it can tell (no run of this account's recorded making it); left as it is. " +
                (path.StartsWith(scratch, StringComparison.Ordinal) ? $"Keep your own files out of {Workspace.Relative(scratch.TrimEnd(Path.DirectorySeparatorChar))}, flatnet's scratch"
                    : "Its name is like a temporary of flatnet's (.NAME.tmp-HEX): if a stopped run left it, remove it"));
    }

    /// <summary>The folders this run locked (once per call: the same folder twice is let go twice), let go at its end.</summary>
    private readonly List<string> _locked = [];
    /// <summary>The folders whose journal this run keeps without their lock (the CA key's, before the key is made).</summary>
    private readonly List<string> _recorded = [];

    private bool Lock(string folder, string task, TimeSpan wait)
    {
        var taken = RunLock.Acquire(folder, task, wait);
        _locked.Add(folder);
        return taken;
    }

    private void Record(string folder)
    {
        TempFolders.RecordWhatIsMadeIn(folder);
        _recorded.Add(folder);
    }

    /// <summary>
    /// The run is over: its locks go (another process may take them at once), and its journals close. Not when a signal
    /// is stopping it: the process is ending, the OS lets them go at its very end, after every thread of the run.
    /// </summary>
    private void LetGo()
    {
        if (TempFolders.Stopping) return;
        foreach (var folder in _recorded) TempFolders.StopRecordingIn(folder);
        foreach (var folder in _locked) RunLock.Release(folder);
        _recorded.Clear();
        _locked.Clear();
    }

    /// <summary>Marks the artifacts folder as flatnet's at the first write (<see cref="Plan"/> has checked it may be).</summary>
    public void ClaimArtifacts()
    {
        CheckTrees();
        SafeFiles.ClaimArtifacts(Workspace.ArtifactsDirectory);
    }

    /// <summary>
    /// Once a run (each worker's context once), before anything is read from them or written there, one stat and one
    /// find over them all (<see cref="OwnTrees"/>): the inventory, the artifacts, the templates (scripts that run on the hosts as
    /// administrator are rendered from them), tools/ and the nebula programs found; in a writing run also the CA key's
    /// folder and the Windows release every bundle ships.
    /// </summary>
    private void CheckTrees()
    {
        // The inventory too in a reading run: Status and Doctor connect where it says, Plan shows it (battery 23).
        var trees = new List<(string Path, string Field)>
        {
            (Workspace.InventoryDirectory, "--inventory"), (Workspace.ArtifactsDirectory, "--artifacts"), (Workspace.TemplatesDirectory, "templates"), (Workspace.ToolsDirectory, "tools"),
        };
        if (_plan?.Inventory.Network is { } network)
        {
            // The programs found (tools/, cert_tool or PATH), in every run: nebula-cert runs on the CA's key when
            // writing, and says what a certificate holds when reading (CheckCerts, Plan --diff's review: battery 22).
            if (network.Nebula.CertTool is { } tool) trees.Add((tool, "nebula.cert_tool"));
            foreach (var program in new Func<string>[] { () => NebulaCert.Executable, () => Nebula.Executable })
            {
                try { if (program() is var path && Path.IsPathRooted(path)) trees.Add((path, "nebula programs")); }
                catch (FlatnetException) { } // not installed: the step that needs it says so
            }
            if (_writing)
            {
                trees.Add((Path.GetDirectoryName(Path.GetFullPath(network.Ca.KeyPath))!, "ca.key"));
                trees.Add((network.Ca.CrtPath, "ca.crt")); // what every config trusts, wherever network.yaml puts it (battery 24)
                if (network.Nebula.Windows.Release is { } release) trees.Add((release, "nebula.windows.release"));
            }
        }
        Check([.. trees]);
    }

    /// <summary>The trees of <paramref name="trees"/> not checked yet this run, checked together (<see cref="OwnTrees"/>) and remembered.</summary>
    private void Check(params (string Path, string Field)[] trees)
    {
        // PackageAll's workers share one context: one of them checks, the others wait for its answer.
        lock (_treesChecked)
        {
            var pending = trees.Where(t => !_treesChecked.Contains(t.Path)).ToArray();
            if (pending.Length == 0) return;
            OwnTrees.Require(Workspace.Root, pending);
            // One not there yet (the artifacts of a first run) is checked again at the first write.
            foreach (var t in pending.Where(t => Directory.Exists(t.Path) || File.Exists(t.Path))) _treesChecked.Add(t.Path);
        }
    }

    private readonly HashSet<string> _treesChecked = [];
}
