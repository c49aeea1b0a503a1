using System.Text;
using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Bundles;
using Flatnet.Deploy;
using Flatnet.Pki;
using Flatnet.Rendering;
using Flatnet.Tools;
using Flatnet.Versions;

namespace Flatnet;

/// <summary>
/// The entry points the Cake tasks call, one method per task, so build/*.cake stays a thin shell and a
/// move to Cake.Frosting is a matter of wrapping these calls in FrostingTask classes.
/// </summary>
public sealed class ControlPlane
{
    private readonly Workspace workspace;
    private readonly IReporter log;

    public ControlPlane(Workspace workspace, IReporter log)
    {
        workspace.Validate();
        this.workspace = workspace;
        this.log = log;
    }

    private AddressPlan? _plan;
    private NebulaCert? _nebulaCert;
    private Nebula? _nebula;
    private HostRenderer? _renderer;

    public Workspace Workspace => workspace;
    public IReporter Log => log;

    /// <summary>Loads and validates the inventory once; every task starts here, so a bad inventory stops before any write.</summary>
    public AddressPlan Plan()
    {
        if (_plan is not null) return _plan;
        _plan = AddressPlan.Build(InventoryLoader.Load(workspace.InventoryDirectory));
        foreach (var w in _plan.Warnings) log.Warn(w);
        // The artifacts folder must be flatnet's before any task starts (it is marked at the first write).
        SafeFiles.ClaimArtifacts(workspace.ArtifactsDirectory, mark: false);
        return _plan;
    }

    public NebulaCert NebulaCert =>
        _nebulaCert ??= NebulaCert.Locate(new ToolLocator(workspace.ToolsDirectory), Plan().Inventory.Network.Nebula.CertTool);

    public Nebula Nebula => _nebula ??= Nebula.Locate(new ToolLocator(workspace.ToolsDirectory));

    public HostRenderer Renderer => _renderer ??= new HostRenderer(new TemplateRenderer(workspace.TemplatesDirectory));

    private Verification.AdminInterface? _admin;

    /// <summary>Nebula's admin interface on every host (null when network.yaml turns it off): its key is made on first use.</summary>
    public Verification.AdminInterface? Admin => Plan().Inventory.Network.Nebula.AdminPort == 0 ? null
        : _admin ??= Verification.AdminInterface.Ensure(Plan().Inventory.Network.Ca, Plan().Inventory.Network.Nebula.AdminPort, log);

    /// <summary>The one typed model a host's files are rendered from.</summary>
    public HostModel Model(HostAddresses host) => HostModel.ForHost(Plan(), host, Admin);

    public CertificateAuthority Ca => new(NebulaCert, Plan().Inventory.Network.Ca, MeshVersions.Of(Plan()), log);

    /// <summary>Target Plan: prints who gets which address, and checks the inventory.</summary>
    public string DescribePlan()
    {
        var plan = Plan();
        var sb = new StringBuilder();
        sb.AppendLine($"network {plan.Inventory.Network.Name}: overlay {plan.Overlay}, routed blocks from {plan.Inventory.Network.RoutedPool} (/{plan.Inventory.Network.RoutedPrefix} each), UDP {plan.Inventory.Network.ListenPort}");
        sb.AppendLine($"  {"name",-14} {"role",-10} {"nebula ip",-16} {"routed block",-18} {"wsl address",-14} os");
        foreach (var lh in plan.Lighthouses)
            sb.AppendLine($"  {lh.Name,-14} {"lighthouse",-10} {lh.OverlayAddress,-16} {"-",-18} {"-",-14} ({string.Join(", ", lh.Lighthouse.Endpoints)})");
        foreach (var h in plan.Hosts)
            sb.AppendLine($"  {h.Name,-14} {"host",-10} {h.OverlayAddress,-16} {(h.RoutedBlock?.ToString() ?? "-"),-18} {h.WslAddress ?? "-",-14} {h.Host.Os.ToString().ToLowerInvariant()}");
        return sb.ToString().TrimEnd();
    }

    public bool InitCa() => Ca.Init();

    /// <summary>Target FetchNebula: puts Nebula releases (--nebula=1.11.0,1.9.3) in tools/nebula/VERSION from Debian's archive.</summary>
    public IReadOnlyList<string> FetchNebula(string? versions)
    {
        var releases = new NebulaReleases(workspace.ToolsDirectory);
        var wanted = NebulaVersion.ParseList(versions, "--nebula");
        if (wanted.Count == 0)
            throw new FlatnetException($"--nebula: which release(s)?\n    fix: e.g. --nebula={string.Join(",", NebulaVersion.Tested)} (Debian has those three)");
        foreach (var v in wanted) releases.Fetch(v, log);
        var folders = wanted.Select(v => InventoryLoader.Display(releases.Folder(v))).ToList();
        log.Info($"nebula: {string.Join(", ", folders)} ready (nebula, nebula-cert); set nebula.cert_tool to one's nebula-cert to sign with it");
        return folders;
    }

    /// <summary>
    /// keygen_on_host: the host makes its key pair where the config will use it (once; an existing key is kept),
    /// and only the public key comes back here to be signed.
    /// </summary>
    private void FetchPublicKey(HostAddresses host)
    {
        var model = Model(host);
        using var connection = HostConnections.Open(host.Host);
        var dir = model.Paths.ConfigDir;
        var result = connection.Run(HostOperations.MakeKeyPairCommand(model));
        if (!result.Succeeded)
            throw new FlatnetException($"{host.Name}: making the key on the host failed (exit {result.ExitCode}): {(result.StdErr + result.StdOut).Trim()}\n" +
                                       $"    fix: install nebula-cert on {host.Name}, or run nebula-cert keygen there and copy host.pub to {InventoryLoader.Display(workspace.IncomingPublicKey(host.Name))}");
        var pub = connection.ReadFile(HostOperations.RemotePath(model, dir + "/host.pub"));
        if (!pub.Contains("PUBLIC KEY"))
            throw new FlatnetException($"{host.Name}: {dir}/host.pub is missing or not a public key; delete host.key there to make a new pair, or copy host.pub by hand");
        ClaimArtifacts();
        SafeFiles.WriteAllText(workspace.IncomingPublicKey(host.Name), pub);
        log.Info($"{host.Name}: key pair made on the host; fetched only its public key");
    }

    /// <summary>With ca.create_if_missing, host tasks make the CA on first use; the warning says why that may be wrong.</summary>
    private void EnsureCa()
    {
        var settings = Plan().Inventory.Network.Ca;
        if (!settings.CreateIfMissing || !Ca.Init(quietIfExists: true)) return;
        log.Warn($"no CA was found, so a new one was made ({Plan().Inventory.Network.File}: ca.create_if_missing is true). " +
                 "If your lighthouse already has a CA (Stage 1), hosts signed by this one cannot join it: copy its ca.crt and ca.key " +
                 $"to {InventoryLoader.Display(settings.CrtPath)} and {InventoryLoader.Display(settings.KeyPath)}, set create_if_missing: false, and re-run with --force.");
    }

    /// <param name="publicKey">--pub: a public key made on the host. Without it, a host with keygen_on_host
    /// must have dropped its key at artifacts/hosts/NAME/host.pub; other hosts get a key pair made here.</param>
    public CertOutcome GenerateCert(string host, bool force = false, string? publicKey = null)
    {
        var h = Plan().Host(host);
        if (Plan().Inventory.IsRevoked(host))
            throw new FlatnetException(FlatnetException.Describe(InventoryLoader.Display(Path.Combine(workspace.InventoryDirectory, Inventory.Inventory.BlocklistFileName)), host,
                $"{host} was revoked, so flatnet will not sign a new certificate for it",
                $"to re-admit it, remove its line from {Inventory.Inventory.BlocklistFileName}; to retire it, remove hosts/{host}.yaml"));
        if (publicKey is null && h.Host.Deploy.KeygenOnHost)
        {
            publicKey = workspace.IncomingPublicKey(host);
            if (!File.Exists(publicKey) && h.Host.Deploy.Transport != DeployTransport.None)
            {
                try
                {
                    FetchPublicKey(h);
                }
                catch (FlatnetException e)
                {
                    throw new FlatnetException($"{host}: could not have its key made on the host: {e.Message}\n" +
                        $"    or by hand: on {host} run `nebula-cert keygen -out-key host.key -out-pub host.pub` and copy host.pub to {InventoryLoader.Display(publicKey)}", e);
                }
            }
            if (!File.Exists(publicKey))
                throw new FlatnetException(FlatnetException.Describe(h.Host.File, "deploy.keygen_on_host",
                    $"{host} makes its own key, but no public key is at {InventoryLoader.Display(publicKey)}",
                    $"on {host} run `nebula-cert keygen -out-key host.key -out-pub host.pub`, copy host.pub to {InventoryLoader.Display(publicKey)} (or pass --pub=FILE)"));
        }
        EnsureCa();
        var certs = new HostCertificates(NebulaCert, Ca, workspace, log);
        return certs.Generate(h, Plan().Inventory.Network.CertDuration, force, publicKey);
    }

    /// <summary>
    /// Target PackageBundle: renders the host's files, checks its config with `nebula -test`, and writes
    /// artifacts/hosts/NAME/bundle/ and artifacts/bundles/NAME.zip. Needs a current certificate (GenerateCert).
    /// </summary>
    public BundleOutcome PackageBundle(string host)
    {
        var plan = Plan();
        var h = plan.Host(host);
        var certs = new HostCertificates(NebulaCert, Ca, workspace, log);
        if (certs.WhyNotCurrent(h) is { } why)
            throw new FlatnetException($"{host}: cannot package: {why}.\n    fix: ./build.sh --target=GenerateCert --host={host} (AddHost and PackageBundle run it first)");

        var model = Model(h);
        var pki = workspace.PkiDirectory(host);
        var checker = ConfigChecker(h);
        CheckConfig(model, pki, checker);
        var extra = new List<RenderedFile>();
        foreach (var name in new[] { "ca.crt", "host.crt", "host.key" }.Where(n => File.Exists(Path.Combine(pki, n))))
            extra.Add(new RenderedFile(name, File.ReadAllBytes(Path.Combine(pki, name)), name.EndsWith(".key") ? RenderedFile.Secret : RenderedFile.Regular));
        if (model.IsWindows && plan.Inventory.Network.Nebula.Windows.Binaries is { } binaries)
            foreach (var exe in new[] { "nebula.exe", "nebula-cert.exe" })
            {
                var path = Path.Combine(binaries, exe);
                if (!File.Exists(path))
                    throw new FlatnetException($"{plan.Inventory.Network.File}: nebula.windows.binaries: {exe} is not in {InventoryLoader.Display(binaries)}.\n    fix: put Nebula's Windows binaries there, or remove the key to install them by hand");
                extra.Add(new RenderedFile("nebula/" + exe, File.ReadAllBytes(path), RenderedFile.Executable));
            }

        var bundle = HostBundle.Assemble(model, Renderer.Render(model), extra, BundleVersions(checker));
        ClaimArtifacts();
        var zip = bundle.ToZip();
        var zipPath = workspace.BundlePath(host);
        var unchanged = File.Exists(zipPath) && File.ReadAllBytes(zipPath).AsSpan().SequenceEqual(zip)
                        && Directory.Exists(workspace.BundleDirectory(host));
        if (unchanged)
        {
            log.Info($"{host}: bundle is up to date ({InventoryLoader.Display(zipPath)}); nothing written.");
            return new BundleOutcome(bundle, false);
        }
        SafeFiles.ReplaceDirectory(workspace.BundleDirectory(host), dir =>
        {
            SafeFiles.RestrictToOwner(dir);
            bundle.WriteTo(dir);
        });
        SafeFiles.WriteFile(zipPath, temp => File.WriteAllBytes(temp, zip), secret: bundle.ContainsPrivateKey);
        log.Info($"{host}: bundle {InventoryLoader.Display(zipPath)} ({bundle.Files.Count} files, config passes nebula -test)" +
                 (bundle.ContainsPrivateKey ? "; it carries host.key (made here), so it is owner-only: move it to the host over a secure channel" : "; no private key inside"));
        return new BundleOutcome(bundle, true);
    }

    /// <summary>The nebula that checks a host's config: the release the host runs when it is in tools/nebula/, else this machine's.</summary>
    private Nebula ConfigChecker(HostAddresses host)
    {
        if (host.Host.NebulaVersion is not { } wanted || wanted == Nebula.Version) return Nebula;
        if (new NebulaReleases(workspace.ToolsDirectory).Find(wanted, "nebula") is { } exact) return new Nebula(exact);
        log.Verbose($"{host.Name}: its config is checked with nebula {Nebula.Version}, not the {wanted} it runs " +
                    $"(./build.sh --target=FetchNebula --nebula={wanted} puts that release in tools/nebula/)");
        return Nebula;
    }

    /// <summary>`nebula -test` on the config exactly as rendered, except that pki points at this machine's copy of the certs.</summary>
    private void CheckConfig(HostModel model, string pkiDirectory, Nebula checker)
    {
        var check = Directory.CreateTempSubdirectory("flatnet-check-");
        try
        {
            var cert = Path.Combine(pkiDirectory, "host.crt");
            var key = Path.Combine(pkiDirectory, "host.key");
            if (!File.Exists(key))
            {
                // The key was made on the host, and nebula -test insists on a key that pairs with the cert: check the
                // config with a throw-away twin (same name, IP, groups, subnets, CA). The real cert was verified on signing.
                var info = NebulaCert.Print(cert);
                cert = Path.Combine(check.FullName, "twin.crt");
                key = Path.Combine(check.FullName, "twin.key");
                NebulaCert.Sign(new NebulaCertSignSettings(info.Name, info.Ips[0], Ca.CrtPath, Ca.KeyPath, cert)
                {
                    OutKey = key, Groups = info.Groups, Subnets = info.Subnets, Duration = "1h",
                });
            }
            var local = model with
            {
                Paths = model.Paths with { Ca = Path.Combine(pkiDirectory, "ca.crt"), Cert = cert, Key = key },
                // The admin interface's host key is made on the host at install; nebula -test needs one to load.
                Admin = model.Admin is null ? null : model.Admin with { HostKey = CheckHostKey() },
            };
            var config = Path.Combine(check.FullName, "config.yaml");
            File.WriteAllText(config, Renderer.RenderConfig(local));
            checker.Test(config, model.Name);
        }
        finally
        {
            check.Delete(recursive: true);
        }
    }

    /// <summary>Marks the artifacts folder as flatnet's at the first write (Plan() has checked it may be).</summary>
    private void ClaimArtifacts() => SafeFiles.ClaimArtifacts(workspace.ArtifactsDirectory);

    /// <summary>A throw-away SSH host key, only so that `nebula -test` can load a config with the admin interface.</summary>
    private string CheckHostKey()
    {
        lock (_checkKeyLock)
        {
            var key = Path.Combine(workspace.ArtifactsDirectory, "check", Verification.AdminInterface.HostKeyFileName);
            if (File.Exists(key)) return key;
            ClaimArtifacts();
            Directory.CreateDirectory(Path.GetDirectoryName(key)!);
            var temp = key + $".tmp-{Guid.NewGuid():N}";
            SshKeygen.Ed25519(temp, "flatnet-config-check");
            File.Delete(temp + ".pub");
            File.Move(temp, key, overwrite: true);
            return key;
        }
    }

    private readonly Lock _checkKeyLock = new();

    private BundleVersions BundleVersions(Nebula? checker = null) => new(
        typeof(ControlPlane).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown",
        NebulaCert.Version.ToString(), (checker ?? Nebula).Version.ToString());

    /// <summary>Target DeployHost: pushes the packaged bundle over the host's transport and runs its install script.</summary>
    public void DeployHost(string host)
    {
        var h = Plan().Host(host);
        var bundle = workspace.BundleDirectory(host);
        if (!File.Exists(Path.Combine(bundle, "manifest.json")))
            throw new FlatnetException($"{host}: no bundle at {InventoryLoader.Display(bundle)}.\n    fix: ./build.sh --target=PackageBundle --host={host} (DeployHost runs it first in the graph)");
        using var connection = HostConnections.Open(h.Host);
        var model = Model(h);
        if (h.Host.NebulaVersion is null && HostOperations.InstalledNebula(model, connection) is { } installed)
        {
            // Not declared: the release the host runs decides whether it can read the CA's certificates.
            log.Info($"{host}: runs Nebula {installed} (asked over {h.Host.Deploy.Transport.ToString().ToLowerInvariant()})");
            Ca.RequireUsable(MeshVersions.Of(Plan()).With(new Daemon(host, "host", installed, $"nebula -version on {host}")));
        }
        log.Info($"{host}: deploying to {connection.Describe}");
        Report(host, HostOperations.Deploy(model, bundle, connection));
    }

    /// <summary>Target ConfigureRouting: runs the routing scripts inside the host's WSL2 and on the host.</summary>
    public void ConfigureRouting(string host)
    {
        var h = Plan().Host(host);
        using var connection = HostConnections.Open(h.Host);
        foreach (var r in HostOperations.ConfigureRouting(Model(h), h.Host.WslCommand, connection))
            Report(host, r);
    }

    /// <summary>
    /// Target UpdatePeers: a new or changed host changes the others' configs (its block becomes their unsafe route,
    /// their WSL2 routes it). Re-renders every other deployable host and redeploys only those whose bundle changed.
    /// </summary>
    public IReadOnlyList<string> UpdatePeers(string host)
    {
        var updated = new List<string>();
        foreach (var peer in Plan().Deployable.Where(p => p.Name != host))
        {
            GenerateCert(peer.Name);
            if (!PackageBundle(peer.Name).Written && Directory.Exists(workspace.BundleDirectory(peer.Name))) continue;
            DeployHost(peer.Name);
            ConfigureRouting(peer.Name);
            updated.Add(peer.Name);
        }
        log.Info(updated.Count == 0 ? $"peers of {host}: all up to date" : $"peers of {host}: updated {string.Join(", ", updated)}");
        return updated;
    }

    /// <summary>
    /// Target VerifyPing: the ping matrix over every deployable host (or only <paramref name="hosts"/>), printed and
    /// written to artifacts/verify/ping-matrix.json. Throws naming the failing pairs.
    /// </summary>
    public PingMatrix VerifyPing(IEnumerable<string>? hosts = null)
    {
        var plan = Plan();
        var selected = (hosts?.Select(plan.Host) ?? plan.Deployable).ToList();
        var connections = new Dictionary<string, IHostConnection>();
        try
        {
            foreach (var h in selected) connections[h.Name] = HostConnections.Open(h.Host);
            var matrix = new Verification.MeshVerifier(plan, Model, Admin).Run(selected, connections);
            var json = Path.Combine(workspace.ArtifactsDirectory, "verify", "ping-matrix.json");
            ClaimArtifacts();
            SafeFiles.WriteAllText(json, matrix.ToJson());
            log.Info("ping matrix (" + InventoryLoader.Display(json) + "):\n" + matrix.ToTable());
            if (matrix.Failures.Count > 0)
                throw new FlatnetException($"{matrix.Failures.Count} of {matrix.Results.Count} pings failed: " +
                                           string.Join("; ", matrix.Failures.Select(f => $"{f.From} -> {f.To} ({f.Target}){(f.Detail.Length > 0 ? ": " + f.Detail : "")}")) +
                                           (matrix.Diagnoses.Count > 0
                                               ? "\n  " + string.Join("\n  ", matrix.Diagnoses)
                                               : "\n    fix: check both hosts' nebula logs, `setup-routing.ps1 -Check` / `wsl-routing.sh --check`, and the firewall"));
            return matrix;
        }
        finally
        {
            foreach (var c in connections.Values) c.Dispose();
        }
    }

    /// <summary>One host from its inventory entry to running and routed: GenerateCert, PackageBundle, DeployHost, ConfigureRouting.</summary>
    public void Provision(string host)
    {
        GenerateCert(host);
        PackageBundle(host);
        DeployHost(host);
        ConfigureRouting(host);
    }

    /// <summary>AddHost in one call (the Cake graph runs the same steps as separate tasks).</summary>
    public PingMatrix AddHost(string host)
    {
        Provision(host);
        UpdatePeers(host);
        return VerifyPing();
    }

    private void Report(string host, RemoteResult result)
    {
        foreach (var line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            log.Info($"{host}: {line}");
    }

    /// <summary>
    /// Target RevokeHost: puts the host's certificate fingerprint in hosts/blocklist.txt, which every config carries as
    /// pki.blocklist, and redeploys every other host, so none of them accepts the certificate any more.
    /// </summary>
    public string RevokeHost(string host)
    {
        Plan().Host(host);
        var crt = Path.Combine(workspace.PkiDirectory(host), "host.crt");
        if (!File.Exists(crt))
            throw new FlatnetException($"{host}: no certificate at {InventoryLoader.Display(crt)} to revoke.\n    fix: run from the workspace that signed it, or add its fingerprint (nebula-cert print) to hosts/{Inventory.Inventory.BlocklistFileName} by hand");
        var fingerprint = NebulaCert.Print(crt).Fingerprint;
        var file = Path.Combine(workspace.InventoryDirectory, Inventory.Inventory.BlocklistFileName);
        if (Plan().Inventory.Blocklist.Any(b => b.Fingerprint == fingerprint))
            log.Info($"{host}: certificate {fingerprint[..16]}... is already revoked");
        else
        {
            var text = File.Exists(file) ? File.ReadAllText(file)
                : "# Revoked certificates: every host's config refuses them (pki.blocklist). Written by RevokeHost.\n# fingerprint  host  date\n";
            SafeFiles.WriteAllText(file, text + $"{fingerprint}  {host}  {DateTime.UtcNow:yyyy-MM-dd}\n");
            log.Info($"{host}: revoked certificate {fingerprint} ({InventoryLoader.Display(file)})");
        }
        _plan = null; // the blocklist changed every host's config
        UpdatePeers(host);
        log.Info($"{host}: the lighthouse must refuse it too: add {fingerprint} to pki.blocklist in its config and reload it (kill -HUP, or restart the service)");
        return fingerprint;
    }

    /// <summary>Target CheckCerts: every certificate with its days left; throws when any has fewer than <paramref name="minimumDays"/>.</summary>
    public IReadOnlyList<(string Name, DateTimeOffset NotAfter, int DaysLeft)> CheckCerts(string days) =>
        int.TryParse(days, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) && d <= 36500
            ? CheckCerts(d)
            : throw new FlatnetException($"--days: '{days}' is not a number of days.\n    fix: e.g. --days=30 (the default)");

    public IReadOnlyList<(string Name, DateTimeOffset NotAfter, int DaysLeft)> CheckCerts(int minimumDays)
    {
        var rows = new List<(string, DateTimeOffset, int)>();
        void Add(string name, string crt)
        {
            var info = NebulaCert.Print(crt);
            rows.Add((name, info.NotAfter, (int)Math.Floor((info.NotAfter - DateTimeOffset.UtcNow).TotalDays)));
        }
        Ca.RequireExisting();
        Add("CA " + Plan().Inventory.Network.Ca.Name, Ca.CrtPath);
        foreach (var h in Plan().Active)
        {
            var crt = Path.Combine(workspace.PkiDirectory(h.Name), "host.crt");
            if (File.Exists(crt)) Add(h.Name, crt);
            else log.Info($"  {h.Name,-16} not signed yet");
        }
        foreach (var (name, notAfter, days) in rows)
            log.Info($"  {name,-16} valid until {notAfter:yyyy-MM-dd}  " +
                     (notAfter <= DateTimeOffset.UtcNow ? "EXPIRED" : $"{days,5} days left{(days < minimumDays ? "  RENEW" : "")}"));
        var due = rows.Where(r => r.Item3 < minimumDays).ToList();
        if (due.Count > 0)
        {
            var caName = "CA " + Plan().Inventory.Network.Ca.Name;
            var fixes = new List<string>();
            if (due.Any(d => d.Item1 == caName))
                fixes.Add("the CA: make a new CA (InitCa on a fresh ca.crt/ca.key pair), put it on the lighthouse, then re-sign every host (RenewCert, AddHost); " +
                          "until then every host and the lighthouse must trust both CAs");
            if (due.Any(d => d.Item1 != caName))
                fixes.Add("a host: ./build.sh --target=RenewCert --host=NAME, then AddHost --host=NAME deploys it");
            throw new FlatnetException($"{due.Count} certificate(s) expired or expire within {minimumDays} days: " +
                                       string.Join(", ", due.Select(d => d.Item2 <= DateTimeOffset.UtcNow ? $"{d.Item1} (EXPIRED)" : d.Item1)) + "\n" +
                                       string.Join("\n", fixes.Select(f => "    fix for " + f)));
        }
        return rows;
    }

    /// <summary>Target RenewCert: re-signs the host's certificate (deploy it with AddHost).</summary>
    public CertOutcome RenewCert(string host) => GenerateCert(host, force: true);

    /// <summary>
    /// Target RenderAll: every host's rendered files (no certificates, no keys) in artifacts/render/NAME/, for review
    /// and for diffs between CI runs. Deterministic: the same inventory gives the same files.
    /// </summary>
    public IReadOnlyList<string> RenderAll()
    {
        var plan = Plan();
        var root = Path.Combine(workspace.ArtifactsDirectory, "render");
        var hosts = plan.Active.ToList();
        ClaimArtifacts();
        SafeFiles.ReplaceDirectory(root, dir =>
        {
            Parallel.ForEach(hosts, h =>
            {
                foreach (var f in Renderer.Render(Model(h)))
                {
                    var path = Path.Combine(dir, h.Name, f.Path);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, f.Content);
                }
            });
        });
        log.Info($"rendered {hosts.Count} host(s) into {InventoryLoader.Display(root)}");
        return hosts.Select(h => h.Name).ToList();
    }

    /// <summary>
    /// Target PackageAll: every host's certificate (signed only where needed) and bundle, in parallel, with a summary
    /// table. What CI runs to produce host bundles; unchanged hosts keep their byte-identical bundles.
    /// </summary>
    public IReadOnlyList<(string Host, bool Signed, bool Written)> PackageAll()
    {
        var plan = Plan();
        _ = NebulaCert; _ = Nebula; _ = Renderer; _ = Admin; // resolve the lazies once, before the threads start
        EnsureCa();
        var hosts = plan.Active.ToList();
        var quiet = new RecordingReporter();
        var worker = new ControlPlane(workspace, new SynchronizedReporter(quiet)) { _plan = plan, _nebulaCert = _nebulaCert, _nebula = _nebula, _renderer = _renderer, _admin = Admin };
        List<(string Name, bool Signed, bool Written)> rows;
        try
        {
            rows = hosts.AsParallel().AsOrdered().WithDegreeOfParallelism(Math.Max(2, Environment.ProcessorCount))
                .Select(h => (h.Name, worker.GenerateCert(h.Name).Signed, worker.PackageBundle(h.Name).Written)).ToList();
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.All(x => x is FlatnetException))
        {
            // Every host that failed, each with its own reason: never .NET's "One or more errors occurred".
            var reasons = e.Flatten().InnerExceptions.Select(x => x.Message).Distinct().ToList();
            throw new FlatnetException($"{reasons.Count} host(s) could not be packed:\n  " + string.Join("\n  ", reasons.Select(r => r.Replace("\n", "\n  "))));
        }
        log.Info($"  {"host",-16} {"nebula ip",-16} {"block",-18} {"certificate",-12} bundle");
        foreach (var (name, signed, written) in rows)
        {
            var h = plan.Host(name);
            log.Info($"  {name,-16} {h.OverlayAddress,-16} {(h.RoutedBlock?.ToString() ?? "-"),-18} {(signed ? "signed" : "current"),-12} {(written ? "written" : "unchanged")}");
        }
        log.Info($"{rows.Count} bundle(s) in {InventoryLoader.Display(Path.Combine(workspace.ArtifactsDirectory, "bundles"))}: " +
                 $"{rows.Count(r => r.Written)} written, {rows.Count(r => !r.Written)} unchanged");
        return rows;
    }

    /// <summary>
    /// Target Rollout: deploys hosts in waves of <paramref name="waveSize"/> (every deployable host, or
    /// <paramref name="hosts"/>), verifying the mesh of everything rolled out so far after each wave, and stops at
    /// the first wave that fails: the hosts already rolled out stay as they are, later ones are not touched.
    /// This is how a change that affects every config (a new host's block, a revocation) reaches the fleet.
    /// </summary>
    public IReadOnlyList<string> Rollout(IEnumerable<string>? hosts = null, int waveSize = 1)
    {
        if (waveSize < 1) throw new FlatnetException("--wave-size: must be 1 or more.\n    fix: --wave-size=1 deploys one host at a time");
        var plan = Plan();
        var selected = (hosts?.Select(h => plan.Host(h.Trim()).Name) ?? plan.Deployable.Select(h => h.Name)).ToList();
        var waves = selected.Chunk(waveSize).ToList();
        var done = new List<string>();
        for (var w = 0; w < waves.Count; w++)
        {
            log.Info($"rollout: wave {w + 1}/{waves.Count}: {string.Join(", ", waves[w])}");
            var touched = new List<string>();
            try
            {
                foreach (var host in waves[w])
                {
                    touched.Add(host);
                    Provision(host);
                }
                VerifyPing(done.Concat(waves[w]));
            }
            catch (FlatnetException e)
            {
                var untouched = selected.Except(done).Except(touched).ToList();
                throw new FlatnetException($"rollout stopped at wave {w + 1}/{waves.Count} ({string.Join(", ", waves[w])}): {e.Message}\n" +
                                           $"    rolled out: {(done.Count == 0 ? "none" : string.Join(", ", done))}; failed in this wave: {string.Join(", ", touched)}; " +
                                           $"not touched: {(untouched.Count == 0 ? "none" : string.Join(", ", untouched))}", e);
            }
            done.AddRange(waves[w]);
            log.Info($"rollout: wave {w + 1}/{waves.Count} verified ({done.Count} of {selected.Count} hosts rolled out)");
        }
        log.Info($"rollout: done, {done.Count} host(s) in {waves.Count} wave(s): {string.Join(", ", done)}");
        return done;
    }

    /// <summary>
    /// Target Release: PackageAll, then artifacts/releases/flatnet-VERSION.zip with every bundle, the inventory it
    /// was made from and a changelog against the previous release. Reproducible: the same inventory and version give
    /// the same bytes. A release is made to be handed around, so bundles carrying a private key need --include-keys.
    /// </summary>
    public ReleaseOutcome Release(string? version, bool includeKeys = false)
    {
        if (version is null || !Bundles.Release.VersionPattern().IsMatch(version))
            throw new FlatnetException($"--release: '{version}' is not a version like 1.2.0.\n    fix: pass --release=MAJOR.MINOR.PATCH");
        PackageAll();
        var plan = Plan();
        var hosts = plan.Active.Select(h => h.Name).ToList();
        // The very zips that ship are inspected, not the unpacked folders beside them.
        var bundles = hosts.Select(h => (Host: h, Zip: File.ReadAllBytes(workspace.BundlePath(h)))).ToList();
        var withKeys = bundles.Where(b => Bundles.Release.PrivateKeysIn(b.Zip).Count > 0).Select(b => b.Host).ToList();
        if (withKeys.Count > 0 && !includeKeys)
            throw new FlatnetException($"the bundles of {string.Join(", ", withKeys)} carry their private key (made here), and a release is for handing around.\n" +
                                       "    fix: set keygen_on_host: true for those hosts (the key stays on the host), or pass --include-keys and keep the release secret");
        var folder = Path.Combine(workspace.ArtifactsDirectory, "releases");
        var path = Path.Combine(folder, $"flatnet-{version}.zip");
        var previous = Bundles.Release.Previous(folder, version);
        var snapshot = Bundles.Release.Snapshot(plan);
        var changelog = Bundles.Release.Changelog(previous is null ? null : Bundles.Release.ReadSnapshot(previous), snapshot);
        var zip = Bundles.Release.Build(version, bundles, snapshot, changelog,
            BundleVersions().Flatnet, withKeys.Count > 0);
        if (File.Exists(path))
        {
            if (File.ReadAllBytes(path).AsSpan().SequenceEqual(zip))
            {
                log.Info($"release {version}: {InventoryLoader.Display(path)} is up to date");
                return new ReleaseOutcome(path, false, changelog);
            }
            throw new FlatnetException($"release {version} already exists at {InventoryLoader.Display(path)} with other contents.\n    fix: pick a new --release; a published version never changes");
        }
        ClaimArtifacts();
        SafeFiles.WriteFile(path, temp => File.WriteAllBytes(temp, zip), secret: withKeys.Count > 0);
        log.Info($"release {version}: {InventoryLoader.Display(path)}, {hosts.Count} bundle(s)" +
                 (previous is null ? "" : $", changes since {Path.GetFileNameWithoutExtension(previous)}:") + "\n" + string.Join("\n", changelog));
        return new ReleaseOutcome(path, true, changelog);
    }
}

public sealed record ReleaseOutcome(string Path, bool Written, IReadOnlyList<string> Changes);

public sealed record BundleOutcome(HostBundle Bundle, bool Written);
