using System.Diagnostics;

namespace Flatnet.Output;

/// <summary>
/// Progress on long work (PackageAll, RenderAll over hundreds of hosts, Rollout, RotateCa, the lab): on a terminal, one live line rewritten in
/// place on stderr ("PackageAll: 120 of 300 hosts, 12 s: pc-120"), cleared at the end; elsewhere (a pipe, a file, a
/// CI log) a plain line through the log every few seconds, never a flood. Safe to step from parallel workers.
/// </summary>
public sealed class Progress : IDisposable
{
    private readonly string _what;
    private readonly int _total;
    private readonly IReporter _log;
    private readonly TextWriter? _live;
    private readonly TimeSpan _every;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private TimeSpan _said;
    private int _done;
    private bool _shown;

    public Progress(string what, int total, IReporter log, TextWriter? live, TimeSpan every)
    {
        (_what, _total, _log, _live, _every) = (what, total, log, live, every);
    }

    /// <summary>For this process: live on an interactive stderr (not in CI, not with NO_COLOR's plain output), else a line every 5 s.</summary>
    public static Progress Start(string what, int total, IReporter log) =>
        new(what, total, log,
            Terminal.PersonWatches && Environment.GetEnvironmentVariable("NO_COLOR") is null ? Console.Error : null,
            TimeSpan.FromSeconds(5));

    /// <summary>One more done; <paramref name="item"/> names it (a host).</summary>
    public void Step(string? item = null)
    {
        lock (_gate)
        {
            _done++;
            var line = $"{_what}: {_done} of {_total}, {_clock.Elapsed.TotalSeconds:0} s" + (item is null ? "" : $": {Terminal.OneLine(item)}");
            if (_live is not null)
            {
                LiveLine.Show(_live, "\r" + line);
                _shown = true;
            }
            else if (_clock.Elapsed - _said >= _every && _done < _total)
            {
                _said = _clock.Elapsed;
                _log.Info("  " + line);
            }
        }
    }

    public void Dispose()
    {
        if (_live is null || !_shown) return;
        LiveLine.Clear();
    }
}
