using Flatnet.Inventory;
using Flatnet.Tools;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Pki;

/// <summary>
/// Nebula's own admin interface (its `sshd`), bound to 127.0.0.1 on every host, the one live source of tunnel state
/// that every release from 1.6 has, on Windows too: `list-hostmap -json` says per peer whether the tunnel is direct
/// (and to which address) or relayed (and through whom). flatnet reaches it through the host's own SSH connection
/// (a forwarded port), so it is never exposed beyond the host. Only flatnet's admin key may log in; its private half
/// stays on the build machine beside the CA key. Its host key is made on the host at install (never travels).
/// </summary>
public sealed record AdminInterface(int Port, string User, string AuthorizedKey, string PrivateKeyPath)
{
    public const string DefaultUser = "flatnet";
    public const string KeyFileName = "nebula-admin_ed25519";
    public const string HostKeyFileName = "admin_host_ed25519";
    /// <summary>The host's own watcher (scripts/direct-paths), whose key is made on the host and never leaves it.</summary>
    public const string WatcherUser = "flatnet-watcher";
    public const string WatcherKeyFileName = "watcher_ed25519";

    /// <summary>
    /// The admin key for a mesh listening on <paramref name="port"/>. Its public half is what configs carry: the
    /// inventory's nebula.admin_key when recorded (so that every clone renders the same configs), else the pair beside
    /// the CA key (made once with ssh-keygen, owner-only), whose public half a writing run then records in
    /// <paramref name="recordIn"/>'s network.yaml. The private half never leaves pki/.
    /// </summary>
    /// <param name="generatedInventory">the inventory is one flatnet generated (the lab's, under artifacts/): never committed, so the advice to record the key cannot apply.</param>
    public static AdminInterface Ensure(CaSettings ca, int port, string? recorded, IReporter log, string? recordIn = null, bool generatedInventory = false)
    {
        var dir = Path.GetDirectoryName(ca.KeyPath)!;
        var key = Path.Combine(dir, KeyFileName);
        if (recorded is not null)
        {
            // The private half is needed only to read the hosts' tunnels; when it is here it must be the recorded key's.
            if (File.Exists(key + ".pub") && Public(key) != recorded)
                throw new FlatnetException($"{Workspace.Relative(key)} is not the admin key network.yaml records (nebula.admin_key); hosts trust the recorded one",
                    fix: $"copy the matching {KeyFileName} and its .pub from the machine that recorded it, or remove nebula.admin_key and redeploy every host with the key here");
            return new AdminInterface(port, DefaultUser, recorded, key);
        }
        if (!File.Exists(key) || !File.Exists(key + ".pub"))
        {
            RequireNothingOfTheUsersAt(dir);
            SafeFiles.RequireSecretFolder(dir, "the admin key's folder (beside ca.key)");
            var staging = Path.Combine(dir, $".{KeyFileName}.tmp-{Guid.NewGuid():N}");
            // Registered, so that a run stopped while ssh-keygen writes (Ctrl-C, SIGTERM) removes them on its way out too.
            using (TempFolders.DeleteOnExit(staging))
            using (TempFolders.DeleteOnExit(staging + ".pub"))
            {
                SshKeygen.Ed25519(staging, "flatnet-nebula-admin");
                SafeFiles.RestrictToOwner(staging);
                File.Move(staging + ".pub", key + ".pub", overwrite: true);
                File.Move(staging, key, overwrite: true);
            }
            log.Info($"made flatnet's key for Nebula's admin interface: {Workspace.Relative(key)} (owner-only; only its public half goes into configs)");
        }
        var made = Public(key);
        if (recordIn is not null && AdminKeyRecord.Record(recordIn, made) is { } file)
            log.Info($"recorded the admin key's public half in {Workspace.Relative(file)} (nebula.admin_key): commit it, and every clone renders the same configs");
        else if (recordIn is null && !generatedInventory && SaidOnce.First("no admin key: " + key))
            log.Warn($"the inventory records no admin key (nebula.admin_key), so configs rendered here use {Workspace.Relative(key)}.pub and differ from another clone's; " +
                     "run ./build.sh --target=InitCa (or any target that writes) once and commit network.yaml");
        return new AdminInterface(port, DefaultUser, made, key);
    }

    /// <summary>
    /// Where the pair is to be made, nothing of anyone else's: flatnet puts the public half in place first, then the
    /// private one, so a private key there without its .pub, a .pub without flatnet's comment, or anything but a plain
    /// file is someone else's, never replaced (battery 33: a user's key went). Init asks before its first write (battery 40).
    /// </summary>
    public static void RequireNothingOfTheUsersAt(string dir)
    {
        var key = Path.Combine(dir, KeyFileName);
        if (File.Exists(key) && File.Exists(key + ".pub")) return; // a pair, read as flatnet's (and checked) where it is used
        foreach (var (half, mark) in new[] { (key, ""), (key + ".pub", "flatnet-nebula-admin") })
            if (File.Exists(half) && !TempFolders.IsLink(half) && (InputFiles.NotRegular(half) is not null || mark.Length == 0
                    || !InputFiles.ReadAllText(half, InputFiles.KeyLimit, "the admin key's public half").Contains(mark, StringComparison.Ordinal)))
                throw new StateConflict($"{Workspace.Relative(half)} is {InputFiles.NotRegular(half) ?? "a file"} of yours where flatnet makes its admin key{(mark.Length == 0 ? " (it is there without its .pub, which flatnet writes first)" : "")}; it was left as it is",
                    $"move it aside (flatnet did not make it), then run this again; or, if it is flatnet's key from another clone, copy its .pub beside it too", Workspace.Relative(half));
    }

    private static string Public(string key)
    {
        return Grammar.SshPublicKey(InputFiles.ReadAllText(key + ".pub", InputFiles.KeyLimit, "the admin key's public half")) is var (type, blob) ? $"{type} {blob}"
            : throw new FlatnetException($"{Workspace.Relative(key + ".pub")} is not an SSH public key.", fix: $"delete {Workspace.Relative(key)} and its .pub; flatnet makes a new pair (then redeploy every host)");
    }
}
