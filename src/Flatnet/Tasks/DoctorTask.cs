using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>Doctor: the host's own doctor run over its transport (<see cref="HostDoctor"/>).</summary>
[TaskName("Doctor")]
[TaskDescription("Check --host, read-only and in order, with the doctor its bundle ships (Windows version, admin, WSL, adapters, forwarding, routes, firewall, Nebula, wintun, lighthouses, a WSL ping and an MTU probe): ok/FAIL lines with fixes, artifacts/verify/doctor-HOST.json.")]
public sealed class DoctorTask : HostTask
{
    public override bool Writes => false;

    protected override void Run(FlatnetContext context, string host) => HostDoctor.Examine(context, host);
}
