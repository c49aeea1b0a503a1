namespace Flatnet.Versions;

/// <summary>One Nebula daemon of the mesh, the release it runs (null: not known yet) and where flatnet learnt it.</summary>
public sealed record Daemon(string Name, string Role, NebulaVersion? Version, string Source)
{
    /// <summary>"host pc-1", "lighthouse office-1"; a lighthouse whose name says so already is not called so twice ("lighthouse", not "lighthouse lighthouse").</summary>
    public string Called => Role == "lighthouse" && Name.Contains(Role, StringComparison.OrdinalIgnoreCase) ? Name : $"{Role} {Name}";

    public override string ToString() => Version is { } v ? $"{Called} runs {v} ({Source})" : $"{Called} (version not declared)";
}

/// <summary>
/// What the Nebula releases in one mesh allow: which certificate version its CA may have. A v2 certificate
/// (nebula-cert >= 1.10's default) is unreadable before 1.10 ("bytes did not contain a proper nebula certificate
/// banner"), while v1 is read by every release, so a mesh with any older daemon needs a v1 CA.
/// </summary>
public sealed record MeshVersions(IReadOnlyList<Daemon> Daemons)
{
    public MeshVersions With(Daemon daemon) => new(Daemons.Where(d => d.Name != daemon.Name).Append(daemon).ToList());

    /// <summary>Null when every daemon with a known release reads certificates of <paramref name="caVersion"/>; else why not, and the fix.</summary>
    public FlatnetException? Refusal(int caVersion, string caPath)
    {
        var tooOld = Daemons.Where(d => d.Version is { } v && v.NewestCertificateVersion < caVersion).ToList();
        if (tooOld.Count == 0) return null;
        return new FlatnetException($"the CA {caPath} is a v{caVersion} certificate, which Nebula before {NebulaVersion.First2Certificates} cannot read, " +
               $"and {tooOld.Count} daemon(s) of this mesh run an older Nebula:\n      " + string.Join("\n      ", tooOld) +
               "\n    nothing was signed, packed or deployed.",
            fix: "upgrade those daemons to Nebula 1.10 or later, or use a v1 CA that every release reads: " +
                 "`nebula-cert ca -version 1` (nebula-cert 1.10+; older ones always make v1), then re-sign every host and the lighthouse with it");
    }

    /// <summary>
    /// The certificate version a new CA gets: v2 only when this nebula-cert makes v2 and every daemon is known to read
    /// it; v1 (read by every release) otherwise. The reason says which daemons decided it.
    /// </summary>
    public (int Version, string Reason) ChooseCaVersion(NebulaVersion certTool)
    {
        if (!certTool.ReadsV2Certificates)
            return (1, $"nebula-cert {certTool} makes v1 certificates only");
        var unknown = Daemons.Where(d => d.Version is null).Select(d => d.Name).ToList();
        var old = Daemons.Where(d => d.Version is { ReadsV2Certificates: false }).Select(d => $"{d.Name} {d.Version}").ToList();
        if (old.Count > 0) return (1, $"every Nebula reads v1, and {string.Join(", ", old)} cannot read v2");
        if (unknown.Count > 0) return (1, $"every Nebula reads v1, and {string.Join(", ", unknown)} declare no nebula_version (declare {NebulaVersion.First2Certificates} or later everywhere for a v2 CA)");
        return (2, $"every daemon runs Nebula {NebulaVersion.First2Certificates} or later");
    }
}
