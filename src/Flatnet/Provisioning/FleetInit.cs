using Flatnet.Inventory;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>
/// Init: from the lab's example to a real fleet in one step. Sets in hosts/network.yaml what a fleet needs (the
/// lighthouse's LAN endpoint and overlay IP, the install root, Nebula's Windows release, no CA made on its own),
/// copies Stage 1's CA in (the key owner-only), records the admin key, and removes the lab's example hosts (or, with
/// --keep-examples, clears their addresses, so that Plan names what is still to fill in, per host). Every other line and comment of the files stays as written
/// (<see cref="YamlLines"/>); a re-run with the same arguments changes nothing.
/// </summary>
public static class FleetInit
{
    /// <summary>The example's lab addresses (the lab's underlay, 198.18.0.0/15): never a fleet's.</summary>
    private static readonly Ipv4Network LabUnderlay = Ipv4Network.Parse("198.18.0.0/15");

    /// <summary>The lighthouse's port when the answer gives none: Nebula's own (examples/config.yml's listen.port).</summary>
    public const int DefaultLighthousePort = 4242;

    /// <summary>
    /// What Init is to do, from the command line; on a terminal, what the command line leaves out is asked; elsewhere
    /// (CI, a pipe) it must be given. A flag and an answer follow one rule each (<see cref="Rules"/>).
    /// </summary>
    public static InitChoices Choices(TaskArguments a)
    {
        var interactive = Terminal.PersonWatches && !Console.IsInputRedirected;
        string? Given(string flag) => a.Value(flag) is { } v ? Rules[flag].Normalize(v) : null;
        return a.Value("lighthouse") is null && interactive
            ? Ask(Console.In, Console.Error, Given("lighthouse-ip"), Given("ca-crt"), Given("ca-key"), Given("windows-release"), Given("root"), a.Has("keep-examples") ? a.Flag("keep-examples") : null)
            : new InitChoices(Given("lighthouse") ?? throw new UsageError("Init needs the lighthouse's LAN endpoint",
                    $"add --lighthouse=192.168.1.10:{DefaultLighthousePort} (the address and port the PCs reach Stage 1's lighthouse at)", "--lighthouse"),
                Given("lighthouse-ip"), Given("ca-crt"), Given("ca-key"), Given("windows-release"), Given("root") ?? @"C:\flatnet", a.Flag("keep-examples"));
    }

    /// <summary>
    /// The choices asked one by one. Each answer is checked when it is given, by the rule its flag follows, and asked
    /// again until it fits; an empty answer takes the default shown, or leaves the item for later. Nothing is written
    /// until the last answer.
    /// </summary>
    public static InitChoices Ask(TextReader answers, TextWriter questions, string? lighthouseIp = null, string? caCrt = null, string? caKey = null, string? release = null, string? root = null, bool? keepExamples = null)
    {
        string? Question(string text, string flag, string? given, string? fallback = null, string empty = "later", bool required = false)
        {
            if (given is not null) return given;
            while (true)
            {
                questions.Write($"{text} [{fallback ?? "empty: " + empty}]: ");
                questions.Flush();
                var answer = answers.ReadLine()?.Trim();
                if (answer is null) return fallback;   // no more answers (the input ended): what is left stays for later
                if (answer.Length == 0 && (fallback is not null || !required)) return fallback;
                var value = answer.Length == 0 ? "" : Rules[flag].Normalize(answer);
                if ((answer.Length == 0 ? new UsageError("an answer is needed", "", flag) : Rules[flag].Problem(value)) is not { } problem) return value;
                questions.WriteLine($"  {problem.Problem}{(problem.Fix is { Length: > 0 } fix ? $" ({fix})" : "")}; try again");
            }
        }
        var lighthouse = Question($"the lighthouse's LAN address and port, as the PCs reach it (e.g. 192.168.1.10:{DefaultLighthousePort})", "lighthouse", null, required: true)
            ?? throw new UsageError("Init needs the lighthouse's LAN endpoint", $"answer with ADDRESS:PORT, or pass --lighthouse=192.168.1.10:{DefaultLighthousePort}", "--lighthouse");
        return new InitChoices(lighthouse,
            Question("the lighthouse's Nebula IP", "lighthouse-ip", lighthouseIp, "10.100.0.1"),
            Question("Stage 1's ca.crt, to copy here", "ca-crt", caCrt),
            Question("Stage 1's ca.key, copied owner-only", "ca-key", caKey, empty: "it stays on the lighthouse, or later"),
            Question("Nebula's Windows release zip (nebula-windows-amd64.zip)", "windows-release", release),
            Question("the install root on the PCs", "root", root, @"C:\flatnet")!,
            keepExamples ?? Question("the lab's example hosts (host-a, host-b, host-c): remove them from hosts/? y/n", "keep-examples", null, "y") is not ("y" or "Y" or "yes"));
    }

    /// <summary>One flag's rule: how a value is written down (a port added, ~ expanded), and what is wrong with it.</summary>
    private sealed record Rule(Func<string, string> Normalize, Func<string, UsageError?> Problem);

    private static string Same(string value) => value;

    /// <summary>The rule of each flag Init reads, for the command line and for the questions alike.</summary>
    private static readonly IReadOnlyDictionary<string, Rule> Rules = new Dictionary<string, Rule>
    {
        ["lighthouse"] = new(WithPort, LighthouseProblem),
        ["lighthouse-ip"] = new(Same, ip => System.Net.IPAddress.TryParse(ip, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? null
            : new UsageError($"'{Grammar.Shown(ip)}' is not an IPv4 address", "the lighthouse's Nebula IP, e.g. --lighthouse-ip=10.100.0.1", "--lighthouse-ip")),
        ["root"] = new(Same, root => Grammar.WindowsPath(root) is null && root is [var drive, ':', '\\', ..] && char.IsAsciiLetter(drive) ? null
            : new UsageError($"'{Grammar.Shown(root)}' is not a Windows folder on a drive", @"e.g. --root=C:\flatnet", "--root")),
        ["ca-crt"] = new(HomeExpanded, file => FileProblem("--ca-crt", file)),
        ["ca-key"] = new(HomeExpanded, file => FileProblem("--ca-key", file)),
        ["windows-release"] = new(HomeExpanded, file => FileProblem("--windows-release", file)),
        ["keep-examples"] = new(Same, yes => yes is "y" or "Y" or "yes" or "n" or "N" or "no" ? null : new UsageError($"'{Grammar.Shown(yes)}' is neither y nor n", "", "--keep-examples")),
    };

    /// <summary>ADDRESS alone means Nebula's own port.</summary>
    private static string WithPort(string endpoint) =>
        endpoint.Contains(':') || endpoint.Length == 0 ? endpoint : $"{endpoint}:{DefaultLighthousePort}";

    /// <summary>~/ is this account's home, as a shell would have said it (a flag's `=~/x` and an answer are not expanded by one).</summary>
    private static string HomeExpanded(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[1..].TrimStart('/'))
            : path;

    private static UsageError? LighthouseProblem(string lighthouse)
    {
        var endpoint = lighthouse.Split(':');
        if (endpoint.Length != 2 || !System.Net.IPAddress.TryParse(endpoint[0], out _) && Grammar.Address(endpoint[0]) is not null || !int.TryParse(endpoint[1], out var port) || port is < 1 or > 65535)
            return new UsageError($"'{Grammar.Shown(lighthouse)}' is not HOST:PORT", $"e.g. --lighthouse=192.168.1.10:{DefaultLighthousePort}", "--lighthouse");
        return IsLab(endpoint[0])
            ? new UsageError($"{endpoint[0]} is the lab's address, not a lighthouse on your LAN", "give the LAN address your PCs reach Stage 1's lighthouse at", "--lighthouse")
            : null;
    }

    private static UsageError? FileProblem(string flag, string file) =>
        !File.Exists(file) && !Directory.Exists(file) ? new UsageError($"{Grammar.Shown(file)} does not exist", "give the path of the file on this machine", flag)
        : !Directory.Exists(file) && InputFiles.NotRegular(file) is { } why ? new UsageError($"{file} is {why}", "give the path of the file itself", flag)
        : flag != "--windows-release" && File.Exists(file) && new FileInfo(file).Length > InputFiles.KeyLimit
            ? new UsageError($"{file} is larger than a CA's file ({InputFiles.KeyLimit / 1024} KiB at most)", "give Stage 1's ca.crt or ca.key", flag)
        : null;

    public static IReadOnlyList<string> Init(FlatnetContext context, InitChoices choices)
    {
        var inventory = context.Workspace.InventoryDirectory;
        var network = new YamlLines(Path.Combine(inventory, InventoryLoader.NetworkFileName));
        var done = new List<string>();
        Check(choices);
        // Everything that could refuse is checked before anything is written: all or nothing.
        var ca = InventoryLoader.Read(inventory).Inventory.Network.Ca;
        // The key's folder, when it is there already, must be safe before anything is written (it is never chmod-ed).
        if ((choices.CaCrt ?? choices.CaKey) is not null && Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(ca.KeyPath))))
            SafeFiles.RequireSecretFolder(Path.GetDirectoryName(ca.KeyPath)!, "the CA key's folder");
        Preflight(context, choices.CaCrt, ca.CrtPath, "--ca-crt", isCa: true);
        Preflight(context, choices.CaKey, ca.KeyPath, "--ca-key", isCa: false);
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
        if (choices.WindowsRelease is { } release)
            Set("nebula.windows.release", Rendering.Quoting.YamlQuote(Path.GetFullPath(release)), $"Windows release {release}");
        network.Save();

        // Stage 1's CA, copied beside the paths network.yaml names; never over a CA that is already there.
        // The folder that will hold ca.key is made owner-only whichever file comes first (pki/ was 0755 with --ca-crt alone).
        if (choices.CaCrt is not null && Path.GetDirectoryName(Path.GetFullPath(ca.CrtPath)) == Path.GetDirectoryName(Path.GetFullPath(ca.KeyPath)))
            SafeFiles.RequireSecretFolder(Path.GetDirectoryName(ca.KeyPath)!, "the CA key's folder");
        if (choices.CaCrt is { } crt) done.AddRange(CopyCa(context, crt, ca.CrtPath, secret: false));
        if (choices.CaKey is { } key) done.AddRange(CopyCa(context, key, ca.KeyPath, secret: true));

        // The lab's example hosts (a lab address, 198.18.0.0/15, is never a fleet's) go, so the first Join takes index 1
        // and nothing waits for their addresses; with --keep-examples their addresses are cleared for Plan to name.
        foreach (var file in Directory.GetFiles(inventory, "*.yaml").Where(f => Path.GetFileName(f) != InventoryLoader.NetworkFileName).Order(StringComparer.Ordinal))
        {
            var host = new YamlLines(file);
            if (host.Get("deploy.address") is not { } address || !IsLab(address)) continue;
            var name = Path.GetFileNameWithoutExtension(file);
            if (!choices.KeepExamples)
            {
                File.Delete(file);
                done.Add($"{name}: the lab's example host removed from {Workspace.Relative(inventory)} (git checkout -- {Workspace.Relative(file)} brings it back)");
                continue;
            }
            host.Set("deploy.address", "\"\"", "its LAN address: fill in (Init cleared the lab's)");
            host.Save();
            done.Add($"{name}: lab address {address} cleared");
        }
        // The admin interface's key, made once and recorded in network.yaml, so every clone renders the same configs.
        var written = InventoryLoader.Read(inventory).Inventory.Network;
        if (written.Nebula.AdminPort != 0)
            Pki.AdminInterface.Ensure(written.Ca, written.Nebula.AdminPort, written.Nebula.AdminKey, context.Log, inventory);
        context.Log.Info(done.Count == 0 ? "Init: the inventory already says all this; nothing changed"
            : "Init changed:\n  " + string.Join("\n  ", done));
        context.Log.Info("still to do: " + StillToDo(context));
        return done;
    }

    /// <summary>Every choice against its flag's rule, all named at once, before anything is written.</summary>
    private static void Check(InitChoices choices)
    {
        var given = new (string Flag, string? Value)[]
        {
            ("lighthouse", choices.Lighthouse), ("lighthouse-ip", choices.LighthouseIp), ("root", choices.Root),
            ("ca-crt", choices.CaCrt), ("ca-key", choices.CaKey), ("windows-release", choices.WindowsRelease),
        };
        UsageErrors.ThrowIfAny("Init", [.. given.Where(g => g.Value is not null).Select(g => Rules[g.Flag].Problem(g.Value!)).OfType<UsageError>()], "cannot use");
    }

    private static bool IsLab(string address) => Ipv4Network.TryParseAddress(address, out var a) && LabUnderlay.Contains(a);

    /// <summary>A CA file Init would copy: refused before anything is written when another CA's file is there, or ca.crt is no CA.</summary>
    private static void Preflight(FlatnetContext context, string? from, string to, string flag, bool isCa)
    {
        if (from is null) return;
        if (File.Exists(to) && !File.ReadAllBytes(to).SequenceEqual(InputFiles.ReadAllBytes(from, InputFiles.KeyLimit, flag)))
            throw new StateConflict($"{Workspace.Relative(to)} already holds another CA's file; flatnet never replaces a CA, and nothing was changed", "move it away first if the new one is really the lighthouse's", Workspace.Relative(to));
        if (isCa && !context.NebulaCert.Print(from).IsCa)
            throw new UsageError($"{from} is not a CA certificate; nothing was changed", "give Stage 1's ca.crt (nebula-cert print -path ca.crt says isCa: true)", flag);
    }

    /// <summary>The pair check runs in an owner-only folder of the system's temporary folder: nothing of the workspace is written yet.</summary>
    private static string? PairProblem(FlatnetContext context, string crt, string key) =>
        Pki.CertificateAuthority.PairProblem(context.NebulaCert, Path.GetFullPath(crt), Path.GetFullPath(key), Path.GetTempPath());

    private static IEnumerable<string> CopyCa(FlatnetContext context, string from, string to, bool secret)
    {
        var bytes = InputFiles.ReadAllBytes(from, InputFiles.KeyLimit, secret ? "--ca-key" : "--ca-crt");
        if (File.Exists(to))
        {
            if (File.ReadAllBytes(to).SequenceEqual(bytes)) yield break;
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
            // Each platform says whether its bundles would carry Nebula (Windows: the release, or installed_by_hand);
            // Windows always, since the PCs Join adds are Windows unless told otherwise.
            foreach (var platform in plan.Hosts.Select(h => context.Platforms.For(h.Host)).Prepend(context.Platforms.For(HostOs.Windows)).Distinct())
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
            missing.AddRange(plan.Hosts.Where(h => h.Host.Deploy.AwaitingJoin && !plan.Inventory.IsRevoked(h.Name))
                .Select(h => $"{h.Name}: run its join script there, then give the reply back: ./build.sh --target=Join --reply=REPLY"));
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
