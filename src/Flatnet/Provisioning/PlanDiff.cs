using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Flatnet.Bundles;
using Flatnet.Files;
using Flatnet.Output;
using Flatnet.Pki;
using Flatnet.Tools;

namespace Flatnet.Provisioning;

/// <summary>What Plan --diff found: against what, each host's change, and the hosts a rollout would touch.</summary>
public sealed record PlanDifference(string Against, IReadOnlyList<HostChange> Hosts, int Unchanged)
{
    public IReadOnlyList<string> Rollout => Hosts.Where(h => h.Kind != "removed").Select(h => h.Host).ToList();
}

/// <summary>
/// Plan --diff: what the inventory now in hosts/ changes against a baseline, host by host, for a pull request. The
/// baseline is a release (default: the newest in artifacts/releases; --against=FILE.zip) whose bundles are read as
/// they shipped, or a git ref (--against=main) whose inventory and templates are rendered as they were. Now is
/// rendered from hosts/ without signing anything: no CA key is needed, so CI can run it on every pull request.
/// </summary>
public static partial class PlanDiff
{
    public static PlanDifference Compare(FlatnetContext context, string? against)
    {
        var releases = context.Workspace.ReleasesDirectory;
        string label;
        IReadOnlyList<HostView> before;
        if (against is null)
        {
            var newest = ReleaseArchive.Previous(releases, null)
                ?? throw new UsageError("there is no release to compare with in " + Workspace.Relative(releases),
                    "run ./build.sh --target=Release --release=1.0.0 once, or pass --against=RELEASE.zip or a git ref (--against=main)", "--against");
            (label, before) = (Workspace.Relative(newest), FromRelease(context, newest));
        }
        // A release is named as one (FILE.zip): a file committed under a branch's name (origin/main) is never taken
        // for the branch CI meant.
        else if (against.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            (label, before) = File.Exists(against) ? (Workspace.Relative(Path.GetFullPath(against)), FromRelease(context, RequireOwn(context, against)))
                : throw new UsageError($"there is no release at {Workspace.Relative(Path.GetFullPath(against))}", "pass a flatnet-VERSION.zip from artifacts/releases, or a git ref (--against=main)", "--against");
        // A release by the version Release was given (--against=1.0.0: artifacts/releases/flatnet-1.0.0.zip), as a
        // person who just made it types it; otherwise a git ref.
        else if (ReleaseArchive.VersionPattern().IsMatch(against) && Path.Combine(releases, $"flatnet-{against}.zip") is var byVersion && File.Exists(byVersion))
            (label, before) = (Workspace.Relative(byVersion), FromRelease(context, RequireOwn(context, byVersion)));
        else
            (label, before) = ($"git {against}", FromGit(context, against));
        // What a bundle carries besides the rendered files is compared too, where the baseline has it: the CAs every
        // config trusts (ca.crt) and Nebula's Windows programs (a CA appended to pki/ca.crt, or a nebula.exe swapped in
        // the release zip, had Plan --diff say "no host changes": battery 18). A git ref has them when it tracks them.
        // What one side ships and the other cannot tell (no Windows release here, a ref that does not track the CA) is
        // left out of both; everything else either side has is compared, a file only the baseline had included.
        var now = Rendered(context, withShipped: true);
        IReadOnlyDictionary<string, byte[]> Comparable(HostView side, HostView? other) =>
            other is null ? side.Files : side.Files.Where(f => !IsShipped(f.Key) || other.Files.ContainsKey(f.Key)).ToDictionary();
        before = before.Select(b => b with { Files = Comparable(b, now.FirstOrDefault(v => v.Host == b.Host)) }).ToList();
        now = now.Select(v => v with { Files = Comparable(v, before.FirstOrDefault(b => b.Host == v.Host)) }).ToList();
        var changes = HostDiff.Compare(before, now);
        return new PlanDifference(label, changes, now.Count - changes.Count(c => c.Kind != "removed"));
    }

    /// <summary>
    /// Each host as the inventory would build it now (certificate as it would be signed, files as rendered; with
    /// <paramref name="withShipped"/>, also its ca.crt and Nebula's programs, by their SHA-256, when they can be had here).
    /// </summary>
    public static IReadOnlyList<HostView> Rendered(FlatnetContext context, bool withShipped = false)
    {
        byte[]? trusted = null;
        // A CA file that is there but wrong stops the diff (TrustedPem says why); none at all is said, and not compared.
        if (withShipped && File.Exists(context.Ca.CrtPath)) trusted = context.Ca.TrustedPem();
        else if (withShipped) context.Log.Info($"Plan --diff: no {Workspace.Relative(context.Ca.CrtPath)} here, so what each config trusts (ca.crt) is not compared");
        var release = context.Plan.Inventory.Network.Nebula.Windows.Release;
        withShipped &= release is null || File.Exists(release) || Directory.Exists(release);
        return context.Plan.Active.Select(h =>
        {
            var files = context.Render(context.Model(h)).ToDictionary(f => f.Path, f => f.Content);
            if (trusted is not null) files["ca.crt"] = trusted;
            if (withShipped)
                foreach (var f in context.ShippedNebula(context.Platform(h))) files[f.Path] = Encoding.ASCII.GetBytes(Digest.Sha256(f.Content));
            // Signed here already (the key and signature the next bundle carries), or not yet (a git ref's inventory, CI).
            var signed = HostCertificates.SignedNow(context.Workspace, context.NebulaCert, h.Name);
            var certificate = new CertificateView(h.Host.Groups, [h.OverlayCidr], h.RoutedBlock is { } block ? [block.ToString()] : [], signed?.PublicKey, signed?.Fingerprint);
            return new HostView(h.Name, certificate, files, h.Host.NebulaVersion?.ToString());
        }).ToList();
    }

    /// <summary>Each host as a release shipped it: its bundle's files, its certificate as signed, the Nebula its config was checked with.</summary>
    private static IReadOnlyList<HostView> FromRelease(FlatnetContext context, string release)
    {
        var views = new List<HostView>();
        var shown = Workspace.Relative(Path.GetFullPath(release));
        // One of artifacts/releases that no longer reads as Release wrote it was changed since (battery 26: the fix said to pass what had been passed).
        var fix = Path.GetDirectoryName(Path.GetFullPath(release)) == Path.GetFullPath(context.Workspace.ReleasesDirectory)
            ? "it was changed since Release wrote it: put it back from a backup, or move it out of artifacts/releases (flatnet never deletes a release); then compare with another release (--against=VERSION) or a git ref (--against=main)"
            : "pass a flatnet-VERSION.zip from artifacts/releases (--against=VERSION), or a git ref (--against=main)";
        UsageError NotOurs(string what) => new($"{shown}: {what}: not a release of flatnet's", fix, "--against");
        using var zip = ReleaseZip.Open(release, NotOurs);
        var budget = new InflateBudget(MaxReleaseBytes);
        var programs = new InflateBudget(InputFiles.ZipLimit);
        // Its certificates must be of a CA this inventory has had (when it has one here): a release made with another CA
        // could say anything about the fleet.
        var known = context.Ca.KnownFingerprints();
        // A read-only run keeps its scratch in the system's temporary folder (owner-only): artifacts/.tmp is swept by
        // whichever writing run holds the lock.
        var scratch = TempFolders.CreateInSystemTemp("flatnet-diff-", context.Workspace.Root);
        try
        {
            foreach (var (host, entry) in zip.Bundles)
            {
                ZipArchive inner;
                try { inner = new ZipArchive(new MemoryStream(Read(entry, budget)), ZipArchiveMode.Read); }
                catch (InvalidDataException) { throw NotOurs($"{entry.FullName} is not a zip"); }
                using (inner)
                {
                    if (inner.Entries.Count > MaxBundleEntries) throw NotOurs($"{entry.FullName} has {inner.Entries.Count} entries (a bundle has a few dozen)");
                    if (inner.Entries.GroupBy(e => e.FullName).FirstOrDefault(g => g.Count() > 1) is { } twice)
                        throw NotOurs($"{Terminal.OneLine(entry.FullName)} holds {Terminal.OneLine(twice.Key)} twice");
                    // A bundle of flatnet's: its names plain relative paths, its own four files there (below; a
                    // baseline without its config.yaml hid that host's every change: battery 20).
                    if (inner.Entries.FirstOrDefault(e => !PlainEntryName().IsMatch(e.FullName)) is { } odd)
                        throw NotOurs($"{entry.FullName} holds {Terminal.OneLine(odd.FullName)}, a name no bundle of flatnet's has");
                    var entries = inner.Entries.Where(e => !e.FullName.EndsWith(".key", StringComparison.Ordinal) && !e.FullName.StartsWith("nebula/", StringComparison.Ordinal)).ToList();
                    var files = entries.ToDictionary(e => e.FullName, e => Read(e, budget));
                    if (BundleOwnFiles.FirstOrDefault(f => !files.ContainsKey(f)) is { } missing) throw NotOurs($"{entry.FullName} has no {missing}");
                    // Nebula's programs by their SHA-256 (tens of MiB each: hashed as they inflate, never kept).
                    foreach (var program in inner.Entries.Where(e => e.FullName.StartsWith("nebula/", StringComparison.Ordinal)))
                        files[program.FullName] = Encoding.ASCII.GetBytes(HashOf(program, programs));
                    CertificateView? certificate = null;
                    if (files.TryGetValue("host.crt", out var crt))
                    {
                        var path = Path.Combine(scratch, host + ".crt");
                        File.WriteAllBytes(path, crt);
                        NebulaCertInfo info;
                        try { info = context.NebulaCert.Print(path); }
                        catch (ToolFailed) { throw NotOurs($"{Terminal.OneLine(host)}'s host.crt is not a certificate nebula-cert can read"); }
                        // Named as what it is, a change of CA, and still refused: a baseline of another CA's could say anything.
                        if (known.Count > 0 && !known.Contains(info.Issuer))
                            throw new UsageError($"{shown}: {Terminal.OneLine(host)}'s certificate was signed by the CA {HostDiff.Short(info.Issuer)}, which this inventory has never had " +
                                $"(only {string.Join(", ", known.Order(StringComparer.Ordinal).Select(HostDiff.Short))}): the CA was replaced since that release (RotateCa would have kept the old one), or the release is another fleet's; nothing is compared against it",
                                "if the CA was replaced on purpose, every host needs a new certificate and bundle: compare with a git ref (--against=main), then make a new release", "--against");
                        certificate = new CertificateView(info.Groups, info.Ips, info.Subnets, info.PublicKey, info.Fingerprint);
                    }
                    string? nebula = null;
                    if (files.TryGetValue("manifest.json", out var manifest))
                    {
                        try
                        {
                            using var json = JsonDocument.Parse(manifest);
                            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("versions", out var v) && v.ValueKind == JsonValueKind.Object
                                && v.TryGetProperty("nebula_checked_with", out var n) && n.ValueKind == JsonValueKind.String) nebula = n.GetString();
                        }
                        catch (JsonException) { throw NotOurs($"{Terminal.OneLine(host)}'s manifest.json is not JSON"); }
                    }
                    // What the bundle holds besides what is rendered for it: read above, never compared as files.
                    foreach (var own in BundleOwnFiles.Where(f => f != "config.yaml")) files.Remove(own);
                    views.Add(new HostView(host, certificate, files, nebula));
                }
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
        return views;
    }

    /// <summary>The difference as text (the log), Markdown (a pull-request comment) or JSON.</summary>
    public static string Format(PlanDifference d, string format) => format switch
    {
        "md" => Markdown(d),
        "json" => JsonOutput.Document(new
        {
            against = d.Against,
            hosts = d.Hosts.Select(h => new { host = h.Host, change = h.Kind, details = h.Changes }),
            unchanged = d.Unchanged,
            rollout_touches = d.Rollout,
        }),
        _ => Text(d),
    };

    private static string Text(PlanDifference d)
    {
        var sb = new StringBuilder($"Plan --diff against {d.Against}:\n");
        if (d.Hosts.Count == 0) return sb.Append("  no host changes; a rollout would touch none").ToString();
        foreach (var h in d.Hosts) sb.Append($"  {h.Host}: {h.Kind}: {string.Join("; ", h.Changes)}\n");
        return sb.Append(Output.TextWidth.Wrap($"  a rollout touches {string.Join(", ", d.Rollout)}; {d.Unchanged} other host(s) unchanged", "    ")).ToString();
    }

    private static string Markdown(PlanDifference d)
    {
        var sb = new StringBuilder($"### flatnet: what this change does\n\nAgainst `{d.Against}`.\n\n");
        if (d.Hosts.Count == 0) return sb.Append("No host changes; a rollout would touch none.\n").ToString();
        sb.Append("| host | change | what |\n|---|---|---|\n");
        foreach (var h in d.Hosts) sb.Append($"| {Md(h.Host)} | {h.Kind} | {string.Join("<br>", h.Changes.Select(Md))} |\n");
        return sb.Append($"\nA rollout touches **{string.Join(", ", d.Rollout.Select(Md))}**; {d.Unchanged} other host(s) unchanged.\n").ToString();
    }

    private static string Md(string text) => Terminal.Clean(text).Replace("|", "\\|").Replace("<", "&lt;").Replace("\n", " ");
}
