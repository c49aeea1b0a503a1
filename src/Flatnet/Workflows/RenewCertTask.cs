using Flatnet.Pki;

namespace Flatnet.Workflows;

/// <summary>RenewCert: re-signs a host's certificate; AddHost then deploys it.</summary>
public sealed class RenewCertTask : HostTask
{
    public override string Name => "RenewCert";
    public override string Description => "Re-sign --host's certificate (then AddHost deploys it).";

    public override void Run(FlatnetContext context, string host) => Renew(context, host);

    public static CertOutcome Renew(FlatnetContext context, string host) => GenerateCertTask.Generate(context, host, force: true);
}
