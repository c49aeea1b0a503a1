using Flatnet.Output;

namespace Flatnet.Provisioning;

/// <summary>
/// The system's refusals (no room, no permission, a file in the way) and parallel work's failures in a person's words:
/// what a task ends on (the task graph's Run), and what a revocation's rollout says after its record
/// (<see cref="Revocation.AfterRecorded"/>).
/// </summary>
public static class SystemRefusals
{
    /// <summary>Every refusal's fix ends so: targets are idempotent.</summary>
    public const string Again = "then run the same command again: what it did before it stopped stays done, and it finishes the rest";

    /// <summary>
    /// What a person reads instead of .NET's words when the disk or the system refuses (no room, no permission, a file
    /// in the way) or parallel work fails: the problem in plain words, never a type name or "One or more errors occurred".
    /// </summary>
    public static FlatnetException? Plain(Exception e) => e switch
    {
        AggregateException a when a.Flatten().InnerExceptions is var inner && inner.Count > 0 =>
            inner.Select(Plain).FirstOrDefault(p => p is not null) ?? inner.OfType<FlatnetException>().FirstOrDefault(),
        IOException or UnauthorizedAccessException => Refused(e),
        _ => null,
    };

    /// <summary>
    /// The system's refusal in plain words, named by the path it gives ('...' in .NET's message): a folder where a
    /// file goes, a file where a folder goes, no permission, no room. Targets are idempotent: what the run did before
    /// the refusal is done, and running it again after the fix finishes the rest.
    /// </summary>
    private static FlatnetException Refused(Exception e)
    {
        var quoted = System.Text.RegularExpressions.Regex.Match(e.Message, "'(/[^']*|[A-Za-z]:\\\\[^']*)'");
        var path = quoted.Success ? quoted.Groups[1].Value : null;
        var shown = path is null ? "" : Terminal.OneLine(Workspace.Relative(path));
        (string Problem, string Fix) said = e switch
        {
            _ when path is not null && Directory.Exists(path) && e.Message.Contains("directory", StringComparison.OrdinalIgnoreCase) =>
                ($"{shown} is a folder where flatnet writes a file", $"move it aside (flatnet did not make it), {Again}"),
            _ when path is not null && File.Exists(path) && e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase) =>
                ($"{shown} is a file where flatnet needs a folder", $"move it aside (flatnet did not make it), {Again}"),
            _ when path is not null && FileOnTheWay(path) is { } file =>
                ($"{Terminal.OneLine(Workspace.Relative(file))} is a file where flatnet needs a folder", $"move it aside (flatnet did not make it), {Again}"),
            // A run with sudo in this account's checkout made it root's (the lock in hosts/, folders in the artifacts,
            // beside the CA key): say so, and give back at once all it made in the checkout, not one folder a run.
            UnauthorizedAccessException when path is not null && Files.OwnFolders.RootsWhileThisIsNot(path) =>
                ($"{shown}: permission denied: it is root's (a run with sudo made it)",
                 Path.IsPathRooted(shown) ? $"give it back to this account: sudo chown -R \"$(id -un)\" {Rendering.Quoting.ShQuote(shown)}, {Again}"
                     : $"give back to this account all that run made in this checkout: sudo chown -R \"$(id -un)\" ., {Again}"),
            UnauthorizedAccessException => ($"{(shown.Length > 0 ? shown : "a file")}: permission denied",
                $"make it writable by this account (ls -ld shows its owner and mode; a read-only or immutable file, chattr -i), {Again}"),
            // ENOENT on the way ("Could not find a part of the path"): a folder went while the run worked.
            DirectoryNotFoundException => ($"{(shown.Length > 0 ? shown : "a folder")} or a folder above it is not there any more (moved or deleted while flatnet ran?)",
                $"check that it is where the inventory and --artifacts say, {Again}"),
            _ when e.HResult == 28 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) =>
                ($"no space left on the disk{(shown.Length > 0 ? $" that holds {shown}" : "")}", $"free some space, {Again}"),
            _ => ($"the system refused a file operation{(shown.Length > 0 ? $" on {shown}" : "")}: {Terminal.OneLine(e.Message)}",
                $"check that the folder is yours, writable, and that the disk has room, {Again}"),
        };
        return new FlatnetException(said.Problem, fix: said.Fix, inner: e);
    }

    /// <summary>A file among the folders above <paramref name="path"/> (ENOTDIR: "Could not find a part of the path").</summary>
    private static string? FileOnTheWay(string path)
    {
        for (var at = Path.GetDirectoryName(path.TrimEnd('/')); !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at))
            if (File.Exists(at)) return at;
        return null;
    }
}
