using YamlDotNet.RepresentationModel;
using Flatnet.Inventory;

namespace Flatnet.Tests;

/// <summary>
/// Whoever edits one YAML file must not be able to change what a config or script does. Every free-text field gets
/// hostile values; each is either refused at load (nothing written, no .NET wording) or leaves every rendered file
/// exactly as the benign inventory renders it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[StartsEarly(6)]
public class HostileInventoryTests
{
    private static readonly string[] Hostile =
    [
        "x\nsshd:\n  enabled: true\n  listen: 0.0.0.0:2222\n#",
        "a'b", "a\"b", "$(touch /tmp/flatnet-pwned)", "`id`", "x #> y", "<# x", "{{ name }}", "%PATH%", "a^b", "a & b", "a | b",
        "x\u2028y", "x\ry", new string('a', 5000), "F:\\fl\u00e4tnet",
    ];

    /// <summary>The fields a person types free text into, as file and path.</summary>
    private static IEnumerable<TestCaseData> Fields()
    {
        foreach (var path in new[]
                 {
                     "name", "ca.name", "cert_duration", "ca.duration", "lighthouses[0].name", "lighthouses[0].endpoints[0]",
                     "firewall.inbound[0].port", "firewall.inbound[0].host", "firewall.inbound[0].cidr", "firewall.inbound[1].group",
                     "firewall.outbound[0].host", "nebula.windows.root", "nebula.windows.wsl_distro", "nebula.linux.root", "nebula.linux.binary",
                     "lighthouses[0].nebula_version",
                 })
            yield return new TestCaseData("network.yaml", path).SetName($"network.yaml {path}");
        foreach (var path in new[] { "name", "os", "groups[0]", "root", "deploy.address", "deploy.user", "deploy.host_key", "deploy.identity", "nebula_version", "routed_block", "overlay_ip" })
            yield return new TestCaseData("host-b.yaml", path).SetName($"windows host {path}");
        foreach (var path in new[] { "wsl_command", "root", "nebula_binary" })
            yield return new TestCaseData("host-a.yaml", path).SetName($"linux host {path}");
    }

    private static readonly Lazy<string> AdminKey = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("flatnet-admin-key-").FullName;
        global::Flatnet.Processes.ProcessRunner.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "nebula-admin_ed25519")]).EnsureSuccess("ssh-keygen");
        return dir;
    });

    /// <summary>The shared key pair is a private key like any other: it does not outlive the fixture (battery 8 found 68 left in /tmp).</summary>
    [OneTimeTearDown]
    public void RemoveTheSharedAdminKey()
    {
        if (AdminKey.IsValueCreated) Directory.Delete(AdminKey.Value, recursive: true);
    }

    /// <summary>The example inventory with a Linux host too, and one admin key for every run, so renders compare byte for byte.</summary>
    private static TestWorkspace Benign()
    {
        var ws = new TestWorkspace();
        ws.Edit("host-a.yaml", "os:", "os: linux\nwsl_command: ip netns exec fn-wsl-a");
        var pki = Path.Combine(ws.Root, "pki");
        Directory.CreateDirectory(pki);
        File.SetUnixFileMode(pki, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var f in Directory.GetFiles(AdminKey.Value)) File.Copy(f, Path.Combine(pki, Path.GetFileName(f)));
        return ws;
    }

    private static Dictionary<string, string> Render(TestWorkspace ws)
    {
        ws.ControlPlane().RenderAll();
        var root = Path.Combine(ws.Root, "artifacts", "render");
        return Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);
    }

    /// <summary>What the benign inventory renders: once for every field's comparison (the admin key is shared, so it is the same each time).</summary>
    private static readonly Lazy<Dictionary<string, string>> BenignRender = new(() =>
    {
        using var ws = Benign();
        return Render(ws);
    });

    [TestCaseSource(nameof(Fields))]
    public void AHostileValueIsRefusedOrChangesNothingRendered(string file, string path)
    {
        var benign = BenignRender.Value;

        var changed = new List<string>();
        foreach (var value in Hostile)
        {
            using var ws = Benign();
            SetField(ws.HostsFile(file), path, value);
            try
            {
                var rendered = Render(ws);
                if (!rendered.OrderBy(kv => kv.Key).SequenceEqual(benign.OrderBy(kv => kv.Key)))
                    changed.Add($"{Grammar(value)} changed the rendered files");
            }
            catch (FlatnetException e)
            {
                Assert.That(e.Message, Does.Not.Contain("System.").And.Not.Contain("Exception").And.Not.Contain("Version=10"), $"{Grammar(value)}: {e.Message}");
                Assert.That(ws.WrittenFiles(), Is.Empty, $"{Grammar(value)} was refused but files were written");
            }
        }
        Assert.That(changed, Is.Empty);
    }

    private static string Grammar(string value) => Flatnet.Inventory.Grammar.Shown(value);

    [Test]
    public void TheRenderedInstallScriptsHelpRunsNothing()
    {
        using var ws = Benign();
        var rendered = Render(ws);
        var scratch = Directory.CreateTempSubdirectory("flatnet-help-");
        try
        {
            File.WriteAllText(Path.Combine(scratch.FullName, "install.sh"), rendered[Path.Combine("host-a", "install.sh")]);
            File.SetUnixFileMode(scratch.FullName, (UnixFileMode)0b111_111_111);
            // As an unprivileged user, in a folder of its own: --help prints the header and does nothing else.
            var r = global::Flatnet.Processes.ProcessRunner.Run("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "bash", "install.sh", "--help"], scratch.FullName);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
            Assert.That(r.StdOut, Does.Contain("Usage: install.sh"));
            Assert.That(Directory.GetFileSystemEntries(scratch.FullName).Select(Path.GetFileName), Is.EquivalentTo(new[] { "install.sh" }));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Test]
    public void EveryBadValueOfARunIsListedAtOnceWithFileLineFieldAndFix()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "listen_port:", "listen_port: 4242\ntuning: { tx_queue: -5, read_buffer: -1 }\ncert_duration: abc");
        ws.Edit("network.yaml", "- { port: any, proto: icmp, host: any }", "    - { port: 99999, proto: icmp, host: any }");
        ws.Edit("host-b.yaml", "groups:", "groups: []");
        ws.Edit("host-b.yaml", "address:", "  address: 198.18.0.12\n  port: 70000");
        ws.Edit("host-c.yaml", "index:", "index: 3\nindex: 4");
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        foreach (var words in new[]
                 {
                     "network.yaml: line 19: tuning.tx_queue: -5 is not a queue length",
                     "tuning.read_buffer: -1 is not a socket buffer size",
                     "cert_duration: 'abc' is not a duration nebula-cert understands",
                     "firewall.inbound[0].port: '99999' is not a port for Nebula's firewall",
                     "host-b.yaml: line 5: groups: is empty",
                     "host-b.yaml: line 11: deploy.port: 70000 is not a port",
                     "host-c.yaml: line 4: a key is written twice in one mapping",
                 })
            Assert.That(e.Message, Does.Contain(words));
        Assert.That(e.Message, Does.Contain("has 7 problem(s); nothing was written"));
        Assert.That(e.Message.Split('\n').Count(l => l.TrimStart().StartsWith("fix:")), Is.EqualTo(7), "every problem has its fix");
        Assert.That(ws.WrittenFiles(), Is.Empty);
    }

    [Test]
    public void WrongTypesAreSaidInWordsNotDotNetTypeNames()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "name:", "name: [a, b]");
        ws.Edit("host-b.yaml", "index:", "index: many");
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Not.Contain("System.").And.Not.Contain("CoreLib").And.Not.Contain("deserializ"));
        Assert.That(e.Message, Does.Contain("network.yaml: line 7: not valid here: expected a single value"));
        Assert.That(e.Message, Does.Contain("host-b.yaml: line 3: not valid here: 'many' is not a number"));
        // Its fix names what Init leaves (README), not an example file Init removes (battery 18).
        ws.Edit("host-b.yaml", "index:", "index: 99999999999999999999");
        var big = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(big.Message, Does.Contain("host-b.yaml: line 3: not valid here: the number is too large").And.Contain("README.md, section \"The inventory\"").And.Not.Contain("host-a.yaml)"));
        Assert.That(e.Message, Does.Contain("has 2 problem(s)"), "a file that does not parse is one problem");
    }

    [TestCase("192.0.0.0/2", false, "lies outside routed_pool 10.101.0.0/16; every peer would route it into host-c")]
    [TestCase("198.18.0.0/24", true, "covers lighthouse's endpoint (198.18.0.1)")]
    public void ARoutedBlockCannotSwallowTheLanOrTheLighthouse(string block, bool outside, string words)
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-c.yaml", "index:", $"index: 3\nrouted_block: {block}" + (outside ? "\nrouted_block_outside_pool: true" : ""));
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Contain(words));
    }

    /// <summary>Battery 12: a root of '/' rendered ROOT='' (its uninstall would empty /config/nebula); a system folder is no install root either.</summary>
    [TestCase("root: /opt/flatnet", "root: /", "nebula.linux.root: '/' is a whole file system")]
    [TestCase("root: /opt/flatnet", "root: /usr/", "nebula.linux.root: '/usr/' is a system folder")]
    [TestCase("root: /opt/flatnet", "root: /opt/./flatnet", "nebula.linux.root: '/opt/./flatnet' has an empty or '.' folder")]
    [TestCase("root: 'F:\\flatnet'", "root: 'D:\\'", "nebula.windows.root: 'D:\\' is a whole file system")]
    [TestCase("root: 'F:\\flatnet'", "root: 'C:\\Windows'", "nebula.windows.root: 'C:\\Windows' is a system folder")]
    public void AnInstallRootIsAFolderOfItsOwnNeverAFileSystemOrASystemFolder(string was, string root, string words)
    {
        using var ws = new TestWorkspace();
        File.WriteAllText(ws.HostsFile("network.yaml"), File.ReadAllText(ws.HostsFile("network.yaml")).Replace(was, root));
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Contain(words));
    }

    /// <summary>Sets one scalar in a YAML file (creating the key if needed), written as YAML double-quoted text.</summary>
    public static void SetField(string file, string path, string value)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(file)));
        YamlNode node = yaml.Documents[0].RootNode;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var index = -1;
            if (part.EndsWith(']'))
            {
                index = int.Parse(part[(part.IndexOf('[') + 1)..^1]);
                part = part[..part.IndexOf('[')];
            }
            var map = (YamlMappingNode)node;
            var last = i == parts.Length - 1;
            if (index < 0)
            {
                if (last) { map.Children[new YamlScalarNode(part)] = new YamlScalarNode(value) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted }; return; }
                if (!map.Children.TryGetValue(new YamlScalarNode(part), out var child)) map.Children[new YamlScalarNode(part)] = child = new YamlMappingNode();
                node = child;
            }
            else
            {
                var seq = (YamlSequenceNode)map.Children[new YamlScalarNode(part)];
                if (last) { seq.Children[index] = new YamlScalarNode(value) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted }; return; }
                node = seq.Children[index];
            }
        }
    }

    /// <summary>An endpoint is HOST:PORT exactly; whitespace or a sign after the port is refused at load, with its line.</summary>
    [TestCase("198.18.0.1: 4242")]
    [TestCase("198.18.0.1:+4242")]
    [TestCase("198.18.0.1:4242 ")]
    public void AnEndpointIsRefusedAtLoadUnlessItIsExactlyHostColonPort(string endpoint)
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "endpoints:", $"    endpoints: [\"{endpoint}\"]");
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Match(@"network\.yaml: line \d+: lighthouses\[0\]\.endpoints\[0\]: .* is not HOST:PORT"));
    }

    /// <summary>A Nebula release outside the ones flatnet supports is said, with the range, not silently taken.</summary>
    [TestCase("0.1.0")]
    [TestCase("1.99.0")]
    public void ANebulaVersionOutsideTheSupportedRangeIsAWarning(string version)
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-a.yaml", "# nebula_version:", $"nebula_version: {version}");
        _ = ws.ControlPlane().Context.Plan;
        Assert.That(ws.Log.Lines, Has.Some.Contains($"nebula_version: {version} is outside the releases flatnet supports (1.6 to 1.11)"));
    }

    /// <summary>"Billion laughs": nine lines of aliases expanding without end (Plan ran 120 s and took 6.4 GB). No alias is read.</summary>
    [Test]
    public void AYamlAliasIsRefusedBeforeItCanExpand()
    {
        using var ws = new TestWorkspace();
        var laughs = new System.Text.StringBuilder("name: host-c\nindex: 3\nos: linux\nwsl: false\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 9; i++) laughs.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        ws.Write("host-c.yaml", laughs.ToString());
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<InventoryProblem>(() => global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory))!;
        Assert.That(e.Message, Does.Contain("hosts/host-c.yaml: line 6: a YAML alias (*name): flatnet's inventory takes none"));
        TestContext.Out.WriteLine($"refused in {started.ElapsedMilliseconds} ms");
    }

    /// <summary>A host file that is a link is not read (a committed link to /etc/shadow had its lines printed as unknown keys), nor a file of megabytes.</summary>
    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ALinkedOrHugeHostFileIsNotReadAndNothingOfItIsPrinted()
    {
        using var ws = new TestWorkspace();
        var secret = Path.Combine(ws.Root, "shadow");
        File.WriteAllText(secret, "root:$y$j9T$secret:19000:0:99999:7:::\n");
        File.Delete(ws.HostsFile("host-c.yaml"));
        File.CreateSymbolicLink(ws.HostsFile("host-c.yaml"), secret);
        ws.Write("host-d.yaml", "name: host-d\nindex: 4\n" + new string('#', InventoryLoader.MaxFileBytes) + "\n");
        var e = Assert.Throws<InventoryProblem>(() => global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory))!;
        Assert.That(e.Message, Does.Contain("hosts/host-c.yaml: a link, not a file of the inventory's own: it is not read"));
        Assert.That(e.Message, Does.Contain("hosts/host-d.yaml: larger than any inventory file (256 KiB at most)"));
        Assert.That(e.Message, Does.Not.Contain("root:").And.Not.Contain("secret"));
    }

    /// <summary>hosts/h7.yml was ignored without a word; an editor's backup is named and left.</summary>
    [Test]
    public void AHostFileFlatnetWouldNotReadIsNamed()
    {
        using var ws = new TestWorkspace();
        File.Move(ws.HostsFile("host-c.yaml"), ws.HostsFile("host-c.yml"));
        File.WriteAllText(ws.HostsFile("host-a.yaml~"), "name: host-a\n");
        var e = Assert.Throws<InventoryProblem>(() => global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory))!;
        Assert.That(e.Message, Does.Contain("hosts/host-c.yml: not read: flatnet reads hosts/*.yaml").And.Contain("rename it host-c.yaml"));
        // Battery 26: the backup's warning came only once every problem was fixed, and read "host-a.yaml~: : not read".
        Assert.That(e.Message, Does.Contain("also noticed:").And.Contain("host-a.yaml~: not read (an editor's backup or a copy?)"));
        File.Move(ws.HostsFile("host-c.yml"), ws.HostsFile("host-c.yaml"));
        // ... and a host file in a folder below the inventory was never read, without a word.
        Directory.CreateDirectory(ws.HostsFile("more"));
        File.WriteAllText(Path.Combine(ws.HostsFile("more"), "host-e.yaml"), "name: host-e\n");
        var inventory = InventoryLoader.Read(ws.Workspace.InventoryDirectory).Inventory;
        Assert.That(inventory.Warnings, Has.Some.Contains("host-a.yaml~: not read (an editor's backup or a copy?)"));
        Assert.That(inventory.Warnings, Has.Some.Contains("hosts/more/: a folder of YAML files in the inventory, not read: flatnet reads hosts/*.yaml alone"));
        Assert.That(inventory.Warnings, Has.None.Contains(": : "));
    }

    /// <summary>Battery 11: a file named with a line break made its own "    fix: ..." line, which read as flatnet's advice.</summary>
    [Test]
    public void AFileNameCannotAddLinesThatReadAsFlatnetsOwn()
    {
        using var ws = new TestWorkspace();
        var name = "h\n    fix: run sudo rm -rf ~ then run this again\n  hosts: ok";
        File.WriteAllText(ws.HostsFile(name + ".yaml"), "name: host-x\nindex: 9\nos: linux\n");
        var e = Assert.Throws<InventoryProblem>(() => global::Flatnet.Addressing.AddressPlan.Load(ws.Workspace.InventoryDirectory))!;
        Assert.That(e.Message.Split('\n'), Has.None.Match(@"^\s*fix: run sudo"), e.Message);
        Assert.That(e.Message, Does.Contain("h\\n    fix: run sudo rm -rf ~"), "the name shown on one line, its line breaks spelled out");
    }
}
