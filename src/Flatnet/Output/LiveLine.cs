namespace Flatnet.Output;

/// <summary>
/// The one live line at the foot of a terminal (<see cref="Progress"/>'s): every line the run prints clears it first
/// and draws it again after (<see cref="Around"/>, which <see cref="CleanReporter"/> calls), so a rollout's own lines
/// and its progress never run into each other.
/// </summary>
public static class LiveLine
{
    private static readonly Lock Gate = new();
    private static TextWriter? _to;
    private static string _text = "";

    /// <summary>Draws <paramref name="text"/> in place of the live line there was.</summary>
    public static void Show(TextWriter to, string text)
    {
        lock (Gate)
        {
            Erase();
            (_to, _text) = (to, text);
            to.Write(text);
            to.Flush();
        }
    }

    /// <summary>No live line any more (the work ended): the next line starts clean.</summary>
    public static void Clear()
    {
        lock (Gate)
        {
            Erase();
            (_to, _text) = (null, "");
        }
    }

    /// <summary>Prints through <paramref name="print"/> with the live line out of the way, then draws it again.</summary>
    public static void Around(Action print)
    {
        lock (Gate)
        {
            if (_to is null || _text.Length == 0)
            {
                print();
                return;
            }
            Erase();
            print();
            _to.Write(_text);
            _to.Flush();
        }
    }

    private static void Erase()
    {
        if (_to is null || _text.Length == 0) return;
        _to.Write("\r" + new string(' ', _text.Length) + "\r");
        _to.Flush();
    }
}
