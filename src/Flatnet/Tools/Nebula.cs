using Flatnet.Versions;

namespace Flatnet.Tools;

public sealed record NebulaTestSettings(string Config) : ToolSettings
{
    public override IEnumerable<string> Arguments() => ["-test", "-config", Config];
}

/// <summary>The nebula binary on the machine running the build: here only to check configs with `nebula -test`.</summary>
public sealed class Nebula(string executable) : Tool<NebulaTestSettings>(executable)
{
    private readonly Lazy<NebulaVersion> _version = new(() => NebulaVersion.OfProgram(executable, "nebula"));

    protected override string DisplayName => "nebula";

    /// <summary>This nebula's release, asked once.</summary>
    public NebulaVersion Version => _version.Value;

    public static Nebula Locate(ToolLocator locator) => new(locator.Find(
        "nebula", null, "tools/nebula", "install Nebula (Debian/Ubuntu: apt-get install nebula) so every rendered config can be checked with nebula -test"));

    /// <summary>Throws with Nebula's own words when it refuses the config.</summary>
    public void Test(string config, string what)
    {
        var result = Run(new NebulaTestSettings(config), throwOnFailure: false);
        if (result.Succeeded) return;
        var said = string.Join("\n      ", (result.StdErr + result.StdOut).Trim().Split('\n').TakeLast(4));
        // Nebula blames a key that does not go with the certificate (one copied or linked over host.key) in its own
        // words: the key is then what to fix, not the inventory.
        IReadOnlyList<string> fixes = said.Contains("key", StringComparison.OrdinalIgnoreCase)
            ? [$"if {what}'s host.key was replaced (it must be the key its certificate was signed for): ./build.sh --target=GenerateCert --host={what} --force", "else correct hosts/ or templates/config.yaml.scriban; nothing was written"]
            : ["correct hosts/ or templates/config.yaml.scriban; nothing was written"];
        throw new FlatnetException($"{what}: nebula {Version} -test refused the rendered config.\n    nebula said: " + said, fixes);
    }
}
