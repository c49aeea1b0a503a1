using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>Join: a new PC joins from its own console (<see cref="HostJoin"/>).</summary>
[TaskName("Join")]
[TaskDescription("A new PC joins from its console: --host=NAME [--address=IP] [--os=windows|linux] writes hosts/NAME.yaml (next free index) and artifacts/join/NAME/join.ps1 (or join.sh) " +
                 "to run there once as an administrator (OpenSSH, the deploy key, port 22 on the LAN, the install root); --reply=\"LINE\" (or a file) pins what it printed; then AddHost.")]
public sealed class JoinTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["host", "address", "os", "reply"];
    public override bool NeedsValidInventory => false;

    public override void Run(FlatnetContext context)
    {
        var a = context.Arguments;
        if (a.Value("reply") is { } reply) HostJoin.Answer(context, a.Host, reply);
        else HostJoin.Prepare(context, a.Host, a.Value("address"), a.Value("os"));
    }
}
