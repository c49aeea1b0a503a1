using Flatnet.Workflows;
using System.Globalization;
using Flatnet.Addressing;
using Flatnet.Deploy;
using Flatnet.Inventory;

namespace Flatnet.Pki;

/// <summary>A certificate's row in CheckCerts.</summary>
public sealed record CertificateDue(string Name, DateTimeOffset NotAfter, int DaysLeft, bool IsCa)
{
    public bool Expired => NotAfter <= DateTimeOffset.UtcNow;
}

/// <summary>The certificate workflow: InitCa, GenerateCert, RenewCert, CheckCerts.</summary>
public sealed class Certificates(FlatnetContext context)
{
    private AddressPlan Plan => context.Plan;
    private IReporter Log => context.Log;

    public bool InitCa() => context.Ca.Init();

    /// <param name="publicKey">--pub: a public key made on the host. Without it, a host with keygen_on_host
    /// must have dropped its key at artifacts/hosts/NAME/host.pub; other hosts get a key pair made here.</param>
    public CertOutcome Generate(string host, bool force = false, string? publicKey = null)
    {
        var h = Plan.Host(host);
        if (Plan.Inventory.IsRevoked(host))
            throw new FlatnetException($"{host} was revoked, so flatnet will not sign a new certificate for it",
                fix: $"to re-admit it, remove its line from {Blocklist.FileName}; to retire it, RemoveHost or delete hosts/{host}.yaml",
                file: Workspace.Relative(Blocklist.PathIn(context.Workspace.InventoryDirectory)), field: host);
        if (publicKey is null && h.Host.Deploy.KeygenOnHost)
            publicKey = HostMadePublicKey(h);
        EnsureCa();
        return new HostCertificates(context.NebulaCert, context.Ca, context.Workspace, Log)
            .Generate(h, Plan.Inventory.Network.CertDuration, force, publicKey);
    }

    public CertOutcome Renew(string host) => Generate(host, force: true);

    /// <summary>Why the host's certificate in artifacts cannot be packed as it is; null when it is current.</summary>
    public string? WhyNotCurrent(HostAddresses host) =>
        new HostCertificates(context.NebulaCert, context.Ca, context.Workspace, Log).WhyNotCurrent(host);

    /// <summary>With ca.create_if_missing, host tasks make the CA on first use; the warning says why that may be wrong.</summary>
    public void EnsureCa()
    {
        var settings = Plan.Inventory.Network.Ca;
        if (!settings.CreateIfMissing || !context.Ca.Init(quietIfExists: true)) return;
        Log.Warn($"no CA was found, so a new one was made ({Plan.Inventory.Network.File}: ca.create_if_missing is true). " +
                 "If your lighthouse already has a CA (Stage 1), hosts signed by this one cannot join it: copy its ca.crt and ca.key " +
                 $"to {Workspace.Relative(settings.CrtPath)} and {Workspace.Relative(settings.KeyPath)}, set create_if_missing: false, and re-run with --force.");
    }

    /// <summary>keygen_on_host: the public key the host made, fetched over its transport when it is not here yet.</summary>
    private string HostMadePublicKey(HostAddresses host)
    {
        var publicKey = context.Workspace.IncomingPublicKey(host.Name);
        var byHand = $"on {host.Name} run `nebula-cert keygen -out-key host.key -out-pub host.pub` and copy host.pub to {Workspace.Relative(publicKey)} (or pass --pub=FILE)";
        if (!File.Exists(publicKey) && host.Host.Deploy.Transport != DeployTransport.None)
        {
            try
            {
                FetchPublicKey(host, publicKey);
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
    private void FetchPublicKey(HostAddresses host, string destination)
    {
        var model = context.Model(host);
        using var connection = HostConnections.Open(host.Host);
        ShipKeygenTool(model, connection);
        var result = connection.Run(HostOperations.MakeKeyPairCommand(model));
        if (!result.Succeeded)
            throw new FlatnetException($"making the key on the host failed (exit {result.ExitCode}): {(result.StdErr + result.StdOut).Trim()}",
                fix: $"install nebula-cert on {host.Name}");
        var pub = connection.ReadFile(HostOperations.RemotePath(model, model.Paths.ConfigDir + "/host.pub"));
        if (!pub.Contains("PUBLIC KEY"))
            throw new FlatnetException($"{model.Paths.ConfigDir}/host.pub is missing or not a public key",
                fix: $"delete host.key there to make a new pair, or copy host.pub by hand");
        context.ClaimArtifacts();
        SafeFiles.WriteAllText(destination, pub);
        Log.Info($"{host.Name}: key pair made on the host; fetched only its public key");
    }

    /// <summary>
    /// A Windows host makes its key before any bundle installed Nebula there: with nebula.windows.release, its
    /// nebula-cert.exe goes ahead on its own (nebula.exe, a running service's file, is left to install.ps1).
    /// </summary>
    private void ShipKeygenTool(Rendering.HostModel model, IHostConnection connection)
    {
        var windows = Plan.Inventory.Network.Nebula.Windows;
        if (!model.IsWindows || windows.Release is null) return;
        var tool = context.WindowsReleaseFiles(windows, Plan.Inventory.Network.File).Single(f => f.Path == "nebula/nebula-cert.exe");
        var folder = Directory.CreateTempSubdirectory("flatnet-keygen-");
        using var cleanup = TempFolders.DeleteOnExit(folder.FullName);
        File.WriteAllBytes(Path.Combine(folder.FullName, "nebula-cert.exe"), tool.Content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(folder.FullName, "nebula-cert.exe"), (UnixFileMode)tool.Mode);
        connection.Upload(folder.FullName, HostOperations.RemotePath(model, model.Paths.NebulaDir));
    }

    /// <summary>CheckCerts --days=N as typed on the command line.</summary>
    public IReadOnlyList<CertificateDue> Check(string days) =>
        int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d <= 36500
            ? Check(d)
            : throw new FlatnetException($"'{days}' is not a number of days", fix: "e.g. --days=30 (the default)", field: "--days");

    /// <summary>Every certificate with its days left; throws when any has fewer than <paramref name="minimumDays"/>, with a fix per kind.</summary>
    public IReadOnlyList<CertificateDue> Check(int minimumDays)
    {
        var rows = new List<CertificateDue>();
        void Add(string name, string crt, bool isCa)
        {
            var info = context.NebulaCert.Print(crt);
            rows.Add(new CertificateDue(name, info.NotAfter, info.DaysLeft, isCa));
        }
        context.Ca.RequireExisting();
        Add("CA " + Plan.Inventory.Network.Ca.Name, context.Ca.CrtPath, isCa: true);
        foreach (var h in Plan.Active)
        {
            var crt = Path.Combine(context.Workspace.PkiDirectory(h.Name), "host.crt");
            if (File.Exists(crt)) Add(h.Name, crt, isCa: false);
            else Log.Info($"  {h.Name,-16} not signed yet");
        }
        foreach (var r in rows)
            Log.Info($"  {r.Name,-16} valid until {r.NotAfter:yyyy-MM-dd}  " +
                     (r.Expired ? "EXPIRED" : $"{r.DaysLeft,5} days left{(r.DaysLeft < minimumDays ? "  RENEW" : "")}"));
        var due = rows.Where(r => r.DaysLeft < minimumDays).ToList();
        if (due.Count == 0) return rows;
        var fixes = new List<string>();
        if (due.Any(d => d.IsCa))
            fixes.Add("the CA: ./build.sh --target=RotateCa replaces it without an outage (a new CA, trusted beside the old one, every host re-signed, then the old one dropped; " +
                      "a re-run continues where it stopped)");
        if (due.Any(d => !d.IsCa))
            fixes.Add("a host: ./build.sh --target=RenewCert --host=NAME, then AddHost --host=NAME deploys it");
        throw new FlatnetException($"{due.Count} certificate(s) expired or expire within {minimumDays} days: " +
                                   string.Join(", ", due.Select(d => d.Expired ? $"{d.Name} (EXPIRED)" : d.Name)),
            fix: "for " + string.Join("\n    fix: for ", fixes));
    }
}
