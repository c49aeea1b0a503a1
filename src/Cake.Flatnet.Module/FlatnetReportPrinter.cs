using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Composition;
using Cake.Core.Diagnostics;

[assembly: CakeModule(typeof(Cake.Flatnet.Module.FlatnetModule))]

namespace Cake.Flatnet.Module;

/// <summary>Registers <see cref="FlatnetReportPrinter"/> and <see cref="FlatnetCakeLog"/> in place of Cake's own.</summary>
public sealed class FlatnetModule : ICakeModule
{
    public void Register(ICakeContainerRegistrar registrar)
    {
        registrar.RegisterType<FlatnetReportPrinter>().As<ICakeReportPrinter>().Singleton();
        registrar.RegisterType<FlatnetCakeLog>().As<ICakeLog>().Singleton();
    }
}

/// <summary>
/// Cake's log for the script, less the one line Cake's engine adds when a task fails ("An error occurred when executing
/// task 'Status'."): flatnet's own details and its one short final line already say what failed, and where.
/// </summary>
public sealed class FlatnetCakeLog(IConsole console) : ICakeLog
{
    private const string TaskFailed = "An error occurred when executing task '{0}'.";
    private readonly CakeBuildLog _inner = new(console);

    public Verbosity Verbosity
    {
        get => _inner.Verbosity;
        set => _inner.Verbosity = value;
    }

    public void Write(Verbosity verbosity, LogLevel level, string format, params object[] args)
    {
        if (level == LogLevel.Error && format == TaskFailed) return;
        _inner.Write(verbosity, level, format, args);
    }
}

/// <summary>
/// Cake's end-of-run report, sized for a person: nothing at --verbosity=quiet or minimal (flatnet's own lines say
/// what happened), one line at normal ("AddHost: 7 steps succeeded in 12.3 s", or the step that failed), and Cake's
/// table of every task with its duration only at verbose or diagnostic. Each task's heading is one short line, not
/// a banner of four.
/// </summary>
public sealed class FlatnetReportPrinter(IConsole console, ICakeLog log) : ICakeReportPrinter
{
    public void Write(CakeReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var entries = report.ToList();
        if (entries.Count == 0 || log.Verbosity < Verbosity.Normal) return;
        var total = entries.Aggregate(TimeSpan.Zero, (sum, e) => sum + e.Duration);
        if (log.Verbosity >= Verbosity.Verbose)
        {
            console.WriteLine();
            foreach (var e in entries)
                console.WriteLine("  {0,-20} {1,8} {2}", e.TaskName, Seconds(e.Duration), e.ExecutionStatus);
            console.WriteLine("  {0,-20} {1,8}", "total", Seconds(total));
            return;
        }
        var failed = entries.FirstOrDefault(e => e.ExecutionStatus == CakeTaskExecutionStatus.Failed);
        var target = entries[^1].TaskName;
        var ran = entries.Count(e => e.ExecutionStatus == CakeTaskExecutionStatus.Executed);
        console.WriteLine(failed is null
            ? $"{target}: {(entries.Count == 1 ? "succeeded" : $"{ran} step(s) succeeded")} in {Seconds(total)}"
            : failed.TaskName == target ? $"{target}: failed after {Seconds(total)}" : $"{target}: stopped at {failed.TaskName} after {Seconds(total)}");
    }

    public void WriteStep(string name, Verbosity verbosity)
    {
        if (verbosity < Verbosity.Normal) return;
        console.WriteLine();
        console.WriteLine("== {0}", name);
    }

    public void WriteLifeCycleStep(string name, Verbosity verbosity)
    {
        if (verbosity < Verbosity.Verbose) return;
        console.WriteLine("== {0}", name);
    }

    public void WriteSkippedStep(string name, Verbosity verbosity)
    {
        if (verbosity < Verbosity.Verbose) return;
        console.WriteLine("== {0} (skipped)", name);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds < 10 ? $"{t.TotalSeconds:0.0} s" : $"{t.TotalSeconds:0} s";
}
