namespace Flatnet.Processes;

/// <summary>Work that waits on hosts, done for every host at once: a thread each, whatever the cores, since it computes nothing.</summary>
public static class AtOnce
{
    /// <summary>Runs <paramref name="work"/> for every item at once; the results keep the items' order.</summary>
    public static IReadOnlyList<TResult> Each<T, TResult>(IEnumerable<T> items, Func<T, TResult> work) =>
        Task.WhenAll(items.Select(item => Task.Factory.StartNew(() => work(item), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)))
            .GetAwaiter().GetResult();
}
