using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>Status: one row per host from the live hosts, then the verdict (<see cref="FleetStatus"/>).</summary>
[TaskName("Status")]
[TaskDescription("Read-only, any time: one line per host (reachable, Nebula version, service, certificate days left, routing, peers: N direct, relayed, idle, down), then each problem with its fix; fails when any host is unhealthy. " +
                 "--host=NAME: that host only; --wide: a line per peer (direct ADDR:PORT, relayed via RELAY, idle, down; last handshake); --json: JSON only on stdout; artifacts/verify/status.json, and status.prom (Prometheus; --metrics=FILE there too).")]
public sealed class StatusTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["json", "wide", "host", "metrics"];
    public override bool Writes => false;

    public override void Run(FlatnetContext context) =>
        FleetStatus.RequireHealthy(FleetStatus.Read(context, context.WantsJson, context.Arguments.Flag("wide"), context.Arguments.OptionalHost));
}
