using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Pki;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// Certify (GenerateCert): signs a host's certificate (its Nebula IP, groups, and routed block as subnets) into
/// artifacts/hosts/HOST/pki/, only when what it is made from changed; with keygen_on_host the key pair is made on the
/// host and only its public half comes back.
/// </summary>
public static partial class HostPipeline
{
    /// <param name="publicKey">--pub: a public key made on the host. Without it, a host with keygen_on_host
    /// must have dropped its key at artifacts/hosts/NAME/host.pub; other hosts get a key pair made here.</param>
    public static CertOutcome Certify(FlatnetContext context, string host, bool force = false, string? publicKey = null)
    {
        var plan = context.Plan;
        var h = plan.Host(host);
        SafeFiles.RequireNoLinkOnTheWay(context.Workspace.PkiDirectory(host)); // what is there is read (up to date?) only where no link leads (battery 40)
        if (plan.Inventory.IsRevoked(host))
            throw new FlatnetException($"{host} was revoked, so flatnet will not sign a new certificate for it",
                fix: $"to re-admit it, remove its line from {Blocklist.FileName}; to retire it, RemoveHost or delete hosts/{host}.yaml",
                file: Workspace.Relative(Blocklist.PathIn(context.Workspace.InventoryDirectory)), field: host);
        // The CA first: without it nothing can be signed, and the host is not asked for a key (a 10 s SSH timeout
        // that then hid the missing CA).
        CaSetup.Ensure(context);
        if (publicKey is null && h.Host.Deploy.KeygenOnHost)
            publicKey = HostMadePublicKey(context, h);
        // nebula-cert would block on a FIFO, or read /dev/zero for ever: a public key is a small regular file.
        if (publicKey is not null)
        {
            var bytes = InputFiles.ReadAllBytes(publicKey, InputFiles.KeyLimit, "the host's public key", "--pub");
            // A key the host made, given by --pub, is kept where the host's own would be fetched to: PackageAll and
            // Release then find it, and never reach out to the host for another.
            var kept = context.Workspace.IncomingPublicKey(host);
            if (h.Host.Deploy.KeygenOnHost && Path.GetFullPath(publicKey) != Path.GetFullPath(kept) && InputFiles.SmallRecord(kept, InputFiles.KeyLimit) != System.Text.Encoding.UTF8.GetString(bytes))
            {
                context.ClaimArtifacts();
                // Only over a Nebula public key, never another (battery 35: a PEM key of the user's there was replaced).
                StateShapes.RequireOursOrNothing(kept, StateShapes.Of("host.pub")!);
                SafeFiles.WriteFile(kept, t => File.WriteAllBytes(t, bytes));
            }
        }
        return CertificatesOf(context).Generate(h, plan.Inventory.Network.CertDuration, force, publicKey);
    }

    /// <summary>
    /// keygen_on_host, and the host has not made its key yet: no public key here, no certificate signed. PackageAll
    /// and Release leave such a host pending (its first AddHost makes the key there) instead of reaching out to it.
    /// </summary>
    public static bool AwaitsKeyFromHost(FlatnetContext context, HostAddresses host) =>
        host.Host.Deploy.KeygenOnHost && !File.Exists(context.Workspace.IncomingPublicKey(host.Name)) &&
        !File.Exists(Path.Combine(context.Workspace.PkiDirectory(host.Name), "host.crt"));

    /// <summary>Why the host's certificate in artifacts cannot be packed as it is; null when it is current.</summary>
    public static string? WhyNotCurrent(FlatnetContext context, HostAddresses host) => CertificatesOf(context).WhyNotCurrent(host);

    private static HostCertificates CertificatesOf(FlatnetContext context) => new(context.NebulaCert, context.Ca, context.Workspace, context.Log);

    /// <summary>keygen_on_host: the public key the host made, fetched over its transport when it is not here yet.</summary>
    private static string HostMadePublicKey(FlatnetContext context, HostAddresses host)
    {
        var publicKey = context.Workspace.IncomingPublicKey(host.Name);
        var byHand = $"on {host.Name} run `nebula-cert keygen -out-key host.key -out-pub host.pub` and copy host.pub to {Workspace.Relative(publicKey)} (or ./build.sh --target=GenerateCert --host={host.Name} --pub=FILE)";
        if (!File.Exists(publicKey) && host.Host.Deploy.Transport != DeployTransport.None)
        {
            try
            {
                FetchPublicKey(context, host, publicKey);
            }
            catch (FlatnetException e)
            {
                throw new FlatnetException($"{host.Name}: could not have its key made on the host: {e.Problem}", fix: (e.Fix is null ? "" : e.Fix + "; or by hand: ") + byHand, inner: e);
            }
        }
        return File.Exists(publicKey) ? publicKey
            : throw new FlatnetException($"{host.Name} makes its own key, but no public key is at {Workspace.Relative(publicKey)}",
                fix: byHand, file: host.Host.File, field: "deploy.keygen_on_host");
    }

    /// <summary>The host makes its key pair where the config will use it (once; an existing key is kept); only the public key comes back.</summary>
    private static void FetchPublicKey(FlatnetContext context, HostAddresses host, string destination)
    {
        var model = context.Model(host);
        var platform = context.Platform(host);
        var connection = context.Connection(host);
        using (var scratch = TempFolders.Create(context.Workspace.ArtifactsDirectory, "keygen"))
            platform.PrepareKeygen(model, connection, context.ShippedNebula(platform), scratch.Path);
        var result = platform.MakeKeyPair(model, connection);
        if (!result.Succeeded)
            throw new FlatnetException($"making the key on the host failed (exit {result.ExitCode}): {(result.StdErr + result.StdOut).Trim()}",
                fix: $"install nebula-cert on {host.Name}");
        var pub = connection.ReadFile(platform.RemotePath(model.Paths.ConfigDir + "/host.pub"));
        if (!pub.Contains("PUBLIC KEY"))
            throw new FlatnetException($"{model.Paths.ConfigDir}/host.pub is missing or not a public key",
                fix: $"delete host.key there to make a new pair, or copy host.pub by hand");
        context.ClaimArtifacts();
        StateShapes.RequireOursOrNothing(destination, StateShapes.Of("host.pub")!);
        SafeFiles.WriteAllText(destination, pub);
        context.Log.Info($"{host.Name}: key pair made on the host; fetched only its public key");
    }
}
