using System.IO.Compression;
using System.Text.Json;
using Flatnet.Bundles;
using Flatnet.Rendering;
using YamlDotNet.RepresentationModel;

namespace Flatnet.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class RenderingTests
{
    /// <summary>Golden files live in tests/Flatnet.Tests/golden/. FLATNET_UPDATE_GOLDEN=1 rewrites them; review the diff by hand.</summary>
    private static readonly string GoldenRoot = Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "golden");

    /// <summary>A fixed admin key, so the goldens show the admin interface without depending on a key made per run.</summary>
    public static readonly global::Flatnet.Pki.AdminInterface GoldenAdmin =
        new(2222, "flatnet", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoldenGoldenGoldenGoldenGoldenGoldenGolden", "/nonexistent/nebula-admin_ed25519");

    private static IEnumerable<(string Case, RenderedFile File)> RenderExample()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        var plan = control.Context.Plan;
        foreach (var host in plan.Hosts)
            foreach (var f in control.Context.Render(TestWorkspace.Platforms.Model(plan, host, GoldenAdmin)))
                yield return (host.Name, f);

        // A Linux host (the lab's flavour) and the lighthouse, from the same inventory.
        ws.Edit("host-a.yaml", "os:", "os: linux\nwsl_command: ip netns exec fn-wsl-a");
        var linux = ws.ControlPlane();
        var linuxPlan = linux.Context.Plan;
        foreach (var f in linux.Context.Render(TestWorkspace.Platforms.Model(linuxPlan, linuxPlan.Host("host-a"), GoldenAdmin)))
            yield return ("linux-host-a", f);

        // A Linux host without WSL2: no routed block, no routing scripts, and nobody routes to it.
        ws.Edit("host-c.yaml", "os:", "os: linux");
        ws.Edit("host-c.yaml", "wsl:", "wsl: false");
        var noWsl = ws.ControlPlane();
        var noWslPlan = noWsl.Context.Plan;
        foreach (var f in noWsl.Context.Render(TestWorkspace.Platforms.Model(noWslPlan, noWslPlan.Host("host-c"))))
            yield return ("linux-host-c-no-wsl", f);
        yield return ("lighthouse", new RenderedFile("config.yaml", System.Text.Encoding.UTF8.GetBytes(
            linux.Context.Renderer.RenderConfig(HostModel.ForLighthouse(linuxPlan, linuxPlan.Lighthouses[0], TestWorkspace.Platforms.Linux.LighthouseFacts("/opt/flatnet", linuxPlan.Inventory.Network.Nebula.Linux.Binary)))), RenderedFile.Regular));
    }

    /// <summary>
    /// ShellCheck (Debian's, 0.9) on every shell script a bundle carries, at warning level: an unused variable once
    /// hid that uninstall.sh's --check said nothing of what it found (SC2034).
    /// </summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void EveryRenderedShellScriptPassesShellCheck()
    {
        var shellcheck = global::Flatnet.Lab.LabPrerequisites.Which("shellcheck")
                         ?? throw new AssertionException("shellcheck is not installed: ./build.sh --target=Test installs it (by hand: apt-get install shellcheck)");
        using var ws = new TestWorkspace();
        var files = RenderExample().Where(r => r.File.Path.EndsWith(".sh", StringComparison.Ordinal)).Select(r =>
        {
            var path = Path.Combine(ws.Root, "sh", r.Case, r.File.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, r.File.Content);
            return path;
        }).ToList();
        Assert.That(files, Has.Count.GreaterThanOrEqualTo(8), "install, routing, doctor and uninstall scripts of the Linux hosts, WSL2's of every host");
        var run = ProcessRunner.Run(shellcheck, new[] { "-S", "warning", "-f", "gcc" }.Concat(files));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.StdOut + run.StdErr);
    }

    [Test]
    public void TemplatesMatchTheReviewedGoldenFiles()
    {
        var update = Environment.GetEnvironmentVariable("FLATNET_UPDATE_GOLDEN") == "1";
        var rendered = RenderExample().ToList();
        Assert.That(rendered.Select(r => r.Case).Distinct(), Is.EqualTo(new[] { "host-a", "host-b", "host-c", "linux-host-a", "linux-host-c-no-wsl", "lighthouse" }));
        foreach (var (name, file) in rendered)
        {
            var golden = Path.Combine(GoldenRoot, name, file.Path);
            if (update)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(golden)!);
                File.WriteAllText(golden, file.Text);
            }
            Assert.That(File.Exists(golden), Is.True, $"no golden file {golden}; run with FLATNET_UPDATE_GOLDEN=1 and review it");
            Assert.That(file.Text, Is.EqualTo(File.ReadAllText(golden)), $"{name}/{file.Path} differs from its golden file");
        }
    }

    // One config serves every release of a mixed mesh: checked with the very nebula each host declares it runs.
    [TestCase("1.6.1", 1)]
    [TestCase("1.9.3", 1)]
    [TestCase("1.11.0", 2)]
    public void EveryRenderedConfigPassesNebulaTestOfTheReleaseItIsFor(string release, int caVersion)
    {
        using var ws = new TestWorkspace();
        var certTool = TestWorkspace.Nebula(release, "nebula-cert");
        var nebula = TestWorkspace.Nebula(release);
        ws.Edit("network.yaml", "# cert_tool:", $"  cert_tool: {certTool}");
        ws.Edit("network.yaml", "overlay_ip: 10.100.0.1", $"    overlay_ip: 10.100.0.1\n    nebula_version: {release}");
        foreach (var host in new[] { "host-a", "host-b", "host-c" })
            ws.Edit($"{host}.yaml", "index:", File.ReadAllLines(ws.HostsFile($"{host}.yaml")).Single(l => l.StartsWith("index:")) + $"\nnebula_version: {release}");
        var control = ws.ControlPlane();
        control.InitCa();
        Assert.That(control.Context.NebulaCert.Print(control.Context.Ca.CrtPath).Version, Is.EqualTo(caVersion));

        var rows = control.PackageAll(); // each config goes through `nebula -test` before it is packed
        Assert.That(rows.Select(r => r.Written), Has.All.True);
        foreach (var host in new[] { "host-a", "host-b", "host-c" })
        {
            var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(ws.Workspace.BundleDirectory(host), "manifest.json"))).RootElement;
            Assert.That(manifest.GetProperty("versions").GetProperty("nebula_checked_with").GetString(), Is.EqualTo(release), host);
            var config = File.ReadAllText(Path.Combine(ws.Workspace.BundleDirectory(host), "config.yaml"));
            Assert.That(config, Does.Contain("local_cidr: \"10.101."), $"{host}: routed traffic has rules of its own (Nebula 1.10+ needs them)");
            Assert.That(config, Does.Contain("sshd:\n  enabled: true\n  listen: \"127.0.0.1:2222\""));
        }

        // The lighthouse's config, from the same model, under the same release.
        var plan = control.Context.Plan;
        var lighthouse = Path.Combine(ws.Root, "lighthouse");
        var model = HostModel.ForLighthouse(plan, plan.Lighthouses[0], TestWorkspace.Platforms.Linux.LighthouseFacts(lighthouse, nebula));
        Directory.CreateDirectory(model.Paths.ConfigDir);
        File.Copy(control.Context.Ca.CrtPath, model.Paths.Ca);
        control.Context.NebulaCert.Sign(new global::Flatnet.Tools.NebulaCertSignSettings("lighthouse", "10.100.0.1/16", control.Context.Ca.CrtPath, control.Context.Ca.KeyPath, model.Paths.Cert) { OutKey = model.Paths.Key });
        File.WriteAllText(model.Paths.Config, control.Context.Renderer.RenderConfig(model));
        Assert.DoesNotThrow(() => new global::Flatnet.Tools.Nebula(nebula).Test(model.Paths.Config, "lighthouse"));
    }

    // A managed lighthouse's bundle: its config, from the host model, checked by nebula -test of the release it runs.
    [TestCase("1.6.1")]
    [TestCase("1.11.0")]
    public void AManagedLighthousesBundlePassesNebulaTestOfItsRelease(string release)
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "# cert_tool:", $"  cert_tool: {TestWorkspace.Nebula("1.6.1", "nebula-cert")}");
        ws.Edit("network.yaml", "overlay_ip: 10.100.0.1", ManagedLighthouseInventoryTests.Managed + $"\n    nebula_version: {release}");
        var control = ws.ControlPlane();
        control.InitCa();
        control.GenerateCert("lighthouse");
        control.PackageBundle("lighthouse");
        var bundle = ws.Workspace.BundleDirectory("lighthouse");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(bundle, "manifest.json"))).RootElement;
        Assert.That(manifest.GetProperty("versions").GetProperty("nebula_checked_with").GetString(), Is.EqualTo(release));
        Assert.That(File.ReadAllText(Path.Combine(bundle, "config.yaml")), Does.Contain("  am_lighthouse: true").And.Contain("  unsafe_routes: []"));
        Assert.That(control.Context.NebulaCert.Print(Path.Combine(ws.Workspace.PkiDirectory("lighthouse"), "host.crt")).Groups, Is.EqualTo(new[] { "lighthouse" }));
    }

    [Test]
    public void WindowsHostGetsTheSpecsFilesAndLinuxHostItsTwin()
    {
        var rendered = RenderExample().ToList();
        Assert.That(rendered.Where(r => r.Case == "host-b").Select(r => r.File.Path), Is.EquivalentTo(new[]
            { "config.yaml", "install.ps1", "scripts/setup-routing.ps1", "scripts/wsl-routing.sh", "scripts/direct-paths.ps1", "scripts/flatnet-doctor.ps1", "scripts/uninstall.ps1", "scripts/names.hosts", "README.md" }));
        Assert.That(rendered.Where(r => r.Case == "linux-host-a").Select(r => r.File.Path), Is.EquivalentTo(new[]
            { "config.yaml", "install.sh", "scripts/host-routing.sh", "scripts/wsl-routing.sh", "scripts/direct-paths.sh", "scripts/flatnet-doctor.sh", "scripts/uninstall.sh", "scripts/names.hosts", "README.md" }));
    }

    [Test]
    public void RenderedConfigsParseAndSayWhatThePlanSays()
    {
        foreach (var (name, file) in RenderExample().Where(r => r.File.Path == "config.yaml"))
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(file.Text));
            var root = (YamlMappingNode)yaml.Documents[0].RootNode;
            string At(params string[] path)
            {
                YamlNode node = root;
                foreach (var p in path) node = ((YamlMappingNode)node)[p];
                return ((YamlScalarNode)node).Value!;
            }
            var isLighthouse = name == "lighthouse";
            Assert.That(At("lighthouse", "am_lighthouse"), Is.EqualTo(isLighthouse ? "true" : "false"), name);
            Assert.That(At("relay", "am_relay"), Is.EqualTo(isLighthouse ? "true" : "false"), name);
            Assert.That(At("listen", "port"), Is.EqualTo("4242"), name);
            Assert.That(At("tun", "dev"), Is.EqualTo("nebula1"), name);
            var routes = (YamlSequenceNode)((YamlMappingNode)root["tun"])["unsafe_routes"];
            Assert.That(routes.Children, Has.Count.EqualTo(isLighthouse ? 0 : 2), name);
            if (name == "host-b")
            {
                Assert.That(At("pki", "key"), Is.EqualTo("F:/flatnet/config/nebula/host.key"));
                Assert.That(routes.Children.Select(r => ((YamlScalarNode)((YamlMappingNode)r)["route"]).Value + " via " + ((YamlScalarNode)((YamlMappingNode)r)["via"]).Value),
                    Is.EqualTo(new[] { "10.101.1.0/24 via 10.100.1.1", "10.101.3.0/24 via 10.100.3.1" }));
                var staticMap = (YamlMappingNode)root["static_host_map"];
                Assert.That(((YamlSequenceNode)staticMap["10.100.0.1"]).Children.Select(c => ((YamlScalarNode)c).Value), Is.EqualTo(new[] { "198.18.0.1:4242" }));
                var deny = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)root["lighthouse"])["local_allow_list"])["interfaces"];
                Assert.That(deny.Children.Keys.Select(k => ((YamlScalarNode)k).Value), Is.EqualTo(new[] { "vEthernet.*", "nebula1" }));
            }
        }
    }

    [Test]
    public void EveryHostsBundleConfigPassesNebulaTest()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-a.yaml", "os:", "os: linux\nwsl_command: ip netns exec fn-wsl-a");
        var control = ws.ControlPlane();
        foreach (var host in new[] { "host-a", "host-b", "host-c" })
        {
            control.GenerateCert(host);
            control.PackageBundle(host); // runs nebula -test itself, and throws when it fails
        }
        Assert.That(ws.Log.Lines.Count(l => l.Contains("config passes nebula -test")), Is.EqualTo(3));
    }

    [Test]
    public void NebulaTestFailureStopsThePackageAndWritesNothing()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        control.GenerateCert("host-b");
        File.AppendAllText(Path.Combine(ws.Root, "templates", "config.yaml.scriban"), "\nbroken: [\n");
        var e = Assert.Throws<FlatnetException>(() => control.PackageBundle("host-b"))!;
        Assert.That(e.Message, Does.Match(@"host-b: nebula \d+\.\d+\.\d+ -test refused the rendered config").And.Contain("nothing was written"));
        Assert.That(File.Exists(ws.Workspace.BundlePath("host-b")), Is.False);
        Assert.That(Directory.Exists(ws.Workspace.BundleDirectory("host-b")), Is.False);
    }

    [Test]
    public void TemplateTypoIsAnErrorNotAnEmptyString()
    {
        using var ws = new TestWorkspace();
        File.WriteAllText(Path.Combine(ws.Root, "templates", "config.yaml.scriban"), "pki:\n  ca: {{ paths.caa }}\n");
        var control = ws.ControlPlane();
        var plan = control.Context.Plan;
        var e = Assert.Throws<FlatnetException>(() => control.Context.Renderer.RenderConfig(TestWorkspace.Platforms.Model(plan, plan.Host("host-b"))))!;
        Assert.That(e.Message, Does.Contain("templates/config.yaml.scriban").And.Contain("caa"));

        // RenderAll renders hosts in parallel: the reason comes once, never as .NET's "One or more errors occurred".
        var all = Assert.Throws<FlatnetException>(() => ws.ControlPlane().RenderAll())!;
        Assert.That(all.Message, Does.StartWith("1 problem(s) rendering; nothing was written:").And.Contain("caa").And.Not.Contain("One or more errors"));
        Assert.That(Directory.Exists(Path.Combine(ws.Workspace.ArtifactsDirectory, "render")), Is.False);
    }

    [Test]
    public void PackagingRefusesAStaleCertificate()
    {
        using var ws = new TestWorkspace();
        ws.ControlPlane().GenerateCert("host-c");
        ws.Edit("host-c.yaml", "groups:", "groups: [flatnet]");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().PackageBundle("host-c"))!;
        Assert.That(e.Message, Does.Contain("host-c: cannot package: its certificate's groups are flatnet,gateway, the inventory's flatnet").And.Contain("--target=GenerateCert --host=host-c"));
    }

    [Test]
    public void BundleIsDeterministicCompleteAndNeverCarriesTheCaKey()
    {
        using var ws = new TestWorkspace();
        var control = ws.ControlPlane();
        control.GenerateCert("host-c");
        control.PackageBundle("host-c");
        var zipPath = ws.Workspace.BundlePath("host-c");
        var first = File.ReadAllBytes(zipPath);
        var firstWrite = File.GetLastWriteTimeUtc(zipPath);

        control.PackageBundle("host-c");
        Assert.That(ws.Log.Lines.Count(l => l.StartsWith("host-c: bundle", StringComparison.Ordinal)), Is.EqualTo(1), "packed once a run: a second ask in the same run says nothing again");
        ws.ControlPlane().PackageBundle("host-c"); // the next run
        Assert.That(File.GetLastWriteTimeUtc(zipPath), Is.EqualTo(firstWrite), "an unchanged bundle is not rewritten");
        Assert.That(ws.Log.Lines, Has.Some.Contains("bundle is up to date"));
        File.Delete(zipPath);
        control.PackageBundle("host-c");
        Assert.That(File.ReadAllBytes(zipPath), Is.EqualTo(first), "same inputs, same bytes");
        Assert.That(File.GetUnixFileMode(zipPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "a bundle with host.key is owner-only");

        using var zip = ZipFile.OpenRead(zipPath);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(names, Is.EquivalentTo(new[]
        {
            "README.md", "SHA256SUMS", "ca.crt", "config.yaml", "host.crt", "host.key", "install.ps1", "manifest.json",
            "scripts/setup-routing.ps1", "scripts/wsl-routing.sh", "scripts/direct-paths.ps1", "scripts/flatnet-doctor.ps1", "scripts/uninstall.ps1", "scripts/names.hosts",
        }));
        Assert.That(names, Has.None.Contains("ca.key"));
        var caKey = File.ReadAllBytes(Path.Combine(ws.Root, "pki", "ca.key"));
        foreach (var entry in zip.Entries)
            Assert.That(Read(entry), Is.Not.EqualTo(caKey), $"{entry.FullName} must not be the CA key");

        using var manifest = JsonDocument.Parse(Read(zip.GetEntry("manifest.json")!));
        var m = manifest.RootElement;
        Assert.That((m.GetProperty("host").GetString(), m.GetProperty("overlay_ip").GetString(), m.GetProperty("routed_block").GetString()),
            Is.EqualTo(("host-c", "10.100.3.1/16", "10.101.3.0/24")));
        Assert.That(m.GetProperty("contains_private_key").GetBoolean(), Is.True);
        Assert.That(m.GetProperty("versions").GetProperty("nebula_cert").GetString(), Is.EqualTo("1.6.1"));
        var listed = m.GetProperty("files").EnumerateArray().ToList();
        Assert.That(listed.Select(f => f.GetProperty("path").GetString()), Is.EquivalentTo(names.Where(n => n != "manifest.json")));
        foreach (var f in listed)
            Assert.That(BundleSha(zip, f.GetProperty("path").GetString()!), Is.EqualTo(f.GetProperty("sha256").GetString()), f.GetProperty("path").GetString());
        Assert.That(zip.GetEntry("host.key")!.ExternalAttributes >> 16 & 0x1FF, Is.EqualTo(RenderedFile.Secret));
    }

    [Test]
    public void KeyMadeOnTheHostIsNotInTheBundle()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-b.yaml", "keygen_on_host:", "  keygen_on_host: true");
        var onHost = Directory.CreateTempSubdirectory("flatnet-host-b-").FullName;
        try
        {
            var control = ws.ControlPlane();
            control.Context.NebulaCert.Keygen(new global::Flatnet.Tools.NebulaCertKeygenSettings(Path.Combine(onHost, "host.key"), Path.Combine(onHost, "host.pub")));
            control.GenerateCert("host-b", publicKey: Path.Combine(onHost, "host.pub"));
            var bundle = control.PackageBundle("host-b").Bundle!;
            Assert.That(bundle.ContainsPrivateKey, Is.False);
            Assert.That(bundle.Files.Select(f => f.Path), Has.None.EndsWith(".key"));
            Assert.That(ws.Log.Lines, Has.Some.Contains("no private key inside"));
        }
        finally
        {
            Directory.Delete(onHost, recursive: true);
        }
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static string BundleSha(ZipArchive zip, string path) => Digest.Sha256(Read(zip.GetEntry(path)!));

    /// <summary>
    /// A template is code a pull request can change, and it had no bound (battery 18): a loop without end ran for
    /// ever. A loop stops at 100,000 turns, the output at 16 Mi characters, a render at its time limit, each refused
    /// with the template's name, never cut short and written.
    /// </summary>
    [TestCase("{{ while true }}{{ end }}", "Exceeding number of iteration limit `100000` for loop statement")]
    [TestCase("{{ for i in 1..90000 }}{{ for j in 1..90000 }}{{ end }}{{ end }}", "Exceeding number of iteration limit `100000` for loop statement")]
    [TestCase("{{ for i in 1..90000 }}{{ x = '' | string.pad_left 1000000 }}{{ end }}", "rendering one host took more than 1 s, so it was stopped")]
    [TestCase("{{ for i in 1..90000 }}{{ '' | string.pad_left 200 }}{{ end }}", "Rendered output exceeds OutputLimit")]
    public void ATemplateWithoutBoundIsStoppedAndNamed(string text, string said)
    {
        var folder = Directory.CreateTempSubdirectory("flatnet-test-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "bomb.scriban"), text);
            // The time limit only where it is the bound under test: on a loaded machine the output's bound was reached after 1 s.
            var renderer = new global::Flatnet.Rendering.TemplateRenderer(folder) { MaxRenderTime = TimeSpan.FromSeconds(said.Contains("took more than") ? 1 : 60) };
            var e = Assert.Throws<FlatnetException>(() => renderer.Render("bomb.scriban", new { }))!;
            Assert.That(e.Message, Does.StartWith("templates/bomb.scriban: ").And.Contain(said));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
