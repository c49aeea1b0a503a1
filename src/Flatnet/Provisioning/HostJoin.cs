using System.Text.RegularExpressions;
using Flatnet.Inventory;
using Flatnet.Transport;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>What Join did: the host file (made or kept), the join script written, or the reply's fields pinned.</summary>
public sealed record JoinOutcome(string HostFile, string? Script, IReadOnlyList<string> Pinned);

/// <summary>
/// Join: a new PC joins from its own console, as with `tailscale up`. On the build machine, Join --host=NAME writes
/// hosts/NAME.yaml when it does not exist (the next free index) and a join script for that host (join.ps1 for
/// Windows, join.sh for Linux) that carries this machine's deploy key; a person runs it once on the PC as an
/// administrator, and it prints one reply line. Join --host=NAME --reply="..." pins what the reply says (the SSH
/// host key, the LAN address, the account, WSL's owner) into hosts/NAME.yaml; then AddHost --host=NAME does the rest.
/// </summary>
public static partial class HostJoin
{
    /// <summary>A join script flatnet rendered says so in its first ten lines (join.sh's and join.ps1's header); a file there that does not is someone else's.</summary>
    private static readonly Regex JoinScriptShape = new(@"\A(?:[^\n]*\n){0,9}[^\n]*Rendered by flatnet-automation \(", RegexOptions.CultureInvariant);

    /// <summary>The host's file (made when missing) and its join script.</summary>
    /// <param name="home">whose ~/.ssh holds the deploy key (default: this account's).</param>
    public static JoinOutcome Prepare(FlatnetContext context, string host, string? address = null, string? os = null, string? home = null)
    {
        if (Grammar.HostName(host) is { } name) throw new UsageError(name.Problem, name.Fix, "--host");
        if (address is not null && Grammar.Address(address) is { } bad) throw new UsageError(bad.Problem, bad.Fix, "--address");
        var platformOf = os is null ? context.Platforms.Windows : context.Platforms.Named(os)
            ?? throw new UsageError($"'{Grammar.Shown(os)}' is not an OS flatnet deploys to", $"--os={string.Join(" or --os=", context.Platforms.Names)} (default: {context.Platforms.Windows.Name})", "--os");
        var inventory = context.Workspace.InventoryDirectory;
        var file = Path.Combine(inventory, host + ".yaml");
        // A FIFO or a device there is never read (battery 43: Join blamed its name:, or hung on it); a folder is refused below.
        if (File.Exists(file) && InputFiles.NotRegular(file) is { } notAFile)
            throw new StateConflict($"{Workspace.Relative(file)} is {notAFile}, where the host's file goes; nothing was written",
                "move it aside (flatnet did not make it), then run Join again", Workspace.Relative(file));
        var made = !File.Exists(file);
        // Where its join script goes, checked before the host's file is written: something of the user's in the way
        // stops Join with nothing written (a folder where the script goes, a file where its folder goes).
        var scriptFolder = Path.Combine(context.Workspace.ArtifactsDirectory, "join", host);
        var scriptAt = Path.Combine(scriptFolder, platformOf.JoinScriptName);
        if (new[] { Path.GetDirectoryName(scriptFolder)!, scriptFolder, scriptAt }.FirstOrDefault(TempFolders.IsLink) is { } link)
            throw new StateConflict($"{Workspace.Relative(link)} is a link, not a folder of flatnet's, where Join writes the join script; nothing was written",
                $"remove the link (rm {Workspace.Relative(link)}), then run Join again");
        if (File.Exists(scriptFolder) || Directory.Exists(scriptAt) && !TempFolders.IsLink(scriptAt))
            throw new StateConflict($"{Workspace.Relative(File.Exists(scriptFolder) ? scriptFolder : scriptAt)} is a {(File.Exists(scriptFolder) ? "file" : "folder")} of yours where Join writes {(File.Exists(scriptFolder) ? "a folder" : "the join script")}; nothing was written",
                "move it aside (flatnet did not make it), then run Join again"); // the path is said once (battery 29: it was said twice)
        if (made)
        {
            var (known, _, _) = InventoryLoader.Read(inventory);
            var index = known.Hosts.Select(h => h.Index ?? 0).DefaultIfEmpty(0).Max() + 1;
            SafeFiles.WriteAllText(file, platformOf.NewHostFile(host, index, address));
        }
        try
        {
            return Finish(context, host, file, made, home);
        }
        catch when (made && File.Exists(file))
        {
            File.Delete(file); // all or nothing: whatever stops Join after the host's file was made takes it back (battery 26)
            throw;
        }
    }

    private static JoinOutcome Finish(FlatnetContext context, string host, string file, bool made, string? home)
    {
        var inventory = context.Workspace.InventoryDirectory;
        var (read, problems, networkRead) = InventoryLoader.Read(inventory);
        if (!networkRead) problems.ThrowIfAny(inventory);
        var entry = read.Hosts.SingleOrDefault(h => h.Name == host)
                    ?? throw new FlatnetException($"{Workspace.Relative(file)} does not describe {host}", "its name: must be the file's name", Workspace.Relative(file), "name");
        var platform = context.Platforms.For(entry);
        string deployKey;
        try
        {
            deployKey = DeployKey(entry, home ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        }
        catch (FlatnetException e) when (made)
        {
            // The host's file goes with the refusal (Prepare takes it back), and the refusal names no file that is gone.
            throw new FlatnetException($"{host}: {e.Problem}; nothing was written",
                $"make one: ssh-keygen -t ed25519, then run Join again (a key elsewhere: write {Workspace.Relative(file)} with deploy.identity naming it, then Join)", inner: e);
        }
        var script = platform.JoinScript(entry, read.Network, deployKey);
        var path = Path.Combine(context.Workspace.ArtifactsDirectory, "join", host, platform.JoinScriptName);
        context.ClaimArtifacts();
        // The same script as last time stays as it is (a run changes only what changed).
        if (InputFiles.SmallRecord(path, InputFiles.StateLimit) != script) SafeFiles.WriteAllText(path, script, shape: JoinScriptShape);
        // Said once nothing can take it back any more (battery 29: "wrote" was logged before a refusal undid it).
        if (made) context.Log.Info($"wrote {Workspace.Relative(file)} (index {entry.Index}; its reply fills in the rest)");
        context.Log.Info($"join script: {Workspace.Relative(path)} (it carries this machine's deploy key, public half).\n" +
                         $"Copy it to {host} and run it once there as an administrator:\n" +
                         $"  {platform.JoinCommand}\n" +
                         $"It prints one line; give it back here: ./build.sh --target=Join --host={host} --reply=\"flatnet-join host={host} ...\"");
        return new JoinOutcome(file, path, []);
    }

    /// <summary>A reply is one line of a few hundred characters: a file is read up to 64 KiB (never /dev/zero whole), its reply line taken.</summary>
    private static string ReplyIn(string file)
    {
        const int Limit = 64 * 1024;
        if (InputFiles.NotRegular(file) is { } why) throw new UsageError($"{Workspace.Relative(file)} is {why}: it is not read", "pass the reply line itself, or the file join.ps1's output was saved to", "--reply");
        var text = InputFiles.ReadTextUpTo(file, Limit)
                   ?? throw new UsageError($"{Workspace.Relative(file)} is longer than a join script's output ({Limit / 1024} KiB at most)", "pass the reply line itself, or the file join.ps1's output was saved to", "--reply");
        return text.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.TrimStart().StartsWith("flatnet-join ", StringComparison.Ordinal)) ?? "";
    }

    /// <summary>Pins the reply's fields into hosts/NAME.yaml; the inventory must then be one Plan accepts.</summary>
    public static JoinOutcome Answer(FlatnetContext context, string host, string reply)
    {
        if (File.Exists(reply)) reply = ReplyIn(reply);
        // Every word after flatnet-join is one KEY=VALUE field: a word that is not (not-an-address=...) is named, never read
        // as the field its tail looks like.
        var words = reply.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Skip(1).FirstOrDefault(w => w.Contains('=') && !Reply().IsMatch(w)) is { } stray && words.FirstOrDefault() == "flatnet-join")
            throw new UsageError($"has '{Grammar.Shown(stray)}', which is no field of a join script's reply", "pass the last line join.ps1 (or join.sh) printed, as it printed it", "--reply");
        var matches = words.Skip(1).Select(w => Reply().Match(w)).Where(m => m.Success).ToList();
        // In any case: HOST= beside host= is a reply someone edited, not one a join script printed.
        if (matches.GroupBy(m => m.Groups[1].Value, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UsageError($"names {Grammar.Shown(twice.Key)}= twice, so it is not one join script's reply", "pass the last line join.ps1 (or join.sh) printed, as it printed it", "--reply");
        var fields = matches.ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        if (!reply.TrimStart().StartsWith("flatnet-join ", StringComparison.Ordinal) || !fields.ContainsKey("host"))
            throw new UsageError("is not a join script's reply", "pass the line join.ps1 (or join.sh) printed, starting with flatnet-join, or the file holding it", "--reply");
        if (fields["host"] != host)
            throw new UsageError($"is {Grammar.Shown(fields["host"])}'s reply, not {host}'s", $"run Join --host={Grammar.Shown(fields["host"])} with it, or give {host}'s", "--reply");
        var problems = new List<UsageError>();
        string? Take(string key, Func<string, Grammar.Refusal?> check, bool required = true)
        {
            if (!fields.TryGetValue(key, out var value)) { if (required) problems.Add(new UsageError($"has no {key}=", "run the join script again: its last line is the whole reply", "--reply")); return null; }
            if (check(value) is { } refusal) { problems.Add(new UsageError($"{key}: {refusal.Problem}", refusal.Fix, "--reply")); return null; }
            return value;
        }
        // A field no join script prints (wsl_usr=, a typo) is named, never dropped: it was meant to say something.
        foreach (var unknown in fields.Keys.Where(k => !Fields.Contains(k)))
            problems.Add(new UsageError($"{Grammar.Shown(unknown)}: is no field of a join script's reply ({string.Join(", ", Fields)})", "pass the last line join.ps1 (or join.sh) printed, as it printed it", "--reply"));
        var hostKey = Take("host_key", Grammar.HostKey);
        var address = Take("address", Grammar.Address);
        var user = Take("user", Grammar.User);
        var wslUser = Take("wsl_user", Grammar.User, required: false);
        UsageErrors.ThrowIfAny("Join", problems, "cannot use (in its --reply)");

        var file = Path.Combine(context.Workspace.InventoryDirectory, host + ".yaml");
        // A link there would have its target rewritten (and its text, a token or a key, left ready to commit).
        if (TempFolders.IsLink(file))
            throw new FlatnetException($"{Workspace.Relative(file)} is a link, not the host's own file: nothing was written", "put the host's file itself there", Workspace.Relative(file));
        if (!File.Exists(file)) throw new UsageError($"there is no {Workspace.Relative(file)} to pin the reply into", $"run ./build.sh --target=Join --host={host} first", "--host");
        var yaml = new YamlLines(file);
        var pinned = new List<string>();
        void Pin(string path, string value, string what)
        {
            if (yaml.Get(path) == value) return;
            if (!yaml.Set(path, Rendering.Quoting.YamlQuote(value)))
                throw new FlatnetException($"cannot set {path}: its mapping is not written in block style", $"set it by hand to {value}", Workspace.Relative(file), path);
            pinned.Add(what);
        }
        Pin("deploy.address", address!, $"address {address}");
        Pin("deploy.user", user!, $"user {user}");
        Pin("deploy.host_key", hostKey!, $"host key {hostKey}");
        if (wslUser is not null && wslUser != user) Pin("wsl_user", wslUser, $"WSL owner {wslUser}");
        // The problems the inventory had before the reply: one the reply brings, in whichever file it is named (battery 45:
        // an address clash lands in the file that sorts later, another host's), takes the pins back.
        var already = Problems(context);
        yaml.Save();
        // Every problem left, named now. One the reply brought into the host's own file (an address inside the mesh)
        // or into another's takes the pins back: the file is as it was, and the reply is refused.
        var left = Problems(context);
        if (left.Where(p => p.StartsWith(Workspace.Relative(file) + ":", StringComparison.Ordinal) || p.StartsWith(file + ":", StringComparison.Ordinal)
                            || !already.Contains(p)).ToList() is { Count: > 0 } own)
        {
            if (pinned.Count > 0) SafeFiles.WriteFile(file, t => File.WriteAllBytes(t, yaml.Original.ToArray())); // byte for byte (battery 43: its BOM and a Latin-1 byte went)
            throw new InventoryProblem(context.Workspace.InventoryDirectory, own);
        }
        if (left.Count > 0)
        {
            LogPinned();
            throw new FlatnetException($"{host}: the reply is pinned in {Workspace.Relative(file)}, but the inventory still has {left.Count} problem(s) before AddHost can run:\n    " +
                                       string.Join("\n    ", left.Select(p => p.Replace("\n", "\n    "))), "fix them as each says, then ./build.sh --target=Plan");
        }
        LogPinned();
        context.Log.Info($"next: ./build.sh --target=AddHost --host={host}");
        return new JoinOutcome(file, null, pinned);

        // The inventory's problems as Plan names them, in its order; none when it loads.
        static IReadOnlyList<string> Problems(FlatnetContext context)
        {
            try
            {
                _ = Addressing.AddressPlan.Load(context.Workspace.InventoryDirectory);
                return [];
            }
            catch (InventoryProblem e)
            {
                return e.Problems;
            }
        }

        void LogPinned() => context.Log.Info(pinned.Count == 0 ? $"{host}: {Workspace.Relative(file)} already says all this"
            : $"{host}: pinned {string.Join(", ", pinned)} in {Workspace.Relative(file)}");
    }

    /// <summary>The public half of the key this machine reaches the host with (as ssh would pick it: <see cref="SshTarget"/>).</summary>
    private static string DeployKey(HostEntry host, string home)
    {
        var target = SshTarget.For(host, home);
        var pub = target.Identities.Select(i => i + ".pub").FirstOrDefault(File.Exists)
            ?? throw new FlatnetException($"no SSH key on this machine to put on {host.Name}: looked for {string.Join(", ", target.Identities.Select(i => i + ".pub"))}",
                "make one: ssh-keygen -t ed25519 (or set deploy.identity in the host's file), then run Join again", host.File, "deploy.identity");
        return Grammar.SshPublicKey(InputFiles.ReadAllText(pub, InputFiles.KeyLimit, "the SSH public key", "deploy.identity")) is var (type, blob) ? $"{type} {blob} flatnet-deploy"
            : throw new FlatnetException($"{pub} is not an SSH public key", "make a key pair with ssh-keygen -t ed25519", host.File, "deploy.identity");
    }

    /// <summary>The fields join.ps1 and join.sh print (templates/join.ps1.scriban's last line).</summary>
    private static readonly string[] Fields = ["host", "host_key", "address", "user", "wsl_user", "wsl", "build"];

    [GeneratedRegex(@"^([A-Za-z_]+)=(\S+)\z")]
    private static partial Regex Reply();
}
