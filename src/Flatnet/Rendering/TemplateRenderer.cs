using Scriban;
using Scriban.Runtime;
using Flatnet.Files;
using Flatnet.Output;

namespace Flatnet.Rendering;

/// <summary>
/// Renders templates/*.scriban from a typed model. Strict: an unknown variable or member is an error naming the
/// template and line, so a typo never becomes an empty string in a config or script.
/// Values go into scripts only through the encoder of their context: ps_quote (PowerShell string), sh_quote (POSIX
/// shell word), yaml_quote (YAML scalar), comment (text inside a #-comment or a PowerShell &lt;# #&gt; block).
/// </summary>
public sealed class TemplateRenderer(string templatesDirectory)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Template> _cache = new();

    public string Render(string templateName, object model)
    {
        var template = Load(templateName);
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        globals.Import("ps_quote", new Func<string?, string>(Quoting.PsQuote));
        globals.Import("sh_quote", new Func<string?, string>(Quoting.ShQuote));
        globals.Import("yaml_quote", new Func<string?, string>(Quoting.YamlQuote));
        globals.Import("comment", new Func<object?, string>(Quoting.Comment));
        using var timeout = new CancellationTokenSource(MaxRenderTime);
        var context = new TemplateContext
        {
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            NewLine = "\n",
            // Bounds a template can reach (a pull request can change templates too): Scriban stops a loop at 1,000 by
            // default, and ours run over the inventory (a 1,000-host fleet has 999 peers), so 100 times that; the output
            // at 16 Mi characters (a 1,000-host config is about 100 KiB), refused rather than cut; and the whole render
            // at 30 s of work, for loops nested past both.
            LoopLimit = MaxLoop,
            OutputLimit = MaxOutput,
            OnOutputLimit = ScriptLimitBehavior.Throw,
            CancellationToken = timeout.Token,
            MemberRenamer = StandardMemberRenamer.Default,
            TemplateLoader = new FolderLoader(templatesDirectory), // {{ include '_partial.scriban' }}
        };
        context.PushGlobal(globals);
        try
        {
            return template.Render(context);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && e is OperationCanceledException or Scriban.Syntax.ScriptRuntimeException)
        {
            throw new FlatnetException($"templates/{templateName}: rendering one host took more than {MaxRenderTime.TotalSeconds:0} s, so it was stopped (a loop without end, or loops nested too deep?)",
                fix: "correct the template's loops (git diff -- templates/ shows what changed), or restore it with git checkout -- templates/");
        }
        catch (Scriban.Syntax.ScriptRuntimeException e)
        {
            throw new FlatnetException($"templates/{templateName}: {e.OriginalMessage} at {e.Span.ToStringSimple()}.", fix: $"correct the template; the names it may use are the members of {model.GetType().Name} in snake_case", inner: e);
        }
    }

    private const int MaxLoop = 100_000;
    private const int MaxOutput = 16 * 1024 * 1024;

    /// <summary>The most one render may take (a config of a thousand peers takes milliseconds).</summary>
    public TimeSpan MaxRenderTime { get; init; } = TimeSpan.FromSeconds(30);

    private Template Load(string templateName)
    {
        if (_cache.TryGetValue(templateName, out var cached)) return cached;
        var path = Path.Combine(templatesDirectory, templateName);
        RequireNoFolderLink(path);
        if (!File.Exists(path))
            throw new FlatnetException($"template {Workspace.Relative(path)} is missing.", fix: $"run from the repository root (templates/ ships with flatnet)");
        var template = Template.Parse(TemplateText(path), path);
        if (template.HasErrors)
            throw new FlatnetException($"{Workspace.Relative(path)} does not parse:\n    " + string.Join("\n    ", template.Messages),
                fix: "correct the template at the line and column named (Scriban's syntax), or restore it with git checkout -- templates/");
        return _cache.GetOrAdd(templateName, template);
    }

    /// <summary>A link in place of templates/ or a folder in it is refused as a template file's is: what it points at is nobody's templates.</summary>
    private void RequireNoFolderLink(string path)
    {
        var root = Path.GetFullPath(templatesDirectory).TrimEnd(Path.DirectorySeparatorChar);
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); dir is not null && dir.Length >= root.Length; dir = Path.GetDirectoryName(dir))
            if (new DirectoryInfo(dir).LinkTarget is { } target)
                throw new FlatnetException($"{Workspace.Relative(dir)} is a link (to {Terminal.OneLine(target)}), not flatnet's templates: nothing is rendered from it",
                    "restore the folder itself: git checkout -- templates/");
    }

    /// <summary>
    /// A template's text. A link is refused: a committed link to a secret (templates/README.md.scriban -> a token)
    /// would render it into every bundle, release and host.
    /// </summary>
    private static string TemplateText(string path) =>
        new FileInfo(path).LinkTarget is { } target
            ? throw new FlatnetException($"template {Workspace.Relative(path)} is a link (to {Terminal.OneLine(target)}), not flatnet's template: nothing is rendered from it",
                "restore the file itself: git checkout -- templates/")
            : InputFiles.ReadAllText(path, 1024 * 1024, "a template").ReplaceLineEndings("\n");

    /// <summary>Resolves includes to files in templates/, and nowhere else.</summary>
    private sealed class FolderLoader(string folder) : Scriban.Runtime.ITemplateLoader
    {
        public string GetPath(TemplateContext context, Scriban.Parsing.SourceSpan callerSpan, string templateName)
        {
            var path = Path.GetFullPath(Path.Combine(folder, templateName));
            if (!path.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
                throw new FlatnetException($"{callerSpan.FileName}: include '{templateName}' is not a file in templates/",
                    fix: "name a template by its path below templates/ (as the other includes do), or restore it with git checkout -- templates/");
            return path;
        }

        public string Load(TemplateContext context, Scriban.Parsing.SourceSpan callerSpan, string templatePath) => TemplateText(templatePath);

        public ValueTask<string?> LoadAsync(TemplateContext context, Scriban.Parsing.SourceSpan callerSpan, string templatePath) =>
            ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
    }
}
