using System.Text.Json;
using Flatnet.Versions;
using Flatnet.Processes;

namespace Flatnet.Tools;

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
    /// <summary>The certificate version to make (nebula-cert >= 1.10 only; older ones make v1 and know no -version).</summary>
    public int? CertificateVersion { get; init; }
    public IReadOnlyList<string>? Groups { get; init; }
    public IReadOnlyList<string>? Ips { get; init; }
    public IReadOnlyList<string>? Subnets { get; init; }
    protected override string Mode => "ca";
    protected override IEnumerable<string> ModeArguments() =>
        Flag("-name", Name).Concat(Flag("-out-crt", OutCrt)).Concat(Flag("-out-key", OutKey))
            .Concat(Flag("-duration", Duration)).Concat(Flag("-groups", List(Groups)))
            .Concat(Flag("-ips", List(Ips))).Concat(Flag("-subnets", List(Subnets)))
            .Concat(Flag("-version", CertificateVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}

/// <summary>
/// Signs a host cert. Either OutKey (nebula-cert makes the key pair here) or InPub (the key was made on the host).
/// The certificate takes the CA's version (nebula-cert's own rule). NetworksFlags: nebula-cert >= 1.10 calls the
/// address and routed blocks -networks / -unsafe-networks (-ip / -subnets are deprecated aliases there).
/// </summary>
public sealed record NebulaCertSignSettings(string Name, string Ip, string CaCrt, string CaKey, string OutCrt) : NebulaCertSettings
{
    public bool NetworksFlags { get; init; }
    public string? OutKey { get; init; }
    public string? InPub { get; init; }
    public IReadOnlyList<string>? Groups { get; init; }
    public IReadOnlyList<string>? Subnets { get; init; }
    public string? Duration { get; init; }
    protected override string Mode => "sign";
    protected override IEnumerable<string> ModeArguments() =>
        Flag("-name", Name).Concat(Flag(NetworksFlags ? "-networks" : "-ip", Ip)).Concat(Flag("-ca-crt", CaCrt)).Concat(Flag("-ca-key", CaKey))
            .Concat(Flag("-out-crt", OutCrt)).Concat(Flag("-out-key", OutKey)).Concat(Flag("-in-pub", InPub))
            .Concat(Flag("-groups", List(Groups))).Concat(Flag(NetworksFlags ? "-unsafe-networks" : "-subnets", List(Subnets)))
            .Concat(Flag("-duration", Duration));
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

/// <summary>What `nebula-cert print -json` says about a certificate. Ips/Subnets are v2's networks/unsafeNetworks.</summary>
public sealed record NebulaCertInfo
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Ips { get; init; }
    public required IReadOnlyList<string> Subnets { get; init; }
    public required IReadOnlyList<string> Groups { get; init; }
    public required bool IsCa { get; init; }
    public required string Issuer { get; init; }
    public required DateTimeOffset NotBefore { get; init; }
    public required DateTimeOffset NotAfter { get; init; }
    public required string PublicKey { get; init; }
    public required string Fingerprint { get; init; }

    /// <summary>The certificate format: 1 (every Nebula) or 2 (Nebula >= 1.10 only).</summary>
    public int Version { get; init; } = 1;

    /// <summary>Whole days until it expires (negative once it has).</summary>
    public int DaysLeft => (int)Math.Floor((NotAfter - DateTimeOffset.UtcNow).TotalDays);

    /// <summary>
    /// Reads both shapes `print -json` has had. Up to 1.9 one object:
    ///   {"details":{"ips":[..],"subnets":[..],"publicKey":..},"fingerprint":..}
    /// from 1.10 an array (a file may hold several certs), fields renamed, publicKey top-level for v2:
    ///   [{"details":{"networks":[..],"unsafeNetworks":[..]},"publicKey":..,"version":2,"fingerprint":..}]
    /// Fixtures: tests/Flatnet.Tests/fixtures/nebula-cert-print/ (real 1.6.1 and 1.11.0 output).
    /// </summary>
    public static NebulaCertInfo FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            if (root.GetArrayLength() == 0) throw new FlatnetException("nebula-cert print -json printed no certificate",
                fix: "the file holds no certificate: sign it again (./build.sh --target=GenerateCert --host=NAME --force)");
            root = root[0];
        }
        var d = root.GetProperty("details");
        static IReadOnlyList<string> Strings(JsonElement e, string a, string b) =>
            (e.TryGetProperty(a, out var x) ? x : e.TryGetProperty(b, out var y) ? y : default) is { ValueKind: JsonValueKind.Array } arr
                ? arr.EnumerateArray().Select(v => v.GetString() ?? "").ToList() : [];
        var publicKey = d.TryGetProperty("publicKey", out var pk) ? pk : root.GetProperty("publicKey");
        return new NebulaCertInfo
        {
            Name = d.GetProperty("name").GetString() ?? "",
            Ips = Strings(d, "ips", "networks"),
            Subnets = Strings(d, "subnets", "unsafeNetworks"),
            Groups = Strings(d, "groups", "groups"),
            IsCa = d.GetProperty("isCa").GetBoolean(),
            Issuer = d.GetProperty("issuer").GetString() ?? "",
            NotBefore = d.GetProperty("notBefore").GetDateTimeOffset(),
            NotAfter = d.GetProperty("notAfter").GetDateTimeOffset(),
            PublicKey = publicKey.GetString() ?? "",
            Fingerprint = root.GetProperty("fingerprint").GetString() ?? "",
            Version = root.TryGetProperty("version", out var v) ? v.GetInt32() : 1,
        };
    }
}

/// <summary>The nebula-cert binary. The crypto is nebula-cert's; this class only drives it, with the flags its version takes.</summary>
public sealed class NebulaCert(string executable) : Tool<NebulaCertSettings>(executable)
{
    private readonly Lazy<NebulaVersion> _version = new(() => NebulaVersion.OfProgram(executable, "nebula-cert"));

    protected override string DisplayName => "nebula-cert";

    public static NebulaCert Locate(ToolLocator locator, string? configuredPath) => new(locator.Find(
        "nebula-cert", configuredPath, "nebula.cert_tool in hosts/network.yaml",
        "install Nebula (Debian/Ubuntu: apt-get install nebula; Windows: put nebula-cert.exe in tools/)"));

    /// <summary>This nebula-cert's release, asked once.</summary>
    public NebulaVersion Version => _version.Value;

    public void Ca(NebulaCertCaSettings settings) =>
        Run(Version.ReadsV2Certificates ? settings : settings with { CertificateVersion = null });

    public void Sign(NebulaCertSignSettings settings) => Run(WithFlagsOfThisRelease(settings));

    public void Keygen(NebulaCertKeygenSettings settings) => Run(settings);

    /// <summary>Signs, and hands back nebula-cert's answer instead of throwing (for checks that expect a refusal).</summary>
    public ProcessResult TrySign(NebulaCertSignSettings settings) => Run(WithFlagsOfThisRelease(settings), throwOnFailure: false);

    private NebulaCertSignSettings WithFlagsOfThisRelease(NebulaCertSignSettings settings) =>
        settings with { NetworksFlags = Version.ReadsV2Certificates };

    /// <summary>A host's certificate is signed again when it is gone; a CA's (ca.crt, Init's --ca-crt) is the user's to give.</summary>
    private static string NotACertificateFix(string path) => Path.GetFileName(path) == "host.crt"
        ? $"remove {Workspace.Relative(path)}; flatnet signs the host's certificate again where it needs one"
        : Path.GetFileName(path).StartsWith("ca.retired-", StringComparison.Ordinal) || Path.GetFileName(path) == "ca.next.crt"
            ? $"move {Workspace.Relative(path)} away: RotateCa writes that name, and this is not what it wrote"
            : "give the CA's certificate itself there (Stage 1's ca.crt): one certificate in a plain file";

    /// <summary>What `print -json` says of a certificate file; asked once per run for the same bytes (the CA is printed for every host).</summary>
    public NebulaCertInfo Print(string path)
    {
        if (!File.Exists(path)) return PrintNow(path); // nebula-cert says what is wrong
        // Hashed before it is printed: a FIFO would block the run, /dev/zero fill the memory (a file put in place of one).
        if (Files.InputFiles.NotRegular(path) is { } why)
            throw new FlatnetException($"{Workspace.Relative(path)} is {why}: not a certificate", fix: NotACertificateFix(path));
        if (Files.InputFiles.Resolved(path).Length is var size && size > Files.InputFiles.StateLimit)
            throw new FlatnetException($"{Workspace.Relative(path)} holds {size} bytes: not a certificate", fix: NotACertificateFix(path));
        return _printed.GetOrAdd(Digest.Sha256OfFile(path), _ => PrintNow(path));
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, NebulaCertInfo> _printed = new();

    private NebulaCertInfo PrintNow(string path)
    {
        var result = Run(new NebulaCertPrintSettings(path), throwOnFailure: false);
        if (!result.Succeeded && (result.StdErr + result.StdOut).Contains("proper nebula certificate banner") && !Version.ReadsV2Certificates)
            throw new FlatnetException($"{Workspace.Relative(path)}: nebula-cert {Version} ({Executable}) cannot read this certificate; " +
                                       "it is most likely a v2 certificate, which only Nebula 1.10 and later read.", fix: "use nebula-cert 1.10 or later (put it in tools/, set nebula.cert_tool, or ./build.sh --target=FetchNebula --nebula=1.11.0)");
        try
        {
            return NebulaCertInfo.FromJson(result.EnsureSuccess("nebula-cert print").StdOut);
        }
        catch (JsonException)
        {
            // Two certificates in one file print as two documents (battery 18: a CA appended to pki/ca.crt).
            throw new FlatnetException($"{Workspace.Relative(path)} is not one certificate: nebula-cert printed more than one, or something else", fix: NotACertificateFix(path));
        }
    }

    /// <summary>True when the cert is signed by the CA and not expired; otherwise false with nebula-cert's reason.</summary>
    public (bool Ok, string Reason) Verify(string caCrt, string crt)
    {
        var r = Run(new NebulaCertVerifySettings(caCrt, crt), throwOnFailure: false);
        return (r.Succeeded, (r.StdErr + r.StdOut).Trim());
    }
}
