using System.Text.RegularExpressions;
using System.Text.Json;
using Flatnet.Files;

namespace Flatnet.Bundles;

/// <summary>
/// What flatnet last built for a host and from what: artifacts/hosts/NAME/OUTPUT.inputs (bundle, render), the SHA-256
/// of the inputs and of each output as it was written. An output counts as built only when its files still have those
/// bytes: a zip restored from a backup, or a folder someone cut short, is built again, whatever the note says.
/// </summary>
public sealed record BuildRecord(string Inputs, IReadOnlyDictionary<string, string> Outputs)
{
    public static string PathFor(Workspace workspace, string host, string output) => Path.Combine(workspace.HostDirectory(host), $"{output}.inputs");

    public static BuildRecord? Read(Workspace workspace, string host, string output)
    {
        var path = PathFor(workspace, host, output);
        SafeFiles.RequireOursOrNothing(path, Shape); // a folder or a FIFO there is the user's, said before anything is built (battery 38)
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<BuildRecord>(InputFiles.ReadAllText(path, InputFiles.StateLimit, "a build record"));
        }
        catch (JsonException)
        {
            return null; // an older flatnet's note, or a damaged one: the output is built again
        }
    }

    /// <summary>How every record begins: a file at a record's path without it is someone else's.</summary>
    public static readonly Regex Shape = new(@"\A\{""Inputs"":", RegexOptions.CultureInvariant);

    /// <summary>Checked before the output it records is written, so that a record that cannot be written stops the run before anything moves.</summary>
    public static void RequireOursOrNothing(Workspace workspace, string host, string output) => SafeFiles.RequireOursOrNothing(PathFor(workspace, host, output), Shape);

    public void Write(Workspace workspace, string host, string output) =>
        SafeFiles.WriteAllText(PathFor(workspace, host, output), JsonSerializer.Serialize(this) + "\n", shape: Shape);

    /// <summary>
    /// A file's or a folder's content as one SHA-256 (a folder: every file's relative path and bytes); "" when it is
    /// missing. Each file counts as <see cref="BundleInputs.AppendContent"/> says: a link never followed, a file of no size never opened.
    /// </summary>
    public static string Fingerprint(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists) return BundleInputs.DigestOf(info);
        return Directory.Exists(path) ? BundleInputs.OfFolder(path) : "";
    }

    /// <summary>Made from <paramref name="inputs"/>, with every output still as it was written.</summary>
    public bool Holds(string inputs, IReadOnlyDictionary<string, string> outputPaths) =>
        Inputs == inputs && outputPaths.All(o => Outputs.TryGetValue(o.Key, out var sha) && sha.Length > 0 && Fingerprint(o.Value) == sha);

    public static BuildRecord Of(string inputs, IReadOnlyDictionary<string, string> outputPaths) =>
        new(inputs, outputPaths.ToDictionary(o => o.Key, o => Fingerprint(o.Value)));
}
