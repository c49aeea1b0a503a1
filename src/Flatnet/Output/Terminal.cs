namespace Flatnet.Output;

/// <summary>
/// What reaches the operator's terminal. Text that came from a host or a file (a script's output, a peer address
/// from the admin interface, a log line) may carry escape sequences: colours, a window title, a cleared screen, a
/// rewritten line, or reorder it (a bidi override). Every control character but the line break and the tab, and
/// every bidi control, is dropped before it is shown.
/// </summary>
public static class Terminal
{
    /// <summary>
    /// Whether a person watches stderr: it is a terminal and the run is not CI's. What only a person needs (a line
    /// rewritten in place, a question) is done only then.
    /// </summary>
    public static bool PersonWatches => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    /// <summary>
    /// A name from the disk or a host (a file's name can hold a line break) on one line: line breaks and tabs shown
    /// as \n, \r, \t, so no name can add a line of its own ("    fix: ...") to what a person reads.
    /// </summary>
    public static string OneLine(string? text) =>
        Clean((text ?? "").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t"));

    public static string Clean(string? text) =>
        string.IsNullOrEmpty(text) || !text.Any(IsControl) ? text ?? "" : string.Concat(text.Where(c => !IsControl(c)));

    /// <summary>
    /// A control character (but the line break and the tab), or one that reorders what a terminal shows: the bidi
    /// embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), with which a name can read as another.
    /// </summary>
    private static bool IsControl(char c) => char.IsControl(c) && c is not '\n' and not '\t' || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';
}

/// <summary>
/// The reporter every run speaks through: each line is <see cref="Terminal.Clean"/>ed on its way out, and printed with
/// the terminal's live progress line (<see cref="LiveLine"/>) out of its way.
/// </summary>
/// <param name="commands">what every line passes through before it is printed: each command in it made to act on this
/// run's folders (<see cref="Workspace.WithFolderFlags"/>).</param>
public sealed class CleanReporter(IReporter inner, Func<string, string>? commands = null) : IReporter
{
    private string Said(string message) => Terminal.Clean(commands is null ? message : commands(message));
    public void Info(string message) => LiveLine.Around(() => inner.Info(Said(message)));
    public void Warn(string message) => LiveLine.Around(() => inner.Warn(Said(message)));
    public void Verbose(string message) => LiveLine.Around(() => inner.Verbose(Said(message)));
    public void Error(string message) => LiveLine.Around(() => inner.Error(Said(message)));
}
