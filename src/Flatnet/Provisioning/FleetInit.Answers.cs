using Flatnet.Inventory;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Provisioning;

// Init's choices: from the command line or asked one by one, each by the one rule its flag follows.
public static partial class FleetInit
{
    /// <summary>The lighthouse's port when the answer gives none: Nebula's own (examples/config.yml's listen.port).</summary>
    public const int DefaultLighthousePort = 4242;

    /// <summary>
    /// What Init is to do, from the command line; on a terminal, what the command line leaves out is asked; elsewhere
    /// (CI, a pipe) it must be given. A flag and an answer follow one rule each (<see cref="Rules"/>).
    /// </summary>
    public static InitChoices Choices(FlatnetContext context)
    {
        var network = NetworkIfItReads(context);
        // Run again on its own output, Init needs no --lighthouse: the one network.yaml has is kept (never the lab's).
        var kept = network?.Lighthouses.FirstOrDefault()?.Endpoints.FirstOrDefault() is { } endpoint && !IsLab(endpoint.Split(':')[0]) ? endpoint : null;
        // So is the install root it has (the example's F:\flatnet only once a real lighthouse is set: Init's own output).
        return Choices(context.Arguments, network?.Overlay, kept, kept is null ? null : network?.Nebula.Windows.Root);
    }

    /// <summary>network.yaml; null when the file does not read (Init names that itself, after the questions).</summary>
    private static NetworkSettings? NetworkIfItReads(FlatnetContext context)
    {
        try
        {
            return InventoryLoader.Read(context.Workspace.InventoryDirectory).Inventory.Network;
        }
        catch (FlatnetException)
        {
            return null;
        }
    }

    /// <param name="kept">the lighthouse endpoint network.yaml has already (a real one): taken when --lighthouse is not given.</param>
    /// <param name="keptRoot">the install root network.yaml has, on Init's own output: taken when --root is not given.</param>
    public static InitChoices Choices(TaskArguments a, Ipv4Network? overlay = null, string? kept = null, string? keptRoot = null)
    {
        var interactive = Terminal.PersonWatches && !Console.IsInputRedirected;
        string? Given(string flag) => a.Value(flag) is { } v ? Rules[flag].Normalize(v) : null;
        return a.Value("lighthouse") is null && interactive
            ? Ask(Console.In, Console.Error, Given("lighthouse-ip"), Given("ca-crt"), Given("ca-key"), Given("windows-release"), Given("root"), a.Has("keep-examples") ? a.Flag("keep-examples") : null, overlay, kept, keptRoot)
            : new InitChoices(Given("lighthouse") ?? kept ?? throw new UsageError("Init needs the lighthouse's LAN endpoint",
                    $"add --lighthouse=192.168.1.10:{DefaultLighthousePort} (the address and port the PCs reach Stage 1's lighthouse at)", "--lighthouse"),
                Given("lighthouse-ip"), Given("ca-crt"), Given("ca-key"), Given("windows-release"), Given("root") ?? keptRoot ?? @"C:\flatnet", a.Flag("keep-examples"));
    }

    /// <summary>
    /// The choices asked one by one. Each answer is checked when it is given, by the rule its flag follows, and asked
    /// again until it fits; an empty answer takes the default shown, or leaves the item for later. Nothing is written
    /// until the last answer.
    /// </summary>
    /// <param name="overlay">network.yaml's overlay, when it reads: the lighthouse's Nebula IP is checked against it at its question.</param>
    public static InitChoices Ask(TextReader answers, TextWriter questions, string? lighthouseIp = null, string? caCrt = null, string? caKey = null, string? release = null, string? root = null, bool? keepExamples = null,
        Ipv4Network? overlay = null, string? keptLighthouse = null, string? keptRoot = null)
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
                if ((answer.Length == 0 ? new UsageError("an answer is needed", "", flag) : Rules[flag].Problem(value) ?? OutsideOverlay(flag, value, overlay)) is not { } problem) return value;
                questions.WriteLine($"  {problem.Problem}{(problem.Fix is { Length: > 0 } fix ? $" ({fix})" : "")}; try again");
            }
        }
        var lighthouse = Question($"the lighthouse's LAN address and port, as the PCs reach it (e.g. 192.168.1.10:{DefaultLighthousePort})", "lighthouse", null, keptLighthouse, required: true)
            ?? throw new UsageError("Init needs the lighthouse's LAN endpoint", $"answer with ADDRESS:PORT, or pass --lighthouse=192.168.1.10:{DefaultLighthousePort}", "--lighthouse");
        return new InitChoices(lighthouse,
            Question("the lighthouse's Nebula IP", "lighthouse-ip", lighthouseIp, "10.100.0.1"),
            Question("Stage 1's ca.crt, to copy here", "ca-crt", caCrt),
            Question("Stage 1's ca.key, copied owner-only", "ca-key", caKey, empty: "it stays on the lighthouse, or later"),
            Question("Nebula's Windows release zip (nebula-windows-amd64.zip)", "windows-release", release),
            Question("the install root on the PCs", "root", root, keptRoot ?? @"C:\flatnet")!,
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
        ["ca-crt"] = new(Workspace.HomeExpanded, file => FileProblem("--ca-crt", file)),
        ["ca-key"] = new(Workspace.HomeExpanded, file => FileProblem("--ca-key", file)),
        ["windows-release"] = new(Workspace.HomeExpanded, file => FileProblem("--windows-release", file)),
        ["keep-examples"] = new(Same, yes => yes is "y" or "Y" or "yes" or "n" or "N" or "no" ? null : new UsageError($"'{Grammar.Shown(yes)}' is neither y nor n", "", "--keep-examples")),
    };

    /// <summary>The lighthouse's Nebula IP is one of the overlay's (Init refuses another, after the last question, all the same).</summary>
    private static UsageError? OutsideOverlay(string flag, string value, Ipv4Network? overlay) =>
        flag == "lighthouse-ip" && overlay is { } o && Ipv4Network.TryParseAddress(value, out var ip) && !o.Contains(ip)
            ? new UsageError($"{value} is not in the overlay {o} (network.yaml)", $"the lighthouse's Nebula IP, inside {o} (Stage 1's: nebula-cert print -path its host.crt shows it)", "--lighthouse-ip")
            : null;

    /// <summary>ADDRESS alone means Nebula's own port.</summary>
    private static string WithPort(string endpoint) =>
        endpoint.Contains(':') || endpoint.Length == 0 ? endpoint : $"{endpoint}:{DefaultLighthousePort}";

    private static UsageError? LighthouseProblem(string lighthouse)
    {
        var endpoint = lighthouse.Split(':');
        if (endpoint.Length != 2 || Grammar.Address(endpoint[0]) is not null || !int.TryParse(endpoint[1], out var port))
            return new UsageError($"'{Grammar.Shown(lighthouse)}' is not HOST:PORT", $"e.g. --lighthouse=192.168.1.10:{DefaultLighthousePort}", "--lighthouse");
        if (Grammar.Port(port, DefaultLighthousePort.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } badPort)
            return new UsageError(badPort.Problem, badPort.Fix, "--lighthouse");
        return IsLab(endpoint[0])
            ? new UsageError($"{endpoint[0]} is the lab's address, not a lighthouse on your LAN", "give the LAN address your PCs reach Stage 1's lighthouse at", "--lighthouse")
            : null;
    }

    private static UsageError? FileProblem(string flag, string file) =>
        !File.Exists(file) && !Directory.Exists(file) ? new UsageError($"{Grammar.Shown(file)} does not exist", "give the path of the file on this machine", flag)
        : !Directory.Exists(file) && InputFiles.NotRegular(file) is { } why ? new UsageError($"{file} is {why}", "give the path of the file itself", flag)
        : flag != "--windows-release" && File.Exists(file) && new FileInfo(file).Length > InputFiles.KeyLimit
            ? new UsageError($"{file} is larger than a CA's file ({InputFiles.KeyLimit / 1024} KiB at most)", "give Stage 1's ca.crt or ca.key", flag)
        : flag == "--windows-release" && File.Exists(file) && !IsZip(file)
            ? new UsageError($"{file} is not a zip", "give nebula-windows-amd64.zip of the release your hosts run (or the folder it unpacks to)", flag)
        : flag != "--windows-release" && File.Exists(file) ? PemProblem(flag, file)
        : null;

    /// <summary>ca.crt holds a Nebula certificate and ca.key a private key: the two swapped, or another file, named when given.</summary>
    private static UsageError? PemProblem(string flag, string file)
    {
        var text = File.ReadAllText(file);
        var key = text.Contains("PRIVATE KEY-----", StringComparison.Ordinal);
        var certificate = text.Contains("-----BEGIN NEBULA CERTIFICATE", StringComparison.Ordinal);
        return (flag, key, certificate) switch
        {
            ("--ca-crt", true, _) => new UsageError($"{file} is a private key, not a certificate", "give Stage 1's ca.crt here (its ca.key goes to --ca-key)", flag),
            ("--ca-crt", false, false) => new UsageError($"{file} is not a Nebula certificate (no BEGIN NEBULA CERTIFICATE line)", "give Stage 1's ca.crt", flag),
            ("--ca-key", false, true) => new UsageError($"{file} is a certificate, not a private key", "give Stage 1's ca.key here (its ca.crt goes to --ca-crt)", flag),
            ("--ca-key", false, false) => new UsageError($"{file} is not a Nebula private key (no PRIVATE KEY line)", "give Stage 1's ca.key", flag),
            _ => null,
        };
    }

    /// <summary>A zip starts with PK\x03\x04 (or PK\x05\x06, an empty one).</summary>
    private static bool IsZip(string file)
    {
        var head = new byte[4];
        using var stream = File.OpenRead(file);
        return stream.Read(head, 0, 4) == 4 && head[0] == 'P' && head[1] == 'K' && head[2] is 3 or 5;
    }

    /// <summary>Every choice against its flag's rule, all named at once, before anything is written.</summary>
    private static void Check(InitChoices choices, Ipv4Network overlay)
    {
        var given = new (string Flag, string? Value)[]
        {
            ("lighthouse", choices.Lighthouse), ("lighthouse-ip", choices.LighthouseIp), ("root", choices.Root),
            ("ca-crt", choices.CaCrt), ("ca-key", choices.CaKey), ("windows-release", choices.WindowsRelease),
        };
        UsageErrors.ThrowIfAny("Init", [.. given.Where(g => g.Value is not null).Select(g => Rules[g.Flag].Problem(g.Value!) ?? OutsideOverlay(g.Flag, g.Value!, overlay)).OfType<UsageError>()], "cannot use");
    }
}
