namespace Flatnet;

/// <summary>
/// A problem the user can fix. The message names where (file, field), what is wrong and how to fix it,
/// in the plain style of age/mkcert, so it can be printed as it is.
/// </summary>
public class FlatnetException : Exception
{
    public FlatnetException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>One finding about one place in the inventory.</summary>
    public static string Describe(string? file, string? field, string problem, string? fix)
    {
        var where = (file, field) switch
        {
            (not null, not null) => $"{file}: {field}: ",
            (not null, null) => $"{file}: ",
            (null, not null) => $"{field}: ",
            _ => "",
        };
        return fix is null ? where + problem : $"{where}{problem}\n    fix: {fix}";
    }
}
