using Scriban;
using Scriban.Runtime;
using Flatnet.Inventory;

namespace Flatnet.Rendering;

/// <summary>
/// Renders templates/*.scriban from a typed model. Strict: an unknown variable or member is an error naming the
/// template and line, so a typo never becomes an empty string in a config or script.
/// Values go into scripts only through the quoting functions: ps_quote (PowerShell), sh_quote (POSIX sh), yaml_quote.
/// </summary>
public sealed class TemplateRenderer(string templatesDirectory)
{
    private readonly Dictionary<string, Template> _cache = new();

    public string Render(string templateName, object model)
    {
        var template = Load(templateName);
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        globals.Import("ps_quote", new Func<string?, string>(PsQuote));
        globals.Import("sh_quote", new Func<string?, string>(ShQuote));
        globals.Import("yaml_quote", new Func<string?, string>(YamlQuote));
        var context = new TemplateContext
        {
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            NewLine = "\n",
            MemberRenamer = StandardMemberRenamer.Default,
        };
        context.PushGlobal(globals);
        try
        {
            return template.Render(context);
        }
        catch (Scriban.Syntax.ScriptRuntimeException e)
        {
            throw new FlatnetException($"templates/{templateName}: {e.OriginalMessage} at {e.Span.ToStringSimple()}.\n    fix: correct the template; the names it may use are the members of {model.GetType().Name} in snake_case", e);
        }
    }

    private Template Load(string templateName)
    {
        if (_cache.TryGetValue(templateName, out var cached)) return cached;
        var path = Path.Combine(templatesDirectory, templateName);
        if (!File.Exists(path))
            throw new FlatnetException($"template {InventoryLoader.Display(path)} is missing.\n    fix: run from the repository root (templates/ ships with flatnet)");
        var template = Template.Parse(File.ReadAllText(path).ReplaceLineEndings("\n"), path);
        if (template.HasErrors)
            throw new FlatnetException($"{InventoryLoader.Display(path)} does not parse:\n    " + string.Join("\n    ", template.Messages));
        return _cache[templateName] = template;
    }

    public static string PsQuote(string? value) => "'" + (value ?? "").Replace("'", "''") + "'";
    public static string ShQuote(string? value) => "'" + (value ?? "").Replace("'", "'\"'\"'") + "'";
    public static string YamlQuote(string? value) => "\"" + (value ?? "").Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
