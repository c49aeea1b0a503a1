using System.Text.RegularExpressions;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flatnet.Output;

/// <summary>
/// What --json prints (Status, Plan, VerifyPing, CheckCerts, PackageAll): one JSON document with the time it was
/// made first, snake_case names. build.sh/build.ps1 give Cake's own output to stderr and this document alone to stdout
/// (through the file FLATNET_JSON_TO names), so `./build.sh --target=Status --json | jq .` works.
/// </summary>
public static class JsonOutput
{
    public const string Variable = "FLATNET_JSON_TO";

    /// <summary>How every document begins (its first field, the time; a line end as the OS writes it): a file at a document's path that does not is someone else's.</summary>
    public static readonly Regex Shape = new(@"\A\{\r?\n  ""generated_at"": ""\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"",?\r?\n", RegexOptions.CultureInvariant);

    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// Where JSON that did not read went wrong, in words: never .NET's own message, which names its types
    /// ("could not be converted to System.Int32").
    /// </summary>
    public static string Why(JsonException e) =>
        $"it does not read as expected at {(string.IsNullOrEmpty(e.Path) ? "$" : e.Path)}" + (e.LineNumber is { } line ? $", line {line + 1}" : "");

    /// <summary>A time as every document writes it: UTC, to the second (2026-12-03T12:00:00Z).</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The document: "generated_at" (UTC, to the second), then the payload's own fields.</summary>
    public static string Document(object payload, DateTimeOffset? now = null)
    {
        var fields = JsonSerializer.SerializeToNode(payload, payload.GetType(), Options) as JsonObject
                     ?? throw new InvalidOperationException("a JSON document is an object");
        var document = new JsonObject { ["generated_at"] = Time(now ?? DateTimeOffset.UtcNow) };
        foreach (var (name, value) in fields.ToList())
        {
            fields.Remove(name);
            document[name] = value;
        }
        return document.ToJsonString(Options) + "\n";
    }
}
