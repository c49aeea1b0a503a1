using System.Text.Json;
using Flatnet.Tools;

namespace Flatnet.Pki;

/// <summary>One nebula-cert mode ("ca", "sign", ...) and its flags.</summary>
public abstract record NebulaCertSettings : ToolSettings
{
    protected abstract string Mode { get; }
    protected abstract IEnumerable<string> ModeArguments();
    public override IEnumerable<string> Arguments() => new[] { Mode }.Concat(ModeArguments());

    protected static string? List(IReadOnlyList<string>? items) => items is { Count: > 0 } ? string.Join(",", items) : null;
}

public sealed record NebulaCertCaSettings(string Name, string OutCrt, string OutKey) : NebulaCertSettings
{
    public string? Duration { get; init; }
    public IReadOnlyList<string>? Groups { get; init; }
    public IReadOnlyList<string>? Ips { get; init; }
    public IReadOnlyList<string>? Subnets { get; init; }
    protected override string Mode => "ca";
    protected override IEnumerable<string> ModeArguments() =>
        Flag("-name", Name).Concat(Flag("-out-crt", OutCrt)).Concat(Flag("-out-key", OutKey))
            .Concat(Flag("-duration", Duration)).Concat(Flag("-groups", List(Groups)))
            .Concat(Flag("-ips", List(Ips))).Concat(Flag("-subnets", List(Subnets)));
}

/// <summary>Signs a host cert. Either OutKey (nebula-cert makes the key pair here) or InPub (the key was made on the host).</summary>
public sealed record NebulaCertSignSettings(string Name, string Ip, string CaCrt, string CaKey, string OutCrt) : NebulaCertSettings
{
    public string? OutKey { get; init; }
    public string? InPub { get; init; }
    public IReadOnlyList<string>? Groups { get; init; }
    public IReadOnlyList<string>? Subnets { get; init; }
    public string? Duration { get; init; }
    protected override string Mode => "sign";
    protected override IEnumerable<string> ModeArguments() =>
        Flag("-name", Name).Concat(Flag("-ip", Ip)).Concat(Flag("-ca-crt", CaCrt)).Concat(Flag("-ca-key", CaKey))
            .Concat(Flag("-out-crt", OutCrt)).Concat(Flag("-out-key", OutKey)).Concat(Flag("-in-pub", InPub))
            .Concat(Flag("-groups", List(Groups))).Concat(Flag("-subnets", List(Subnets))).Concat(Flag("-duration", Duration));
}

public sealed record NebulaCertKeygenSettings(string OutKey, string OutPub) : NebulaCertSettings
{
    protected override string Mode => "keygen";
    protected override IEnumerable<string> ModeArguments() => Flag("-out-key", OutKey).Concat(Flag("-out-pub", OutPub));
}

public sealed record NebulaCertPrintSettings(string Path) : NebulaCertSettings
{
    protected override string Mode => "print";
    protected override IEnumerable<string> ModeArguments() => new[] { "-json" }.Concat(Flag("-path", Path));
}

public sealed record NebulaCertVerifySettings(string Ca, string Crt) : NebulaCertSettings
{
    protected override string Mode => "verify";
    protected override IEnumerable<string> ModeArguments() => Flag("-ca", Ca).Concat(Flag("-crt", Crt));
}

/// <summary>What `nebula-cert print -json` says about a certificate.</summary>
public sealed record NebulaCertInfo(
    string Name, IReadOnlyList<string> Ips, IReadOnlyList<string> Subnets, IReadOnlyList<string> Groups,
    bool IsCa, string Issuer, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string PublicKey, string Fingerprint);

/// <summary>The nebula-cert binary. The crypto is nebula-cert's; this class only drives it.</summary>
public sealed class NebulaCert(string executable) : Tool<NebulaCertSettings>(executable)
{
    protected override string DisplayName => "nebula-cert";

    public static NebulaCert Locate(ToolLocator locator, string? configuredPath) => new(locator.Find(
        "nebula-cert", configuredPath, "nebula.cert_tool in hosts/network.yaml",
        "install Nebula (Debian/Ubuntu: apt-get install nebula; Windows: put nebula-cert.exe in tools/)"));

    public void Ca(NebulaCertCaSettings settings) => Run(settings);
    public void Sign(NebulaCertSignSettings settings) => Run(settings);
    public void Keygen(NebulaCertKeygenSettings settings) => Run(settings);

    public NebulaCertInfo Print(string path)
    {
        var json = Run(new NebulaCertPrintSettings(path)).StdOut;
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var d = root.GetProperty("details");
        static IReadOnlyList<string> Strings(JsonElement e) => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [];
        return new NebulaCertInfo(
            d.GetProperty("name").GetString() ?? "", Strings(d.GetProperty("ips")), Strings(d.GetProperty("subnets")),
            Strings(d.GetProperty("groups")), d.GetProperty("isCa").GetBoolean(), d.GetProperty("issuer").GetString() ?? "",
            d.GetProperty("notBefore").GetDateTimeOffset(), d.GetProperty("notAfter").GetDateTimeOffset(),
            d.GetProperty("publicKey").GetString() ?? "", root.GetProperty("fingerprint").GetString() ?? "");
    }

    /// <summary>True when the cert is signed by the CA and not expired; otherwise false with nebula-cert's reason.</summary>
    public (bool Ok, string Reason) Verify(string caCrt, string crt)
    {
        var r = Run(new NebulaCertVerifySettings(caCrt, crt), throwOnFailure: false);
        return (r.Succeeded, (r.StdErr + r.StdOut).Trim());
    }

    public string Version() =>
        ProcessRunner.Run(Executable, ["-version"]).EnsureSuccess("nebula-cert -version").StdOut.Replace("Version:", "").Trim();
}
