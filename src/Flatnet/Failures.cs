namespace Flatnet;

// The kinds of FlatnetException. Each is still a problem with its fixes (FlatnetException.Format spells them); the
// kind says what a caller may do about it: a transient one is worth trying again later, the others are not.

/// <summary>The inventory breaks its rules: every problem of every file, each with file, line, field and fix. Nothing was written.</summary>
public sealed class InventoryProblem(string inventory, IReadOnlyList<string> problems)
    : FlatnetException($"the inventory in {inventory} has {problems.Count} problem(s); nothing was written:\n  " + string.Join("\n  ", problems))
{
    public IReadOnlyList<string> Problems => problems;
}

/// <summary>An argument on the command line that does not fit (its flag is the field).</summary>
public sealed class UsageError(string problem, string fix, string flag) : FlatnetException(problem, fix, field: flag);

/// <summary>Several arguments that do not fit, named at once, before anything ran.</summary>
public sealed class UsageErrors(string target, IReadOnlyList<UsageError> errors)
    : FlatnetException($"{errors.Count} arguments that {target} does not read; nothing ran:\n  " + string.Join("\n  ", errors.Select(e => e.Message.Replace("\n", "\n  "))))
{
    public IReadOnlyList<UsageError> Errors => errors;

    /// <summary>Throws the one error as it is, or several as one <see cref="UsageErrors"/>; nothing when there are none.</summary>
    public static void ThrowIfAny(string target, IReadOnlyList<UsageError> errors)
    {
        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new UsageErrors(target, errors);
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
