namespace Flatnet.Workflows;

/// <summary>FetchNebula: Nebula releases into tools/nebula/VERSION/, from Debian's archive, with apt's own private configuration.</summary>
public sealed class FetchNebulaTask : FlatnetTask
{
    public override string Name => "FetchNebula";
    public override string Description => "Put Nebula releases in tools/nebula/VERSION from Debian's archive (--nebula=1.11.0 or a list), with apt's own private configuration.";
    public override IReadOnlyList<string> Options => ["nebula"];
    public override bool Writes => false;

    public override void Run(FlatnetContext context) => context.Releases.FetchAll(context.Arguments.Value("nebula"), context.Log);
}
