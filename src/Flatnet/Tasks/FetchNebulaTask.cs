using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>
/// FetchNebula: Nebula releases into tools/nebula/VERSION/, from Debian's archive, with apt's own private
/// configuration: those --nebula names, or else the ones the inventory pins (each host's and lighthouse's
/// nebula_version), so that every config is checked by `nebula -test` of the release it is for.
/// </summary>
[TaskName("FetchNebula")]
[TaskDescription("Put Nebula releases in tools/nebula/VERSION from Debian's archive: --nebula=1.11.0 (or a list), or else every release the inventory pins (nebula_version), with apt's own private configuration.")]
public sealed class FetchNebulaTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["nebula"];
    public override bool Writes => false;

    public override void Run(FlatnetContext context)
    {
        var versions = context.Arguments.Value("nebula")
                       ?? string.Join(",", context.Plan.Daemons.Daemons.Select(d => d.Version).OfType<Versions.NebulaVersion>().Distinct().Order().Select(v => v.ToString()));
        if (versions.Length == 0)
        {
            context.Log.Info("FetchNebula: the inventory pins no nebula_version, so this machine's nebula checks every config; --nebula=VERSION fetches one");
            return;
        }
        context.Releases.FetchAll(versions, context.Log);
    }
}
