using Flatnet.Output;

namespace Flatnet;

/// <summary>
/// A problem the user can fix: the one error type of flatnet (its kinds are in Failures.cs). It names where (file, line, field), what is wrong and
/// how to fix it, in the plain style of age/mkcert, and <see cref="Format"/> is the one place that spells it:
/// <code>
/// hosts/host-b.yaml: line 4: deploy.port: 70000 is not a TCP port
///     fix: use a port from 1 to 65535 (22 is SSH's)
/// </code>
/// </summary>
public class FlatnetException : Exception
{
    public string Problem { get; }
    /// <summary>The first fix (most problems have one); <see cref="Fixes"/> has them all.</summary>
    public string? Fix => Fixes.Count > 0 ? Fixes[0] : null;
    public IReadOnlyList<string> Fixes { get; }
    public string? File { get; }
    public int? Line { get; }
    public string? Field { get; }

    /// <summary>Whether trying again later may succeed (a host that was off, a daemon that had not caught up); see Failures.cs.</summary>
    public virtual bool Transient => false;

    public FlatnetException(string problem, string? fix = null, string? file = null, string? field = null, int? line = null, Exception? inner = null)
        : this(problem, fix is null ? [] : [fix], file, field, line, inner) { }

    /// <summary>A problem with several fixes, one per cause (each on its own `fix:` line).</summary>
    public FlatnetException(string problem, IReadOnlyList<string> fixes, string? file = null, string? field = null, int? line = null, Exception? inner = null)
        : base(FormatAll(file, line, field, problem, fixes), inner)
    {
        Problem = Terminal.Clean(problem);
        Fixes = fixes.Select(Terminal.Clean).ToList();
        File = file;
        Line = line;
        Field = field;
    }

    /// <summary>`file: line N: field: problem`, then `    fix: ...` on its own line; parts that are unknown are left out.</summary>
    public static string Format(string? file, int? line, string? field, string problem, string? fix) =>
        FormatAll(file, line, field, problem, fix is null ? [] : [fix]);

    /// <summary>As above, with one `    fix: ...` line per fix.</summary>
    public static string FormatAll(string? file, int? line, string? field, string problem, IReadOnlyList<string> fixes)
    {
        var where = string.Concat(
            file is null ? "" : file + ": ",
            line is null ? "" : $"line {line}: ",
            field is null ? "" : field + ": ");
        // A problem may quote a host's words or a file's name: nothing in it may drive the terminal, and no name may start
        // a line of its own that reads as flatnet's (a file named "h\n    fix: ..."): the place and each fix are one line
        // (Terminal.OneLine), and a name quoted in a problem is quoted with Terminal.OneLine where it is written.
        // (A problem may list others, each on its line with its own fix, as those were formatted here: its lines stay.)
        return Terminal.OneLine(where) + Terminal.Clean(problem) + string.Concat(fixes.Select(f => "\n    fix: " + Terminal.OneLine(f)));
    }
}

// The kinds of FlatnetException. Each is still a problem with its fixes (FlatnetException.Format spells them); the
// kind says what a caller may do about it: a transient one is worth trying again later, the others are not.

/// <summary>The inventory breaks its rules: every problem of every file, each with file, line, field and fix. Nothing was written.</summary>
public sealed class InventoryProblem(string inventory, IReadOnlyList<string> problems)
    : FlatnetException($"the inventory in {inventory} has {problems.Count} problem(s); nothing was written:\n  " + string.Join("\n  ", problems))
{
    public IReadOnlyList<string> Problems => problems;

    /// <summary>What the inventory's reading also noticed (files it does not read), said after the problems.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public override string Message => Warnings.Count == 0 ? base.Message : base.Message + "\n  also noticed:\n  " + string.Join("\n  ", Warnings);
}

/// <summary>An argument on the command line that does not fit (its flag is the field).</summary>
public sealed class UsageError(string problem, string fix, string flag) : FlatnetException(problem, fix, field: flag);

/// <summary>Several arguments that do not fit, named at once, before anything ran.</summary>
/// <param name="complaint">what is wrong with them: <c>does not read</c> (unknown), or <c>cannot use</c> (a value that does not fit).</param>
public sealed class UsageErrors(string target, IReadOnlyList<UsageError> errors, string complaint = "does not read")
    : FlatnetException($"{errors.Count} arguments that {target} {complaint}; nothing ran:\n  " + string.Join("\n  ", errors.Select(e => e.Message.Replace("\n", "\n  "))))
{
    public IReadOnlyList<UsageError> Errors => errors;

    /// <summary>Throws the one error as it is, or several as one <see cref="UsageErrors"/>; nothing when there are none.</summary>
    public static void ThrowIfAny(string target, IReadOnlyList<UsageError> errors, string complaint = "does not read")
    {
        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new UsageErrors(target, errors, complaint);
    }
}

/// <summary>
/// flatnet could not reach a host: the connection was refused or timed out, or the host did not let flatnet in.
/// Transient: the host may be off or asleep, and a later run may reach it.
/// </summary>
public sealed class HostUnreachable(string host, string problem, string fix, string? file = null, string? field = null, Exception? inner = null)
    : FlatnetException(problem, fix, file, field, inner: inner)
{
    public string Host => host;
    public override bool Transient => true;
}

/// <summary>A command flatnet ran on a host answered, and failed: the host's own words are kept.</summary>
public sealed class RemoteCommandFailed(string host, string problem, string output, int exitCode, string? fix = null)
    : FlatnetException(problem, fix)
{
    public string Host => host;
    public string Output => output;
    public int ExitCode => exitCode;
}

/// <summary>A program flatnet runs here (nebula-cert, nebula, ssh-keygen, apt-get) failed or did not finish.</summary>
public sealed class ToolFailed(string problem, string? fix = null, Exception? inner = null) : FlatnetException(problem, fix, inner: inner);

/// <summary>
/// What is on disk is not what flatnet expects, and going on would lose or corrupt work: another run holds the lock,
/// a state file does not match the files it speaks of, a file is in the way.
/// </summary>
public sealed class StateConflict(string problem, string fix, string? file = null) : FlatnetException(problem, fix, file);

/// <summary>
/// VerifyPing found pairs that do not reach each other. Transient while a restarted daemon has not heard from every
/// host yet (a rollout wave that restarted a lighthouse checks again for lighthouse.interval).
/// </summary>
public sealed class VerificationFailed(string problem, string? fix) : FlatnetException(problem, fix)
{
    public override bool Transient => true;
}

/// <summary>A change reached some hosts and not others: the ones still behind are named, and a re-run deploys to exactly them.</summary>
public sealed class PendingHosts(string problem, IReadOnlyList<string> fixes, IReadOnlyList<(string Host, string Why)> pending) : FlatnetException(problem, fixes)
{
    public IReadOnlyList<(string Host, string Why)> Pending => pending;
}

/// <summary>The one short line that ends a failed run (Tasks.FinalError); the problem itself, printed above it, is <see cref="Exception.InnerException"/>.</summary>
public sealed class FailureHeadline(string headline, FlatnetException details) : FlatnetException(headline, inner: details)
{
    public FlatnetException Details => details;
}
