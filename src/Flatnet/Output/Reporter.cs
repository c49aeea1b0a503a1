namespace Flatnet.Output;

/// <summary>Where the library says what it does. The Cake script adapts this to Cake's log; tests collect it.</summary>
public interface IReporter
{
    void Info(string message);
    void Warn(string message);
    void Verbose(string message);
    /// <summary>A line of a failure's details, printed above the run's one short final error line.</summary>
    void Error(string message);
}

public sealed class ConsoleReporter : IReporter
{
    public void Info(string message) => Console.WriteLine(message);
    public void Warn(string message) => Console.Error.WriteLine("warning: " + message);
    public void Verbose(string message) { }
    public void Error(string message) => Console.Error.WriteLine(message);
}

/// <summary>Keeps every line; for tests and for callers that print a summary afterwards.</summary>
public sealed class RecordingReporter : IReporter
{
    public List<string> Lines { get; } = [];
    public void Info(string message) => Lines.Add(message);
    public void Warn(string message) => Lines.Add("warning: " + message);
    public void Verbose(string message) => Lines.Add("verbose: " + message);
    public void Error(string message) => Lines.Add("error: " + message);
}

/// <summary>
/// A parallel run's workers, whose every step a summary table says afterwards: their info lines are left to it, their
/// warnings and failures reach the run's log as they come (a warning of PackageAll's workers was lost: battery 20).
/// </summary>
public sealed class WarningsOnly(IReporter inner) : IReporter
{
    public void Info(string message) { }
    public void Warn(string message) => inner.Warn(message);
    public void Verbose(string message) => inner.Verbose(message);
    public void Error(string message) => inner.Error(message);
}

/// <summary>Lets several threads report through one reporter without interleaving or corrupting it.</summary>
public sealed class SynchronizedReporter(IReporter inner) : IReporter
{
    private readonly Lock _lock = new();
    public void Info(string message) { lock (_lock) inner.Info(message); }
    public void Warn(string message) { lock (_lock) inner.Warn(message); }
    public void Verbose(string message) { lock (_lock) inner.Verbose(message); }
    public void Error(string message) { lock (_lock) inner.Error(message); }
}
