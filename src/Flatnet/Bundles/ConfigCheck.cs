using Flatnet.Pki;
using Flatnet.Rendering;
using Flatnet.Tools;
using Flatnet.Files;

namespace Flatnet.Bundles;

/// <summary>
/// `nebula -test` on a host's config exactly as rendered, by the Nebula release the host runs, before any bundle is
/// written. Only pki points at this machine's copy of the certificates.
/// </summary>
public sealed class ConfigCheck(NebulaCert nebulaCert, CertificateAuthority ca, HostRenderer renderer, string artifactsDirectory)
{
    private static readonly Lock HostKeyLock = new();

    /// <summary>
    /// `nebula -test` on a config whose daemon has no certificate here (a lighthouse flatnet does not manage): with a
    /// throw-away certificate of the same name, IP and groups, signed by the CA.
    /// </summary>
    public void RunWithTwin(HostModel model, string ipCidr, IReadOnlyList<string> groups, Nebula checker)
    {
        using var check = TempFolders.Create(artifactsDirectory, "check");
        var cert = Path.Combine(check.Path, "twin.crt");
        var key = Path.Combine(check.Path, "twin.key");
        nebulaCert.Sign(new NebulaCertSignSettings(model.Name, ipCidr, ca.CrtPath, ca.KeyPath, cert)
            { OutKey = key, Groups = groups, Duration = "1h" });
        Test(model with { Paths = model.Paths with { Ca = TrustedCas(check.Path, ca.TrustedPem()), Cert = cert, Key = key } }, check.Path, checker);
    }

    /// <param name="trustedCas">the ca.crt the host receives (both CAs during a rotation): nebula -test loads exactly that.</param>
    public void Run(HostModel model, string pkiDirectory, byte[] trustedCas, Nebula checker)
    {
        using var check = TempFolders.Create(artifactsDirectory, "check");
        var cert = Path.Combine(pkiDirectory, "host.crt");
        var key = Path.Combine(pkiDirectory, "host.key");
        if (!File.Exists(key))
        {
            // The key was made on the host, and nebula -test insists on a key that pairs with the cert: check the
            // config with a throw-away twin (same name, IP, groups, subnets, CA). The real cert was verified on signing.
            var info = nebulaCert.Print(cert);
            cert = Path.Combine(check.Path, "twin.crt");
            key = Path.Combine(check.Path, "twin.key");
            nebulaCert.Sign(new NebulaCertSignSettings(info.Name, info.Ips[0], ca.CrtPath, ca.KeyPath, cert)
            {
                OutKey = key, Groups = info.Groups, Subnets = info.Subnets, Duration = "1h",
            });
        }
        else if (!InputFiles.ReadAllText(key, InputFiles.KeyLimit, "the host's private key").Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            // nebula -test would blame the config ("correct hosts/ or templates/"): the key is what is wrong.
            throw new FlatnetException($"{Workspace.Relative(key)} is {(new FileInfo(key).Length == 0 ? "empty" : "not a Nebula private key")}, so {model.Name}'s certificate has no key to go with it",
                $"./build.sh --target=GenerateCert --host={model.Name} --force (a new key pair and certificate), or set keygen_on_host: true to make the key on the host");
        Test(model with { Paths = model.Paths with { Ca = TrustedCas(check.Path, trustedCas), Cert = cert, Key = key } }, check.Path, checker);
    }

    private static string TrustedCas(string folder, byte[] pem)
    {
        var path = Path.Combine(folder, "ca.crt");
        File.WriteAllBytes(path, pem);
        return path;
    }

    private void Test(HostModel local, string folder, Nebula checker)
    {
        // The admin interface's host key is made on the host at install; nebula -test needs one to load.
        local = local with { Admin = local.Admin is null ? null : local.Admin with { HostKey = ThrowAwayHostKey() } };
        var config = Path.Combine(folder, "config.yaml");
        File.WriteAllText(config, renderer.RenderConfig(local));
        checker.Test(config, local.Name);
    }

    /// <summary>A throw-away SSH host key, only so that `nebula -test` can load a config with the admin interface.</summary>
    private string ThrowAwayHostKey()
    {
        lock (HostKeyLock)
        {
            var key = Path.Combine(artifactsDirectory, "check", AdminInterface.HostKeyFileName);
            // artifacts/check a link (battery 20: the key was written where it led, and a link there to pki/ca.key had
            // nebula load the CA's key as its host key): refused; the key itself only when it is a plain file of its own.
            SafeFiles.RequireNoLinkOnTheWay(Path.GetDirectoryName(key)!);
            if (TempFolders.IsLink(key)) File.Delete(key);
            // A FIFO or a device there is the user's, as at every path of flatnet's (battery 39: one was deleted without a word).
            if (File.Exists(key) && InputFiles.NotRegular(key) is { } why)
                throw new StateConflict($"{Workspace.Relative(key)} is {why}, where flatnet keeps a throw-away key for nebula -test; it was left as it is",
                    "move it aside (flatnet did not make it), then run this again", Workspace.Relative(key));
            // Only a key of flatnet's is used as found (battery 33: a note there failed nebula -test for every host, blamed on the hosts).
            if (File.Exists(key) && InputFiles.ReadAllText(key, InputFiles.KeyLimit, "the throw-away host key").Contains("PRIVATE KEY-----", StringComparison.Ordinal)) return key;
            if (File.Exists(key))
                throw new StateConflict($"{Workspace.Relative(key)} is a file of yours where flatnet keeps a throw-away key for nebula -test; it was left as it is",
                    "move it aside (flatnet did not write it), then run this again", Workspace.Relative(key));
            SafeFiles.ClaimArtifacts(artifactsDirectory);
            Directory.CreateDirectory(Path.GetDirectoryName(key)!);
            // Named as every temporary of flatnet's (.NAME.tmp-GUID, which the next run sweeps after a SIGKILL) and
            // registered, so that a run stopped while ssh-keygen writes removes it on its way out.
            var temp = Path.Combine(Path.GetDirectoryName(key)!, $".{AdminInterface.HostKeyFileName}.tmp-{Guid.NewGuid():N}");
            using (TempFolders.DeleteOnExit(temp))
            using (TempFolders.DeleteOnExit(temp + ".pub"))
            {
                SshKeygen.Ed25519(temp, "flatnet-config-check");
                File.Delete(temp + ".pub");
                File.Move(temp, key, overwrite: true);
            }
            return key;
        }
    }
}
