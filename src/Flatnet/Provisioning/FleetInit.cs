using Flatnet.Inventory;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// Init: from the lab's example to a real fleet in one step. Sets in hosts/network.yaml what a fleet needs (the
/// lighthouse's LAN endpoint and overlay IP, the install root, Nebula's Windows release, no CA made on its own),
/// copies Stage 1's CA in (the key owner-only), records the admin key, and removes the lab's example hosts (or, with
/// --keep-examples, clears their addresses, so that Plan names what is still to fill in, per host). Every other line and comment of the files stays as written
/// (<see cref="YamlLines"/>); a re-run with the same arguments changes nothing.
/// </summary>
public static partial class FleetInit
{
    /// <summary>The example's lab addresses (the lab's underlay, 198.18.0.0/15): never a fleet's.</summary>
    private static readonly Ipv4Network LabUnderlay = Ipv4Network.Parse("198.18.0.0/15");

    public static IReadOnlyList<string> Init(FlatnetContext context, InitChoices choices)
    {
        var inventory = context.Workspace.InventoryDirectory;
        var network = new YamlLines(Path.Combine(inventory, InventoryLoader.NetworkFileName));
        var done = new List<string>();
        // Everything that could refuse is checked before anything is written: all or nothing. Every choice's rule at
        // once, the lighthouse's Nebula IP against the overlay among them (another would be written, then refused by every target).
        var before = InventoryLoader.Read(inventory).Inventory.Network;
        Check(choices, before.Overlay);
        // Every host file Init may edit, read before the first write (battery 44: a Latin-1 one was refused after network.yaml's).
        var hosts = Directory.GetFiles(inventory, "*.yaml").Where(f => Path.GetFileName(f) != InventoryLoader.NetworkFileName).Order(StringComparer.Ordinal)
            .Select(f => new YamlLines(f)).ToList();
        var ca = before.Ca;
        // The key's folder, when it is there already, must be safe before anything is written (it is never chmod-ed).
        if ((choices.CaCrt ?? choices.CaKey) is not null && Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(ca.KeyPath))))
            SafeFiles.RequireSecretFolder(Path.GetDirectoryName(ca.KeyPath)!, "the CA key's folder");
        // A file where either CA file's folder goes (battery 41: found after network.yaml was rewritten).
        foreach (var (given, path) in new[] { (choices.CaCrt, ca.CrtPath), (choices.CaKey, ca.KeyPath) }.Where(c => c.Item1 is not null))
            for (var at = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(at) && !Directory.Exists(at); at = Path.GetDirectoryName(at))
                if (File.Exists(at))
                    throw new StateConflict($"{Workspace.Relative(at)} is a file where Init makes the folder of {Workspace.Relative(path)}; nothing was changed", "move it aside (flatnet did not make it), then run Init again", Workspace.Relative(at));
        Preflight(context, choices.CaCrt, ca.CrtPath, "--ca-crt", isCa: true);
        Preflight(context, choices.CaKey, ca.KeyPath, "--ca-key", isCa: false);
        // What Init writes last (the admin key, beside ca.key) is checked with the rest, before the first write (battery
        // 29: a folder there stopped Init after network.yaml, the CA's copy and the examples' removal).
        if (before.Nebula.AdminPort != 0 && before.Nebula.AdminKey is null)
            foreach (var at in new[] { "", ".pub" }.Select(end => Path.Combine(Path.GetDirectoryName(ca.KeyPath)!, Pki.AdminInterface.KeyFileName + end)))
                if (Directory.Exists(at) || TempFolders.IsLink(at))
                    throw new StateConflict($"{Workspace.Relative(at)} is a {(TempFolders.IsLink(at) ? "link" : "folder")} where Init writes the admin key; nothing was changed",
                        "move it aside (flatnet did not make it), then run Init again");
        if (before.Nebula.AdminPort != 0 && before.Nebula.AdminKey is null && Directory.Exists(Path.GetDirectoryName(ca.KeyPath)))
            Pki.AdminInterface.RequireNothingOfTheUsersAt(Path.GetDirectoryName(ca.KeyPath)!); // a file of the user's there too (battery 40)
        // The CA's files already there are read only as small plain files (battery 40: a FIFO hung the pair check).
        foreach (var existing in new[] { ca.CrtPath, ca.KeyPath }.Where(File.Exists)) Existing(existing);
        // ca.crt and ca.key must be one CA (given, or already there): a key of another CA would sign hosts the lighthouse refuses.
        if ((choices.CaCrt ?? choices.CaKey) is not null
            && (choices.CaCrt ?? (File.Exists(ca.CrtPath) ? ca.CrtPath : null)) is { } pairCrt
            && (choices.CaKey ?? (File.Exists(ca.KeyPath) ? ca.KeyPath : null)) is { } pairKey
            && PairProblem(context, pairCrt, pairKey) is { } said)
            throw new UsageError($"{pairKey} is not the key of the CA {pairCrt}; nothing was changed (nebula-cert said {said})",
                "give ca.crt and ca.key of the same CA, both from Stage 1's lighthouse", choices.CaKey is null ? "--ca-crt" : "--ca-key");
        void Set(string path, string value, string what, string? comment = null)
        {
            var before = network.Get(path);
            if (!network.Set(path, value, comment))
                throw new FlatnetException($"cannot set {path}: its mapping is not written in block style", $"set it by hand to {value}", Workspace.Relative(network.File), path);
            if (before != value.Trim('"', '\'')) done.Add(what);
        }
        Set("lighthouses[0].endpoints", $"[\"{choices.Lighthouse}\"]", $"lighthouse endpoint {choices.Lighthouse}");
        if (choices.LighthouseIp is { } ip) Set("lighthouses[0].overlay_ip", ip, $"lighthouse overlay IP {ip}");
        Set("ca.create_if_missing", "false", "no CA made on its own (ca.create_if_missing: false)");
        Set("nebula.windows.root", $"'{choices.Root}'", $"install root {choices.Root}", "on the system drive; the spec's layout below it");
        // Inside the repository, the release's path is written relative to it, as every clone has it.
        if (choices.WindowsRelease is { } release)
            Set("nebula.windows.release", Rendering.Quoting.YamlQuote(RepositoryPath(context, release)), $"Windows release {release}");
        network.Save();

        // Stage 1's CA, copied beside the paths network.yaml names; never over a CA that is already there.
        // The folder that will hold ca.key is made owner-only whichever file comes first (pki/ was 0755 with --ca-crt alone).
        if (choices.CaCrt is not null && Path.GetDirectoryName(Path.GetFullPath(ca.CrtPath)) == Path.GetDirectoryName(Path.GetFullPath(ca.KeyPath)))
            SafeFiles.RequireSecretFolder(Path.GetDirectoryName(ca.KeyPath)!, "the CA key's folder");
        if (choices.CaCrt is { } crt) done.AddRange(CopyCa(context, crt, ca.CrtPath, secret: false));
        if (choices.CaKey is { } key) done.AddRange(CopyCa(context, key, ca.KeyPath, secret: true));

        // The lab's example hosts (a lab address, 198.18.0.0/15, is never a fleet's) go, so the first Join takes index 1
        // and nothing waits for their addresses; with --keep-examples their addresses are cleared for Plan to name.
        foreach (var host in hosts)
        {
            var file = host.File;
            if (host.Get("deploy.address") is not { } address || !IsLab(address)) continue;
            var name = Path.GetFileNameWithoutExtension(file);
            // Removed only as shipped (battery 36's note: an example host with the user's uncommitted edits went, and
            // its hint brought back the committed one); one with edits stays, its address cleared, and is named.
            var asShipped = ShippedExamples.Contains(Digest.Sha256OfFile(file));
            if (!choices.KeepExamples && asShipped)
            {
                // The way back is said only where it works (battery 42: git's, for an inventory git does not track).
                var back = TrackedByGit(file) ? $"git checkout -- {Workspace.Relative(file)} brings it back" : "it was the example as shipped, unedited";
                File.Delete(file);
                done.Add($"{name}: the lab's example host removed from {Workspace.Relative(inventory)} ({back})");
                continue;
            }
            host.Set("deploy.address", "\"\"", "its LAN address: fill in (Init cleared the lab's)");
            host.Save();
            done.Add($"{name}: lab address {address} cleared" + (choices.KeepExamples ? "" : $" (kept: {Workspace.Relative(file)} is not the example as shipped, so it may hold your edits; delete it if it is not yours)"));
        }
        // The admin interface's key, made once and recorded in network.yaml, so every clone renders the same configs.
        var written = InventoryLoader.Read(inventory).Inventory.Network;
        if (written.Nebula.AdminPort != 0)
        {
            var adminKey = Path.Combine(Path.GetDirectoryName(written.Ca.KeyPath)!, Pki.AdminInterface.KeyFileName);
            var made = !File.Exists(adminKey) || !File.Exists(adminKey + ".pub");
            Pki.AdminInterface.Ensure(written.Ca, written.Nebula.AdminPort, written.Nebula.AdminKey, context.Log, inventory);
            // Said with the rest: a re-run that finishes what a killed one left must not say "nothing changed" (battery 29).
            if (written.Nebula.AdminKey is null)
                done.Add($"the admin interface's key {(made ? "made" : "found")} at {Workspace.Relative(adminKey)} (owner-only), its public half recorded in network.yaml (nebula.admin_key)");
        }
        context.Log.Info(done.Count == 0 ? "Init: the inventory already says all this; nothing changed"
            : "Init changed:\n  " + string.Join("\n  ", done));
        context.Log.Info("still to do:" + (StillToDo(context) is var toDo && toDo.StartsWith('\n') ? toDo : " " + toDo));
        return done;
    }

    /// <summary>A path as network.yaml takes it: relative to the inventory folder's parent (the repository) when inside it.</summary>
    private static string RepositoryPath(FlatnetContext context, string file)
    {
        var full = Path.GetFullPath(file);
        var relative = Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(context.Workspace.InventoryDirectory))!, full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative.Replace('\\', '/');
    }

    private static bool TrackedByGit(string file)
    {
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
            return Processes.ProcessRunner.Run(Processes.ProcessRunner.OfSystem("git"), ["-C", dir, "-c", $"safe.directory={dir}", "ls-files", "--error-unmatch", "--", Path.GetFileName(file)]).ExitCode == 0;
        }
        catch (Exception e) when (e is FlatnetException or IOException or System.ComponentModel.Win32Exception)
        {
            return false; // no git here: no git hint
        }
    }

    /// <summary>The SHA-256 of each example host file as flatnet ships it (hosts/host-a.yaml, -b, -c); pinned by InitTests.</summary>
    internal static readonly HashSet<string> ShippedExamples =
    [
        "61ab54d6cbe793fb050de1bfa312a4464de1b01807a8f0ae940a71d012ee633d",
        "6976c70a571a5524d690ce7969192c7c9df00346095e91979f697acb428a23ee",
        "33d800e87a5b0b3969d43d5f580d31ee8305b0eb45b0428598207fade6cb8781",
    ];

    private static bool IsLab(string address) => Ipv4Network.TryParseAddress(address, out var a) && LabUnderlay.Contains(a);

    /// <summary>A CA file Init would copy: refused before anything is written when another CA's file is there, or ca.crt is no CA.</summary>
    private static void Preflight(FlatnetContext context, string? from, string to, string flag, bool isCa)
    {
        if (from is null) return;
        // Stage 1's files as given are held to the rules of every tree a run reads (battery 25): another account's,
        // or one others may write, would make the fleet's CA theirs; and a key others may read may be copied already.
        Files.OwnTrees.Require(context.Workspace.Root, (from, flag));
        if (!isCa && !OperatingSystem.IsWindows() && File.GetUnixFileMode(from) is var mode && (mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
            throw new StateConflict($"{from}: others may read this key (mode {Convert.ToString((int)mode, 8)}), so it may have been copied already; nothing was changed",
                $"make it yours alone (chmod 600 {Rendering.Quoting.ShQuote(from)}), and if others could really read it, make a new CA instead (a copied CA key signs any host), then run Init again", flag);
        if (File.Exists(to) && !Existing(to).SequenceEqual(InputFiles.ReadAllBytes(from, InputFiles.KeyLimit, flag)))
            throw new StateConflict($"{Workspace.Relative(to)} already holds another CA's file; flatnet never replaces a CA, and nothing was changed", "move it away first if the new one is really the lighthouse's", Workspace.Relative(to));
        if (isCa) Pki.CertificateAuthority.RequireOneCertificate(from, flag);
        if (isCa && !context.NebulaCert.Print(from).IsCa)
            throw new UsageError($"{from} is not a CA certificate; nothing was changed", "give Stage 1's ca.crt (nebula-cert print -path ca.crt says isCa: true)", flag);
    }

    /// <summary>The CA's file already where network.yaml says, read only as a small plain file (battery 39: a FIFO there hung Init).</summary>
    private static byte[] Existing(string to) =>
        InputFiles.NotRegular(to) is { } why ? throw new StateConflict($"{Workspace.Relative(to)} is {why}, where the CA's file goes; nothing was changed", "move it aside (it is not a CA's file), then run Init again", Workspace.Relative(to))
        : new FileInfo(to).Length > InputFiles.KeyLimit ? throw new StateConflict($"{Workspace.Relative(to)} is larger than any CA's file, where the CA's file goes; nothing was changed", "move it aside (it is not a CA's file), then run Init again", Workspace.Relative(to))
        : File.ReadAllBytes(to);

    /// <summary>The pair check runs in an owner-only folder of the system's temporary folder: nothing of the workspace is written yet.</summary>
    private static string? PairProblem(FlatnetContext context, string crt, string key)
    {
        var scratch = Files.TempFolders.CreateInSystemTemp("flatnet-init-", context.Workspace.Root);
        try { return Pki.CertificateAuthority.PairProblem(context.NebulaCert, Path.GetFullPath(crt), Path.GetFullPath(key), scratch); }
        finally { Directory.Delete(scratch, recursive: true); }
    }

    private static IEnumerable<string> CopyCa(FlatnetContext context, string from, string to, bool secret)
    {
        var bytes = InputFiles.ReadAllBytes(from, InputFiles.KeyLimit, secret ? "--ca-key" : "--ca-crt");
        if (File.Exists(to))
        {
            if (Existing(to).SequenceEqual(bytes)) yield break;
            throw new StateConflict($"{Workspace.Relative(to)} already holds another CA's file; flatnet never replaces a CA", "move it away first if the new one is really the lighthouse's", Workspace.Relative(to));
        }
        if (secret) SafeFiles.RequireSecretFolder(Path.GetDirectoryName(to)!, "the CA key's folder");
        else Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        SafeFiles.WriteFile(to, path => File.WriteAllBytes(path, bytes), secret);
        if (!secret && !context.NebulaCert.Print(to).IsCa)
        {
            File.Delete(to);
            throw new UsageError($"{from} is not a CA certificate", "give Stage 1's ca.crt (nebula-cert print -path ca.crt says isCa: true)", "--ca-crt");
        }
        yield return $"CA {(secret ? "key" : "certificate")} copied to {Workspace.Relative(to)}{(secret ? " (owner-only)" : "")}";
    }

    /// <summary>
    /// What is left before the first host is in the mesh, each with its command, in the order a person does it: the CA,
    /// Nebula's Windows release (Join makes Windows hosts), this machine's SSH key (Join puts it on each PC), then
    /// the PCs to join, the replies awaited, and AddHost. What Plan refuses, when it refuses.
    /// </summary>
    private static string StillToDo(FlatnetContext context)
    {
        try
        {
            var plan = Addressing.AddressPlan.Load(context.Workspace.InventoryDirectory);
            var network = plan.Inventory.Network;
            var missing = new List<string>();
            if (!File.Exists(network.Ca.CrtPath)) missing.Add($"copy Stage 1's ca.crt and ca.key to {Workspace.Relative(network.Ca.CrtPath)} (or --ca-crt/--ca-key)");
            // Each platform says whether its bundles would carry Nebula (Windows: the release, or installed_by_hand):
            // every platform, hosts or not, since the PCs Join adds next are Windows unless told otherwise.
            foreach (var platform in context.Platforms.All)
            {
                try
                {
                    platform.ShippedNebula(network);
                }
                catch (FlatnetException e)
                {
                    missing.Add($"{e.Problem} (--windows-release=nebula-windows-amd64.zip)");
                }
            }
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (!Transport.SshTarget.DefaultIdentities.Any(k => File.Exists(Path.Combine(home, ".ssh", k + ".pub"))))
                missing.Add("make this machine's SSH key, which Join puts on each PC: ssh-keygen -t ed25519");
            if (File.Exists(network.Ca.CrtPath) && !File.Exists(network.Ca.KeyPath))
                missing.Add($"signing a host needs Stage 1's ca.key at {Workspace.Relative(network.Ca.KeyPath)} (owner-only) when PackageAll or AddHost runs; copy it there then (or --ca-key)");
            missing.AddRange(plan.Hosts.Where(h => h.Host.Deploy.AwaitingJoin && !plan.Inventory.IsRevoked(h.Name))
                .Select(h => $"{h.Name}: ./build.sh --target=Join --host={h.Name} writes its join script; run it there, then ./build.sh --target=Join --host={h.Name} --reply=REPLY"));
            missing.AddRange(plan.Active.Where(h => h.Host.Deploy.HostKey is null && h.Host.Deploy.Transport == DeployTransport.Ssh).Select(h => $"{h.Name}: pin its SSH host key (deploy.host_key) or ssh to it once"));
            if (!plan.Hosts.Any())
                missing.Add("join your first PC: ./build.sh --target=Join --host=pc-1 (then run the join script it writes on that PC)");
            return missing.Count == 0 ? "nothing: ./build.sh --target=AddHost --host=NAME" : "\n  " + string.Join("\n  ", missing);
        }
        catch (InventoryProblem e)
        {
            return "Plan names what to fill in:\n  " + string.Join("\n  ", e.Problems.Select(p => p.Replace("\n", "\n  ")));
        }
    }
}

/// <summary>What Init was told: the lighthouse's endpoint (and overlay IP), Stage 1's CA files, the Windows release, the install root.</summary>
/// <param name="KeepExamples">keep the lab's example hosts (their addresses cleared) instead of removing them.</param>
public sealed record InitChoices(string Lighthouse, string? LighthouseIp, string? CaCrt, string? CaKey, string? WindowsRelease, string Root, bool KeepExamples = false);
