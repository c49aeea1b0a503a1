using Flatnet.Output;

namespace Flatnet.Tasks;

/// <summary>
/// What --target=Help prints: the targets grouped as a person meets them (start here, a host, the fleet, day two, the
/// lab), and for one target (<c>./build.sh --target=Plan --help</c>) its whole description, what runs first, each of its
/// options with its default, and an example. Every line fits <see cref="Columns"/>.
/// </summary>
public static class Help
{
    public const int Columns = TextWidth.Columns;

    /// <summary>The groups, in the order a new admin meets them; every target is in one (HelpTests).</summary>
    public static readonly IReadOnlyList<(string Group, string[] Targets)> Groups =
    [
        ("Start here", ["Init", "Join", "AddHost", "Plan", "Status"]),
        ("A host", ["GenerateCert", "PackageBundle", "DeployHost", "ConfigureRouting", "Doctor", "RenewCert", "RevokeHost", "RemoveHost"]),
        ("The fleet", ["PackageAll", "RenderAll", "Release", "Rollout", "UpdatePeers", "VerifyPing", "CheckCerts"]),
        ("Day two", ["RenewCerts", "RotateCa", "InitCa", "FetchNebula"]),
        ("The lab", ["Lab", "LabClean", "Benchmark", "Test"]),
        ("This list", ["Help"]),
    ];

    /// <summary>Each option's meaning, with its value and default: one place, whichever targets read it (a task's own, the lab's, are its <see cref="FlatnetTask.OptionHelp"/>).</summary>
    public static readonly IReadOnlyDictionary<string, string> Options = new Dictionary<string, string>
    {
        ["target"] = "NAME: the target to run (default Help)",
        ["inventory"] = "DIR: the inventory (default hosts)",
        ["artifacts"] = "DIR: where flatnet writes (default artifacts)",
        ["lock-wait"] = "SECONDS: how long to wait for another run's lock (default 10)",
        ["topic"] = "TARGET: that target's own help (what ./build.sh --target=<target> --help asks)",
        ["host"] = "NAME: the host, as its file hosts/NAME.yaml names it",
        ["hosts"] = "A,B: these hosts only (default: every host)",
        ["json"] = "one JSON document alone on stdout (./build.sh ... --json | jq .)",
        ["metrics"] = "FILE: the mesh's metrics in Prometheus' text format there too (e.g. node_exporter's textfile folder); always in artifacts/verify/*.prom",
        ["wide"] = "a line per peer: the tunnel now and its last handshake",
        ["days"] = "N: fail when a certificate has fewer days left (default 30)",
        ["force"] = "sign again even when the certificate is current",
        ["pub"] = "FILE: sign this public key (made on the host) instead of making a key here",
        ["manual-steps-done"] = "the steps printed for hosts installed by hand are done: count them as converged",
        ["nebula"] = "V[,V..]: Nebula release(s), e.g. 1.11.0",
        ["lighthouse"] = "ADDRESS[:PORT]: the lighthouse's LAN endpoint, as the PCs reach it (port 4242 when left out)",
        ["lighthouse-ip"] = "IP: the lighthouse's Nebula IP (default 10.100.0.1)",
        ["ca-crt"] = "FILE: Stage 1's ca.crt, copied into pki/",
        ["ca-key"] = "FILE: Stage 1's ca.key, copied owner-only (leave out if it stays on the lighthouse)",
        ["windows-release"] = "ZIP: Nebula's Windows release (nebula-windows-amd64.zip)",
        ["root"] = @"FOLDER: the install root on the PCs (default C:\flatnet)",
        ["keep-examples"] = "keep the lab's example hosts, their addresses cleared (default: removed)",
        ["address"] = "IP: the PC's LAN address (default: the join script's reply says it)",
        ["os"] = "windows|linux (default windows)",
        ["reply"] = "\"LINE\"|FILE: what the join script printed on the PC; pins its host key and address",
        ["diff"] = "what the inventory changes per host against the newest release",
        ["against"] = "VERSION|RELEASE.zip|GIT-REF: what --diff compares with (a release of artifacts/releases by its version, a release zip, or a git ref)",
        ["format"] = "md|json: --diff as a pull-request comment, or JSON",
        ["release"] = "VERSION: the release's version, e.g. 1.2.0",
        ["include-keys"] = "let bundles that carry private keys into the release (default: refused)",
        ["delete-inventory"] = "also delete hosts/HOST.yaml and its artifacts",
        ["within"] = "DAYS: renew what expires within this many days (default 30)",
        ["wave-size"] = "N: hosts per wave, each wave verified (default 1)",
        ["start-new"] = "begin another rotation after a finished one",
    };

    /// <summary>An example per target where <c>./build.sh --target=Plan</c> (with --host=pc-1 for a host's) is not enough.</summary>
    private static readonly IReadOnlyDictionary<string, string> Examples = new Dictionary<string, string>
    {
        ["Init"] = "./build.sh --target=Init --lighthouse=192.168.1.10 --ca-crt=~/stage1/ca.crt --windows-release=~/nebula-windows-amd64.zip",
        ["Join"] = "./build.sh --target=Join --host=pc-1, then ./build.sh --target=Join --host=pc-1 --reply=\"flatnet-join host=pc-1 ...\"",
        ["Plan"] = "./build.sh --target=Plan --diff --format=md",
        ["Status"] = "./build.sh --target=Status --wide --host=pc-1",
        ["Release"] = "./build.sh --target=Release --release=1.0.0",
        ["Rollout"] = "./build.sh --target=Rollout --hosts=pc-1,pc-2 --wave-size=2",
        ["CheckCerts"] = "./build.sh --target=CheckCerts --days=60",
        ["FetchNebula"] = "./build.sh --target=FetchNebula --nebula=1.11.0",
        ["RotateCa"] = "./build.sh --target=RotateCa --wave-size=2",
        ["RenewCerts"] = "./build.sh --target=RenewCerts --within=30 --wave-size=2",
        ["Lab"] = "./build.sh --target=Lab --windows=host-c --nebula=1.11.0,1.9.3",
        ["Benchmark"] = "./build.sh --target=Benchmark --part=verify",
        ["Help"] = "./build.sh --target=Plan --help",
    };

    /// <summary>Every target, grouped, each with the first sentence of its description.</summary>
    public static string List(IReadOnlyList<FlatnetTask> tasks)
    {
        var lines = new List<string> { "flatnet: ./build.sh --target=<name> [options]. ./build.sh --target=<name> --help: that target's options and an example." };
        foreach (var (group, targets) in Groups)
        {
            var present = targets.Where(t => t == "Help" || tasks.Any(x => x.Name == t)).ToList();
            if (present.Count == 0) continue;
            lines.Add("");
            lines.Add(group + ":");
            foreach (var name in present)
                lines.Add(Wrap($"  {name,-17} {FirstSentence(Description(tasks, name))}", new string(' ', 20)));
        }
        lines.Add("");
        lines.Add(Wrap("Every target takes " + string.Join(", ", CommandLine.Common.Where(o => o != "target").Select(o => $"--{o}={Options[o].Split(':')[0]}")) +
                       ". NO_COLOR=1, or a pipe, turns colours off. Cake's own: --tree, --dryrun, --verbosity=quiet|normal|diagnostic.", "  "));
        return string.Join("\n", lines);
    }

    /// <summary>One target's help: what it does, what runs first, its options with their defaults, an example.</summary>
    public static string For(IReadOnlyList<FlatnetTask> tasks, string target)
    {
        var task = tasks.FirstOrDefault(t => t.Name.Equals(target, StringComparison.OrdinalIgnoreCase));
        if (task is null && !target.Equals("Help", StringComparison.OrdinalIgnoreCase))
            throw new UsageError($"there is no target named '{Terminal.OneLine(target)}'",
                (CommandLine.Nearest(target, tasks.Select(t => t.Name)) is { } near ? $"did you mean --target={near}? " : "") + "./build.sh --target=Help lists the targets", "--target");
        var name = task?.Name ?? "Help";
        var lines = new List<string> { Wrap($"{name}: {Description(tasks, name)}", "  ") };
        if (task is not null && TaskGraph.Chain(tasks, name) is { Count: > 1 } chain)
            lines.Add(Wrap("runs first: " + string.Join(" -> ", chain.SkipLast(1).Select(t => t.Name)), "  "));
        var own = task is null ? ["topic"] : CommandLine.Accepted(name, tasks).Except(CommandLine.Common).ToList();
        lines.Add(own.Count == 0 ? "options: none of its own" : "options:");
        foreach (var option in own)
            lines.Add(Wrap($"  --{option,-20} {Meaning(tasks, name, option)}", new string(' ', 25)));
        lines.Add(Wrap("every target: " + string.Join(", ", CommandLine.Common.Where(o => o != "target").Select(o => $"--{o}={Options[o]}")), "  "));
        lines.Add(Wrap("example: " + Example(task, name), "  "));
        return string.Join("\n", lines);
    }

    /// <summary>What <paramref name="option"/> means for <paramref name="target"/>: its own task's words first (<see cref="FlatnetTask.OptionHelp"/>), else the shared table's.</summary>
    public static string Meaning(IReadOnlyList<FlatnetTask> tasks, string target, string option) =>
        (tasks.Any(t => t.Name == target) ? TaskGraph.Chain(tasks, target) : []).Select(t => t.OptionHelp.GetValueOrDefault(option)).LastOrDefault(m => m is not null)
        ?? Options.GetValueOrDefault(option, "");

    private static string Example(FlatnetTask? task, string name) =>
        Examples.GetValueOrDefault(name) ?? $"./build.sh --target={name}" + (task?.Options.Contains("host") == true ? " --host=pc-1" : "");

    private static string Description(IReadOnlyList<FlatnetTask> tasks, string name) =>
        tasks.FirstOrDefault(t => t.Name == name)?.Description ?? "List the targets, or one target's options with --topic=TARGET (./build.sh --target=<target> --help).";

    /// <summary>Up to the first sentence's end (". ", ": " or "; " outside parentheses), as a list shows it.</summary>
    private static string FirstSentence(string text)
    {
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
            if (depth == 0 && text[i] is '.' or ':' or ';' && (i + 1 == text.Length || text[i + 1] == ' '))
                return text[..i] + (text[i] == '.' ? "" : "...");
        }
        return text;
    }

    private static string Wrap(string text, string indent) => TextWidth.Wrap(text, indent, Columns);
}
