using Flatnet.Pki;
using Flatnet.Output;

namespace Flatnet.Provisioning;

/// <summary>A certificate's row in CheckCerts.</summary>
public sealed record CertificateDue(string Name, DateTimeOffset NotAfter, int DaysLeft, bool IsCa)
{
    public bool Expired => NotAfter <= DateTimeOffset.UtcNow;
}

/// <summary>CheckCerts: every certificate with its days left; fails when any has fewer than --days, naming what renews it.</summary>
public static class CertificateExpiry
{
    /// <summary>Every certificate with its days left; throws when any has fewer than <paramref name="minimumDays"/>, with a fix per kind.</summary>
    public static IReadOnlyList<CertificateDue> Check(FlatnetContext context, int minimumDays)
    {
        var plan = context.Plan;
        var rows = new List<CertificateDue>();
        var broken = new List<string>();
        var unsigned = new List<string>();
        var linkedHosts = new List<string>();
        // One certificate nebula-cert cannot read is named, and every other is still reported.
        void Add(string name, string crt, bool isCa)
        {
            try
            {
                var info = context.NebulaCert.Print(crt);
                rows.Add(new CertificateDue(isCa ? "CA " + info.Name : name, info.NotAfter, info.DaysLeft, isCa));
            }
            catch (FlatnetException)
            {
                broken.Add(name);
                context.Log.Warn($"  {name,-16} {Workspace.Relative(crt)} is not a certificate nebula-cert can read");
            }
        }
        context.Ca.RequireExisting();
        Add("CA", context.Ca.CrtPath, isCa: true);
        foreach (var h in plan.Active)
        {
            string crt;
            try
            {
                crt = Path.Combine(HostCertificates.OwnPkiDirectory(context.Workspace, h.Name), "host.crt");
            }
            catch (FlatnetException e)
            {
                // A link or a special file in its pki folder: GenerateCert refuses it too, so removing it comes first
                // (battery 30: "--force" alone was printed, which GenerateCert refused).
                broken.Add(h.Name);
                linkedHosts.Add(h.Name);
                context.Log.Warn($"  {h.Name,-16} {e.Problem}");
                continue;
            }
            if (File.Exists(crt)) Add(h.Name, crt, isCa: false);
            else
            {
                unsigned.Add(h.Name);
                context.Log.Info($"  {h.Name,-16} not signed yet");
            }
        }
        if (context.WantsJson)
            context.PrintDocument(JsonOutput.Document(new
            {
                minimum_days = minimumDays,
                // Every certificate, one entry each: those nebula-cert cannot read and those not signed yet too, by
                // their state (battery 26: the document left them out, and said nothing of them).
                certificates = rows.Select(r => (object)new { name = r.Name, is_ca = r.IsCa, state = r.Expired ? "expired" : r.DaysLeft < minimumDays ? "due" : "valid",
                        not_after = JsonOutput.Time(r.NotAfter), days_left = r.DaysLeft, expired = r.Expired, due = r.DaysLeft < minimumDays })
                    .Concat(broken.Select(b => (object)new { name = b, is_ca = b == "CA", state = "unreadable" }))
                    .Concat(unsigned.Select(u => (object)new { name = u, is_ca = false, state = "not_signed" })),
            }));
        else foreach (var r in rows)
            context.Log.Info($"  {r.Name,-16} valid until {r.NotAfter:yyyy-MM-dd}  " +
                             (r.Expired ? "EXPIRED" : $"{r.DaysLeft,5} days left{(r.DaysLeft < minimumDays ? "  RENEW" : "")}"));
        var due = rows.Where(r => r.DaysLeft < minimumDays).ToList();
        if (due.Count == 0 && broken.Count == 0) return rows;
        var fixes = new List<string>();
        if (linkedHosts.Count > 0)
            fixes.Add($"remove each link or special file named above from the host's pki folder (rm PATH), then ./build.sh --target=GenerateCert --host=NAME --force ({string.Join(", ", linkedHosts)})");
        if (broken.Except(linkedHosts).ToList() is { Count: > 0 } damaged)
            fixes.Add($"for a host whose certificate is damaged: ./build.sh --target=GenerateCert --host=NAME --force ({string.Join(", ", damaged)})");
        if (due.Any(d => d.IsCa))
            fixes.Add("for the CA: ./build.sh --target=RotateCa replaces it without an outage (a new CA, trusted beside the old one, every host re-signed, then the old one dropped; " +
                      "a re-run continues where it stopped)");
        if (due.Any(d => !d.IsCa))
            fixes.Add($"for the hosts: ./build.sh --target=RenewCerts --within={minimumDays} re-signs every one due and rolls them out in verified waves");
        throw new FlatnetException(string.Join("; ", new[]
            {
                due.Count == 0 ? null : $"{due.Count} certificate(s) expired or expire within {minimumDays} days: " + string.Join(", ", due.Select(d => d.Expired ? $"{d.Name} (EXPIRED)" : d.Name)),
                broken.Count == 0 ? null : $"{broken.Count} certificate(s) nebula-cert cannot read: {string.Join(", ", broken)}",
            }.OfType<string>()), fixes);
    }
}
