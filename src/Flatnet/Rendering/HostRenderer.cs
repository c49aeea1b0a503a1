using Flatnet.Addressing;

namespace Flatnet.Rendering;

/// <summary>One file of a host's rendered set: path inside the bundle, bytes, and Unix mode.</summary>
public sealed record RenderedFile(string Path, byte[] Content, int Mode)
{
    public const int Regular = 0b110_100_100;    // 0644
    public const int Executable = 0b111_101_101; // 0755
    public const int Secret = 0b110_000_000;     // 0600
    public string Text => System.Text.Encoding.UTF8.GetString(Content);
}

/// <summary>Renders every file a host needs from its <see cref="HostModel"/>: config.yaml, routing scripts, install script, README.</summary>
public sealed class HostRenderer(TemplateRenderer templates)
{
    public IReadOnlyList<RenderedFile> Render(HostModel model)
    {
        var files = new List<RenderedFile> { Text("config.yaml", "config.yaml.scriban", model, RenderedFile.Regular) };
        files.Add(model.IsWindows
            ? Text("install.ps1", "install.ps1.scriban", model, RenderedFile.Executable)
            : Text("install.sh", "install.sh.scriban", model, RenderedFile.Executable));
        // Routing scripts exist for a host with WSL2 only: without it there is nothing to route (RoutePlan is null).
        if (model.Routes is not null)
        {
            files.Add(model.IsWindows
                ? Text("scripts/setup-routing.ps1", "setup-routing.ps1.scriban", model, RenderedFile.Executable)
                : Text("scripts/host-routing.sh", "host-routing.sh.scriban", model, RenderedFile.Executable));
            files.Add(Text("scripts/wsl-routing.sh", "wsl-routing.sh.scriban", model, RenderedFile.Executable));
        }
        // The doctor checks, read-only, what the host needs; the person at a Windows host runs it too.
        files.Add(model.IsWindows
            ? Text("scripts/flatnet-doctor.ps1", "flatnet-doctor.ps1.scriban", model, RenderedFile.Executable)
            : Text("scripts/flatnet-doctor.sh", "flatnet-doctor.sh.scriban", model, RenderedFile.Executable));
        // RemoveHost runs it; a person taking the host out by hand does too.
        files.Add(model.IsWindows
            ? Text("scripts/uninstall.ps1", "uninstall.ps1.scriban", model, RenderedFile.Executable)
            : Text("scripts/uninstall.sh", "uninstall.sh.scriban", model, RenderedFile.Executable));
        files.Add(Text("README.md", "README.md.scriban", model, RenderedFile.Regular));
        return files;
    }

    public string RenderConfig(HostModel model) => templates.Render("config.yaml.scriban", model);

    private RenderedFile Text(string path, string template, HostModel model, int mode)
    {
        var text = templates.Render(template, model);
        // Windows PowerShell 5.1 reads a BOM-less script as the ANSI code page; keep scripts ASCII so that never matters.
        if (path.EndsWith(".ps1", StringComparison.Ordinal) && text.Any(c => c > 127))
            throw new FlatnetException($"templates/{template} rendered non-ASCII text for {model.Name}; keep .ps1 output ASCII for Windows PowerShell 5.1");
        return new RenderedFile(path, System.Text.Encoding.UTF8.GetBytes(text), mode);
    }
}
