using Flatnet.Output;

namespace Flatnet.Tasks;

/// <summary>
/// The last line a person reads when a run fails: Cake prints it as <c>Error: ...</c>, and it is one short sentence
/// that points up to the details. The details (every problem, each with its fix) are printed above it, where they
/// can be as long as they need to be. A failure that already fits one short line is left as it is.
/// </summary>
public static class FinalError
{
    /// <summary>The longest final line, so that <c>Error: </c> and it fit a terminal of 160 columns.</summary>
    public const int Width = 150;

    private const string Pointer = " (details above)";

    /// <summary>Runs <paramref name="action"/>; a problem it throws is printed in full, and thrown again as its headline.</summary>
    public static void Guard(IReporter log, string what, Action action)
    {
        try
        {
            action();
        }
        catch (FlatnetException e)
        {
            throw Headline(e, log, what);
        }
    }

    /// <summary><paramref name="e"/> itself when it is one short line; otherwise its details go to <paramref name="log"/> and its headline is returned.</summary>
    public static FlatnetException Headline(FlatnetException e, IReporter log, string what)
    {
        var lines = e.Message.Split('\n');
        if (lines.Length == 1 && e.Message.Length <= Width) return e;
        // The details above it fit a terminal too: a long line (a list of fifty hosts) wraps at words, indented.
        // (8 columns kept for a reporter's level, "error: ").
        foreach (var line in lines) log.Error(line.Length <= TextWidth.Columns - 8 ? line : TextWidth.Wrap(line, line[..(line.Length - line.TrimStart().Length)] + "  ", TextWidth.Columns - 8));
        var first = lines[0].TrimEnd(':', ';', '.', ' ');
        var room = Width - what.Length - 2 - Pointer.Length;
        if (first.Length > room)
        {
            var cut = first.LastIndexOf(' ', room - 3);
            first = first[..(cut > room / 2 ? cut : room - 3)].TrimEnd(',', ';', ':', ' ') + "...";
        }
        return new FailureHeadline($"{what}: {first}{Pointer}", e);
    }
}
