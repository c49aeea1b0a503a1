using Flatnet.Files;
using Flatnet.Verification;
using Flatnet.Output;
using Flatnet.Pki;

namespace Flatnet.Provisioning;

/// <summary>
/// RenewCerts: every host certificate with fewer than N days left re-signed (a key made on the host stays there: its
/// public key is signed again) and rolled out in verified waves, so that expiry, the outage Nebula's users meet most,
/// never comes by surprise. Meant to run on a schedule (the sample pipelines' weekly job); with nothing due it does
/// nothing and says when the next is due.
/// </summary>
public static class CertificateRenewal
{
    /// <summary>How many days before expiry Status, report.html and RenewCerts' default call a certificate due.</summary>
    public const int WarnDays = 30;

    /// <summary>The hosts renewed (and rolled out); none when nothing was due.</summary>
    public static IReadOnlyList<string> Renew(FlatnetContext context, int withinDays, int waveSize)
    {
        var plan = context.Plan;
        WarnWhenLifetimeIsShorterThan(context, withinDays);
        context.Ca.RequireExisting();
        var ca = context.NebulaCert.Print(context.Ca.CrtPath);
        // A host's certificate never outlives the CA that signed it: the CA's own expiry is RotateCa's work.
        if (ca.DaysLeft < withinDays)
            context.Log.Warn($"the CA itself expires in {ca.DaysLeft} day(s) ({ca.NotAfter:yyyy-MM-dd}): renewed hosts cannot outlast it; ./build.sh --target=RotateCa replaces it without an outage");
        var left = new List<(string Host, int Days)>();
        var ends = new Dictionary<string, DateTimeOffset>(); // each certificate's own end, for the day a renewal by hand is due
        var unsigned = new List<string>();
        var capped = new List<string>();
        foreach (var h in plan.Active)
        {
            var crt = Path.Combine(HostCertificates.OwnPkiDirectory(context.Workspace, h.Name), "host.crt");
            if (!File.Exists(crt)) { unsigned.Add(h.Name); continue; }
            var info = context.NebulaCert.Print(crt);
            // A certificate that already lasts as long as the CA cannot be renewed past it: signing it again each week
            // would change every host for nothing. The CA's own end is RotateCa's.
            if (info.NotAfter >= ca.NotAfter.AddDays(-1)) capped.Add(h.Name);
            else { left.Add((h.Name, info.DaysLeft)); ends[h.Name] = info.NotAfter; }
        }
        if (unsigned.Count > 0)
            context.Log.Info(TextWidth.Wrap($"RenewCerts: not signed here yet, so nothing to renew: {string.Join(", ", unsigned.Order(NaturalOrder.Instance))} (AddHost or PackageAll signs them)", "  "));
        if (capped.Count > 0 && ca.DaysLeft < withinDays)
            context.Log.Info(TextWidth.Wrap($"RenewCerts: {string.Join(", ", capped.Order(NaturalOrder.Instance))} already last as long as the CA ({ca.NotAfter:yyyy-MM-dd}); RotateCa renews them with it", "  "));
        var due = left.Where(l => l.Days < withinDays).OrderBy(l => l.Host, NaturalOrder.Instance).ToList();
        if (due.Count == 0)
        {
            PendingByHand(context);
            var soonest = left.OrderBy(l => l.Days).FirstOrDefault();
            context.Log.Info($"RenewCerts: nothing to renew: no host certificate has fewer than {withinDays} days left" +
                             (soonest.Host is null ? "" : $" (the soonest: {soonest.Host}, {soonest.Days} days)"));
            return [];
        }
        // Each host re-signed and packed on its own: one that cannot be (its key still to be made on it, say) is named
        // at the end, and never leaves another re-signed with its old bundle.
        var failed = new List<string>();
        foreach (var (host, days) in due.ToList())
        {
            try
            {
                HostPipeline.Certify(context, host, force: true);
                HostPipeline.Package(context, host);
                context.Log.Info($"RenewCerts: {host} re-signed ({days} day(s) were left)");
            }
            catch (FlatnetException e)
            {
                failed.Add($"{host}: {e.Message.Replace("\n", "\n  ")}");
                due.RemoveAll(d => d.Host == host);
            }
        }
        // Installed by hand: renewed here, deployed by a person (the bundle says how), and pending until they say it is
        // installed (a later run must not forget it: the host runs the old certificate until then); the others in
        // verified waves.
        var byHand = due.Select(d => d.Host).Where(h => plan.Host(h).Host.Deploy.Transport == Inventory.DeployTransport.None).ToList();
        // The record names the day the old certificate ends and the bundle announced (its manifest's SHA-256): only that
        // bundle is ever confirmed by --manual-steps-done, never one a later run wrote without saying so.
        foreach (var host in byHand) Announce(context, host, $"{ends[host].UtcDateTime:yyyy-MM-dd}");
        var rolled = due.Select(d => d.Host).Except(byHand).ToList();
        if (rolled.Count > 0) Rollouts.Roll(context, rolled, waveSize);
        if (failed.Count > 0)
            throw new FlatnetException($"{failed.Count} host(s) due could not be renewed (the others were{(rolled.Count > 0 ? ", and rolled out" : "")}):\n  " + string.Join("\n  ", failed),
                "fix each as its own line says, then run RenewCerts again: it renews what is still due");
        PendingByHand(context);
        return due.Select(d => d.Host).ToList();
    }

    /// <summary>A host installed by hand whose renewed bundle a person has not said is installed: the day its old certificate ends, and the bundle announced.</summary>
    private static string AwaitingInstall(FlatnetContext context, string host) => Path.Combine(context.Workspace.HostDirectory(host), "renewal-awaiting-install");

    private static string ManifestSha(FlatnetContext context, string host) =>
        InputFiles.Sha256OfOwnFile(Path.Combine(context.Workspace.BundleDirectory(host), "manifest.json")) ?? "";

    private static void Announce(FlatnetContext context, string host, string day)
    {
        StateShapes.RequireOursOrNothing(AwaitingInstall(context, host), StateShapes.Of("renewal-awaiting-install")!);
        SafeFiles.WriteAllText(AwaitingInstall(context, host), $"{day}\n{ManifestSha(context, host)}\n");
    }

    /// <summary>
    /// cert_duration should outlast --within: a certificate that is due the moment it is signed is signed again on every
    /// run, and a host installed by hand is never confirmed. Said, not refused: --within longer than the lifetime is also
    /// how a person renews every certificate now.
    /// </summary>
    private static void WarnWhenLifetimeIsShorterThan(FlatnetContext context, int withinDays)
    {
        if (context.Plan.Inventory.Network.CertDuration is not { } duration) return; // nebula-cert's default: as long as the CA
        var lifetime = System.Text.RegularExpressions.Regex.Matches(duration, @"(\d+)(ms|h|m|s)").Aggregate(TimeSpan.Zero, (sum, m) =>
            sum + (m.Groups[2].Value switch { "h" => TimeSpan.FromHours(1), "m" => TimeSpan.FromMinutes(1), "s" => TimeSpan.FromSeconds(1), _ => TimeSpan.FromMilliseconds(1) }) * long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        if (lifetime.TotalDays > withinDays) return;
        context.Log.Warn($"{Workspace.Relative(Path.Combine(context.Workspace.InventoryDirectory, "network.yaml"))}: cert_duration: {duration} ({lifetime.TotalDays:0.#} days) is not longer than --within={withinDays}, " +
                         "so every certificate is due again the moment it is signed: each run renews them all, and a host installed by hand is never confirmed; " +
                         $"fix: raise cert_duration (8760h is a year), or give RenewCerts a --within below {Math.Max(1, (int)lifetime.TotalDays)}");
    }

    /// <summary>
    /// The hosts installed by hand whose renewal is not installed yet, named on every run until a person says so
    /// (--manual-steps-done, which records it): as UpdatePeers and RevokeHost keep such hosts pending.
    /// </summary>
    private static void PendingByHand(FlatnetContext context)
    {
        var confirmed = context.Arguments.Flag("manual-steps-done");
        var pending = new List<(string Host, string Why)>();
        foreach (var h in context.Plan.Active.Where(h => h.Host.Deploy.Transport == Inventory.DeployTransport.None))
        {
            var marker = AwaitingInstall(context, h.Name);
            // Anything at the record's place counts (a folder or a link too: a renewal is never forgotten by accident),
            // and only a date read from a plain file is ever shown: a link could lead to any file, a key included.
            if (!File.Exists(marker) && !Directory.Exists(marker) && !TempFolders.IsLink(marker)) continue;
            // Only a small plain file is read: anything else (a link, a folder, a FIFO, a huge file) keeps the host pending, nothing shown.
            var record = InputFiles.SmallRecord(marker, 256)?.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n') ?? [];
            var by = record.Length > 0 ? record[0].Trim() : "";
            var sha = ManifestSha(context, h.Name);
            if (sha.Length == 0)
            {
                // No bundle to install or confirm (its folder is gone): nothing is announced or confirmed until one is built.
                pending.Add((h.Name, $"its bundle is gone from {Workspace.Relative(context.Workspace.BundleDirectory(h.Name))}: ./build.sh --target=PackageAll builds it, then install it by hand"));
                continue;
            }
            // The bundle announced is the one to confirm; a later run that wrote another (PackageAll) announces that one
            // now, and so does a record that names none (an older flatnet's, or one that is no plain file): what was
            // announced is not known, so nothing is confirmed until this bundle has been.
            var changed = record.Length < 2 || record[1].Trim() != sha;
            if (changed && Directory.Exists(marker) && !TempFolders.IsLink(marker))
            {
                pending.Add((h.Name, $"{Workspace.Relative(marker)} is a folder, where flatnet keeps its record of the renewal: remove it, then run RenewCerts again"));
                continue;
            }
            if (changed) Announce(context, h.Name, by);
            if (!changed && (confirmed ? InstalledBundle.Confirm(context.Workspace, h.Name, context.BundleWrittenThisRun(h.Name)) : InstalledBundle.IsConfirmedByHand(context.Workspace, h.Name)))
            {
                if (Directory.Exists(marker) && !TempFolders.IsLink(marker)) context.Log.Warn($"{Workspace.Relative(marker)} is a folder, not flatnet's record; left as it is");
                else if (StateShapes.Holds(marker, StateShapes.Of("renewal-awaiting-install")!)) File.Delete(marker);
                else context.Log.Warn($"{Workspace.Relative(marker)} is not flatnet's record of the renewal; left as it is");
                context.Log.Info($"RenewCerts: {h.Name}: its renewed certificate is installed (confirmed)");
                continue;
            }
            var day = System.Text.RegularExpressions.Regex.IsMatch(by, @"^\d{4}-\d\d-\d\d\z") ? $", by {by}, when the certificate it runs ends" : "";
            var now = changed && record.Length < 2 ? "; flatnet's record of the renewal named no bundle (an older flatnet's, or no plain file), so this one is announced now: install it, then confirm"
                : changed ? "; its bundle changed after the renewal was announced (a later run built it again), so install this one, then confirm"
                : confirmed && context.BundleWrittenThisRun(h.Name) ? "; renewed in this very run, so --manual-steps-done counts it from the next run" : "";
            pending.Add((h.Name, $"install by hand: {Workspace.Relative(context.Workspace.BundlePath(h.Name))}{day}{now}"));
        }
        if (pending.Count > 0)
            throw new PendingHosts($"renewed, but installed by hand and not yet installed: {string.Join(", ", pending.Select(p => $"{p.Host} ({p.Why})"))}",
                ["install each named zip on its host (its install script, as its README says), then run ./build.sh --target=RenewCerts --manual-steps-done"], pending);
    }
}
