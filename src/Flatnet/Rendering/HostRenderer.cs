namespace Flatnet.Rendering;

/// <summary>One file of a host's rendered set: path inside the bundle, bytes, and Unix mode.</summary>
public sealed record RenderedFile(string Path, byte[] Content, int Mode)
{
    public const int Regular = 0b110_100_100;    // 0644
    public const int Executable = 0b111_101_101; // 0755
    public const int Secret = 0b110_000_000;     // 0600
    public string Text => System.Text.Encoding.UTF8.GetString(Content);
}

/// <summary>A file of a host's bundle and the template it is rendered from (the host's platform lists them).</summary>
public sealed record BundleTemplate(string Path, string Template, int Mode);

/// <summary>Renders every file a host needs from its <see cref="HostModel"/>: the templates its platform lists.</summary>
public sealed class HostRenderer(TemplateRenderer templates)
{
    public TemplateRenderer Templates => templates;

    public IReadOnlyList<RenderedFile> Render(HostModel model, IEnumerable<BundleTemplate> files) =>
        files.Select(f => Text(f.Path, f.Template, model, f.Mode)).ToList();

    public string RenderConfig(HostModel model) => templates.Render("config.yaml.scriban", model);

    private RenderedFile Text(string path, string template, HostModel model, int mode)
    {
        var text = templates.Render(template, model);
        // Windows PowerShell 5.1 reads a BOM-less script as the ANSI code page; keep scripts ASCII so that never matters.
        if (path.EndsWith(".ps1", StringComparison.Ordinal) && text.Any(c => c > 127))
            throw new FlatnetException($"templates/{template} rendered non-ASCII text for {model.Name}; keep .ps1 output ASCII for Windows PowerShell 5.1",
                fix: $"find the non-ASCII character in templates/{template} or in {model.Name}'s inventory values that it prints, and write it in ASCII");
        return new RenderedFile(path, System.Text.Encoding.UTF8.GetBytes(text), mode);
    }
}
