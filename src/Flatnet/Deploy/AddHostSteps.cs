using Flatnet.Workflows;
using Flatnet.Bundles;
using Flatnet.Pki;
using Flatnet.Verification;

namespace Flatnet.Deploy;

/// <summary>One step of AddHost: the Cake task of that name runs it, and so does every caller of the chain.</summary>
public sealed record AddHostStep(string Name, Action<FlatnetContext, string> Run);

/// <summary>
/// The AddHost chain, in one place. build/tasks/*.cake wires the same names with IsDependentOn, and a test proves
/// that graph equals this list; Rollout, the lab and the benchmark run it from here, so they cannot drift apart.
/// </summary>
public static class AddHostSteps
{
    public static IReadOnlyList<AddHostStep> All { get; } =
    [
        new("GenerateCert", (c, h) => new Certificates(c).Generate(h)),
        new("PackageBundle", (c, h) => new Packaging(c).Package(h)),
        new("DeployHost", (c, h) => new Provisioning(c).Deploy(h)),
        new("ConfigureRouting", (c, h) => new Provisioning(c).ConfigureRouting(h)),
        new("UpdatePeers", (c, h) => UpdatePeers(c, h)),
        new("VerifyPing", (c, _) => new PingVerification(c).Verify()),
    ];

    /// <summary>The steps that make one host run (the others then learn of it): GenerateCert to ConfigureRouting.</summary>
    public static IEnumerable<AddHostStep> ProvisionSteps => All.TakeWhile(s => s.Name != "UpdatePeers");

    public static void Provision(FlatnetContext context, string host)
    {
        foreach (var step in ProvisionSteps) step.Run(context, host);
    }

    /// <summary>Every other host learns of the new one (its block, its certificate), as the UpdatePeers step and task do.</summary>
    public static PeerRollout UpdatePeers(FlatnetContext context, string host) =>
        new Provisioning(context).UpdatePeers(host, $"{host} is in the mesh", $"./build.sh --target=UpdatePeers --host={host}");

    /// <summary>Every step in order; the last, VerifyPing, is run here for its matrix, the proof AddHost hands back.</summary>
    public static PingMatrix Run(FlatnetContext context, string host)
    {
        foreach (var step in All.SkipLast(1)) step.Run(context, host);
        return new PingVerification(context).Verify();
    }
}
