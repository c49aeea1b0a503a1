using Flatnet.Output;

namespace Flatnet.Tasks;

/// <summary>
/// The command line, checked before anything runs: the target must exist, and every argument must be one the target
/// (or a task it runs first) reads, or one every target takes. Cake consumes its own options (--verbosity, --dryrun,
/// --tree, ...) before the script sees the rest, and passes configuration overrides (--settings_x, --paths_tools)
/// through; those are left to Cake. Every problem is named at once, with the nearest name that would fit:
/// <code>
/// --host: not an argument of Rollout
///     fix: did you mean --hosts? Rollout takes --hosts, --wave-size
/// </code>
/// </summary>
public static class CommandLine
{
    /// <summary>What every target takes: which target, where the inventory and artifacts are, how long to wait for a lock.</summary>
    public static readonly IReadOnlyList<string> Common = ["target", "inventory", "artifacts", "lock-wait"];

    // Cake's own options: Cake takes them before the script runs, so they arrive here only misspelt (--dry-run).
    private static readonly string[] CakeOptions = ["dryrun", "verbosity", "description", "tree", "exclusive", "debug", "info", "version", "bootstrap", "skip-bootstrap"];

    // What build.sh and build.ps1 take before Cake sees it: --help becomes --target=Help --topic=TARGET.
    private static readonly string[] Wrapper = ["help"];

    // Cake's configuration, overridable from the command line as --section_key=value (Cake's own documentation).
    private static readonly string[] CakeConfiguration = ["settings_", "paths_", "nuget_", "roslyn_"];

    /// <summary>
    /// Throws a <see cref="UsageError"/> naming every argument that fits nowhere or is given twice (or the unknown
    /// target), before any task runs. <paramref name="given"/> names each argument once per value it was given. <paramref name="tasks"/> are the registered tasks; <paramref name="otherTargets"/> those that take no
    /// arguments of their own (Help).
    /// </summary>
    /// <param name="commandLine">the process's own arguments, as typed: Cake's argument dictionary ignores case and keeps one
    /// value of --HOST=a --host=b, so a name given twice in two spellings is found here.</param>
    public static void Check(string target, IEnumerable<string> given, IReadOnlyList<FlatnetTask> tasks, IEnumerable<string> otherTargets, IReadOnlyList<string>? commandLine = null)
    {
        var targets = tasks.Select(t => t.Name).Concat(otherTargets).ToList();
        var named = targets.FirstOrDefault(t => t.Equals(target, StringComparison.OrdinalIgnoreCase));
        if (named is null)
            throw new UsageError($"there is no target named '{Terminal.OneLine(target)}'",
                (Nearest(target, targets) is { } near ? $"did you mean --target={near}? " : "") + "./build.sh --target=Help lists the targets", "--target");

        var accepted = Accepted(named, tasks);
        var everyOption = tasks.SelectMany(t => t.Options.Select(o => (Option: o, Task: t.Name))).ToList();
        var own = accepted.Except(Common).ToList();
        var takes = own.Count == 0 ? $"{named} takes no arguments of its own" : $"{named} takes {string.Join(", ", own.Select(o => "--" + o))}";
        var problems = new List<UsageError>();
        foreach (var name in given.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (accepted.Contains(name, StringComparer.OrdinalIgnoreCase) || Wrapper.Contains(name) || CakeConfiguration.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
                continue;
            var elsewhere = everyOption.Where(o => o.Option.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(o => o.Task).Distinct().ToList();
            var hint = Nearest(name, accepted) is { } near ? $"did you mean --{near}? {takes}"
                : Nearest(name, CakeOptions) is { } cake ? $"did you mean Cake's own --{cake}? {takes}"
                : elsewhere.Count > 0 ? $"--{name} is read by {string.Join(", ", elsewhere)}; {takes}"
                : $"{takes}; every target takes {string.Join(", ", Common.Select(o => "--" + o))}";
            problems.Add(new UsageError($"not an argument of {named}", hint, "--" + name));
        }
        // Given twice, an argument would quietly mean its last value (--host=h1 --host=h2 acts on h2), whichever way it
        // was written: Cake takes --host:pc-9 as --host=pc-9, and ---json as --json.
        var typed = commandLine?.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.TrimStart('-').Length > 0)
            .Select(a => a.TrimStart('-').Split('=', ':')[0]).ToList();
        foreach (var dashes in commandLine?.Where(a => a.StartsWith("---", StringComparison.Ordinal)) ?? [])
            problems.Add(new UsageError($"'{Terminal.OneLine(dashes)}' has {dashes.Length - dashes.TrimStart('-').Length} dashes", $"write it with two: --{Terminal.OneLine(dashes.TrimStart('-'))}",
                "--" + dashes.TrimStart('-').Split('=', ':')[0]));
        foreach (var twice in (typed is { Count: > 0 } ? typed : given).GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add(new UsageError($"given {twice.Count()} times; a target reads it once",
                $"give --{twice.Key} once{(twice.Key.Equals("host", StringComparison.OrdinalIgnoreCase) ? " (a target that works on several hosts takes --hosts=a,b)" : "")}", "--" + twice.Key));
        UsageErrors.ThrowIfAny(named, problems);
    }

    /// <summary>
    /// The arguments <paramref name="target"/> reads: its own, those of every task it runs first (<see cref="TaskGraph.Chain"/>),
    /// and the common ones; Help, the script's own, reads --topic.
    /// </summary>
    public static IReadOnlyList<string> Accepted(string target, IReadOnlyList<FlatnetTask> tasks) =>
        (tasks.Any(t => t.Name == target) ? TaskGraph.Chain(tasks, target).SelectMany(t => t.Options) : target == "Help" ? ["topic"] : []).Concat(Common).Distinct().ToList();

    /// <summary>The candidate a typo most likely meant: within two edits (or one for short words), or null.</summary>
    public static string? Nearest(string typed, IEnumerable<string> candidates) =>
        candidates.Select(c => (Name: c, Distance: Distance(typed.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(1, Math.Min(2, typed.Length / 3)) || c.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && typed.Length >= 3
                        || typed.StartsWith(c.Name, StringComparison.OrdinalIgnoreCase) && c.Name.Length >= 3)
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name).FirstOrDefault();

    /// <summary>The edits (insert, delete, replace, swap two neighbours) from one word to the other (optimal string alignment).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i, j - 1] + 1, d[i - 1, j] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
