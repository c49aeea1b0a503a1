using Flatnet.Tools;
using Flatnet.Inventory;
using Flatnet.Versions;
using Flatnet.Output;
using Flatnet.Files;

namespace Flatnet.Pki;

/// <summary>
/// The CA that signs every host. Normally it already exists (Stage 1's lighthouse made it) and its ca.crt/ca.key
/// are copied to the paths network.yaml names; InitCa makes one only when none is there, and never overwrites.
/// During a CA rotation (<paramref name="rotation"/>) the configs trust a second CA too, kept beside these files.
/// </summary>
public sealed class CertificateAuthority(NebulaCert nebulaCert, CaSettings settings, MeshVersions mesh, IReporter log, CaRotationState? rotation = null)
{
    public string CrtPath => settings.CrtPath;

    /// <summary>The CA rotation under way or finished (hosts/ca-rotation.json), as read when this run began; null when none.</summary>
    public CaRotationState? Rotation => rotation;
    public string KeyPath => settings.KeyPath;

    /// <summary>RotateCa's new CA, made in phase 1 and moved to network.yaml's paths in phase 3.</summary>
    public string NextCrtPath => Beside(CrtPath, "ca.next.crt");
    public string NextKeyPath => Beside(KeyPath, "ca.next.key");

    /// <summary>Where phase 3 moves the old CA; flatnet never deletes it (it came from Stage 1), the user may.</summary>
    public string RetiredCrtPath(string fingerprint) => Beside(CrtPath, $"ca.retired-{fingerprint[..12]}.crt");
    public string RetiredKeyPath(string fingerprint) => Beside(KeyPath, $"ca.retired-{fingerprint[..12]}.key");

    /// <summary>
    /// The fingerprints of every CA this inventory has had at network.yaml's place: ca.crt, a rotation's ca.next.crt and
    /// each ca.retired-*.crt (files nebula-cert cannot read are left out); empty when there is none.
    /// </summary>
    public IReadOnlySet<string> KnownFingerprints()
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(CrtPath))!;
        var files = new[] { CrtPath, NextCrtPath }.Concat(Directory.Exists(folder) ? Directory.GetFiles(folder, "ca.retired-*.crt") : []);
        return files.Where(f => File.Exists(f) && InputFiles.NotRegular(f) is null)
            .Select(f => { try { return nebulaCert.Print(f).Fingerprint; } catch (ToolFailed) { return null; } })
            .OfType<string>().ToHashSet();
    }

    private static string Beside(string file, string name) => Path.Combine(Path.GetDirectoryName(file)!, name);

    /// <summary>
    /// What every config's pki.ca holds: the CA at network.yaml's paths, and during a rotation's phases 2 and 3 the
    /// other CA of the rotation as well (Nebula accepts a certificate signed by any CA in pki.ca).
    /// </summary>
    public byte[] TrustedPem()
    {
        RequireNoMoveUnderWay();
        var own = OneCertificate(CrtPath, InputFiles.ReadAllText(CrtPath, InputFiles.KeyLimit, "the CA's certificate", "ca.crt"));
        if (rotation is not { TrustsBoth: true }) return System.Text.Encoding.UTF8.GetBytes(own);
        var other = rotation.Swapped ? RetiredCrtPath(rotation.OldFingerprint) : NextCrtPath;
        if (!File.Exists(other))
            throw new FlatnetException($"a CA rotation is under way ({CaRotationState.FileName}, phase {rotation.Phase} of 4), but its other CA {Workspace.Relative(other)} is missing",
                fix: $"restore {Workspace.Relative(other)} (from a backup of this folder), then run ./build.sh --target=RotateCa to finish the rotation");
        // The other CA is the one the record names (battery 19: another's ca.next.crt shipped as the rotation's).
        var expected = rotation.Swapped ? rotation.OldFingerprint : rotation.NewFingerprint;
        if (nebulaCert.Print(other).Fingerprint is var found && found != expected)
            throw new StateConflict($"{Workspace.Relative(other)} is {found[..16]}…, not the CA {CaRotationState.FileName} names ({expected[..16]}…); no config is made to trust it",
                $"put the rotation's own CA file back (RotateCa wrote it), or move {Workspace.Relative(other)} away and run ./build.sh --target=RotateCa", Workspace.Relative(other));
        // ... and it is a rotation made here: its key is beside it and pairs with it. A record and a certificate are
        // two text files a commit can bring; with them alone every config trusted another's CA (battery 36).
        var otherKey = rotation.Swapped ? RetiredKeyPath(rotation.OldFingerprint) : NextKeyPath;
        if (!File.Exists(otherKey) || PairProblemOnce(other, otherKey) is not null)
            throw new StateConflict($"a CA rotation is under way ({CaRotationState.FileName}, phase {rotation.Phase} of 4), but {Workspace.Relative(otherKey)} {(File.Exists(otherKey) ? "is not the key of" : "is missing beside")} its other CA {Workspace.Relative(other)}; no config is made to trust a CA whose key is not here",
                $"run the rotation where it was started (that machine holds both CAs' keys), or, if this machine never started one, move {CaRotationState.FileName} and {Workspace.Relative(other)} away (someone else's)", Workspace.Relative(other));
        return System.Text.Encoding.UTF8.GetBytes(own.TrimEnd('\n') + "\n" + OneCertificate(other, InputFiles.ReadAllText(other, InputFiles.KeyLimit, "the rotation's other CA")).TrimEnd('\n') + "\n");
    }

    /// <summary>The fingerprints of the CAs every config trusts (<see cref="TrustedPem"/>'s), as a release records them.</summary>
    public IReadOnlyList<string> TrustedFingerprints()
    {
        var own = nebulaCert.Print(CrtPath).Fingerprint;
        if (rotation is not { TrustsBoth: true }) return [own];
        return [own, nebulaCert.Print(rotation.Swapped ? RetiredCrtPath(rotation.OldFingerprint) : NextCrtPath).Fingerprint];
    }

    /// <summary>A CA file given to flatnet (Init's --ca-crt), refused as <see cref="OneCertificate"/> says before it is copied anywhere.</summary>
    public static void RequireOneCertificate(string path, string flag) => OneCertificate(path, InputFiles.ReadAllText(path, InputFiles.KeyLimit, "the CA's certificate", flag));

    /// <summary>
    /// A CA file's text, refused unless it holds one certificate: every config trusts each certificate in pki.ca, so a
    /// second one appended to a CA file (it is not secret) would let its owner sign hosts into the mesh (battery 18).
    /// </summary>
    private static string OneCertificate(string path, string text)
    {
        // A byte-order mark (Notepad writes one) is named as such: nebula-cert cannot read past it (battery 24).
        if (text.StartsWith('\uFEFF'))
            throw new FlatnetException($"{Workspace.Relative(path)} begins with a byte-order mark (as Notepad saves UTF-8), which nebula-cert cannot read",
                fix: $"save it again without one (Notepad: Save as, Encoding: UTF-8, not \"UTF-8 with BOM\"), or copy Stage 1's ca.crt again");
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var count = lines.Count(l => l.StartsWith("-----BEGIN NEBULA CERTIFICATE", StringComparison.Ordinal));
        if (count != 1)
            throw new FlatnetException($"{Workspace.Relative(path)} holds {count} certificates, and every config would trust each of them: a CA's certificate is one",
                fix: $"put the CA's own certificate there alone (nebula-cert print -path {Workspace.Relative(path)} lists what it holds; Stage 1's ca.crt is the one)");
        // Nothing besides it either: text after the block passed nebula-cert print, and then nebula -test refused every
        // config, after RevokeHost had written its blocklist (battery 22).
        var begin = lines.FindIndex(l => l.StartsWith("-----BEGIN NEBULA CERTIFICATE", StringComparison.Ordinal));
        var end = lines.FindIndex(begin, l => l.StartsWith("-----END NEBULA CERTIFICATE", StringComparison.Ordinal));
        if (end < 0 || lines.Where((l, i) => (i < begin || i > end) && l.Trim().Length > 0).Any())
            throw new FlatnetException($"{Workspace.Relative(path)} holds text besides its one certificate: a CA's certificate file is that certificate alone",
                fix: $"put the CA's own certificate there alone (Stage 1's ca.crt), without what was added around it");
        return text;
    }

    /// <summary>The old CA while phase 3 re-signs the hosts: a certificate it signed is still current, until its host's turn.</summary>
    public (string CrtPath, string Fingerprint)? StillTrusted =>
        rotation is { TrustsBoth: true, Swapped: true } ? (RetiredCrtPath(rotation.OldFingerprint), rotation.OldFingerprint) : null;

    /// <summary>The existing CA, refused when a daemon of the mesh cannot read its certificate version.</summary>
    public NebulaCertInfo RequireUsable(MeshVersions? withActual = null)
    {
        var info = RequireExisting();
        if ((withActual ?? mesh).Refusal(info.Version, Workspace.Relative(CrtPath)) is { } refusal)
            throw refusal;
        return info;
    }

    /// <summary>
    /// Phase 3 of a rotation begins by moving the new CA in, file by file: a run stopped part-way left a CA file
    /// retired and the other not yet in place. Only RotateCa finishes that; nothing else reads, signs with or makes a CA meanwhile.
    /// </summary>
    private void RequireNoMoveUnderWay()
    {
        if (rotation is { TrustsBoth: true, Swapped: true } && (File.Exists(NextCrtPath) || File.Exists(NextKeyPath)))
            throw new FlatnetException($"a CA rotation is under way ({CaRotationState.FileName}, phase 3 of 4), and the run that moves its new CA in was stopped before it was done " +
                                       $"({Workspace.Relative(File.Exists(NextCrtPath) ? NextCrtPath : NextKeyPath)} is still there)",
                fix: "run ./build.sh --target=RotateCa: it finishes the move and the rotation");
    }

    /// <returns>true when a CA was created, false when one was already there.</returns>
    public bool Init(bool quietIfExists = false)
    {
        RequireNoMoveUnderWay();
        var hasCrt = File.Exists(CrtPath);
        var hasKey = File.Exists(KeyPath);
        if (hasCrt && hasKey)
        {
            var info = RequireExisting();
            if (!quietIfExists) log.Info($"CA '{info.Name}' already exists at {Workspace.Relative(CrtPath)} (v{info.Version}, fingerprint {info.Fingerprint[..16]}…, valid until {info.NotAfter:yyyy-MM-dd}); left as it is.");
            return false;
        }
        if (hasCrt != hasKey)
            throw new FlatnetException($"half a CA: {Workspace.Relative(hasCrt ? CrtPath : KeyPath)} exists but {Workspace.Relative(hasCrt ? KeyPath : CrtPath)} does not.", fix: "copy the missing file from the lighthouse (Stage 1), or move the lone file away to create a new CA");

        var (created, why) = MakeAt(CrtPath, KeyPath);
        log.Info($"Created CA '{created.Name}' at {Workspace.Relative(CrtPath)} (key {Workspace.Relative(KeyPath)}, owner-only), valid until {created.NotAfter:yyyy-MM-dd}; " +
                 $"certificate version {created.Version}: {why}.");
        return true;
    }

    /// <summary>
    /// A new CA (network.yaml's name and duration, the certificate version every daemon of the mesh reads) at these
    /// paths, which must not exist: InitCa's, and RotateCa's next CA. nebula-cert writes into a staging folder beside
    /// the key; both files are moved only once both exist, so no half CA is ever left behind.
    /// </summary>
    public (NebulaCertInfo Created, string WhyThisVersion) MakeAt(string crtPath, string keyPath)
    {
        var (version, why) = mesh.ChooseCaVersion(nebulaCert.Version);
        var keyDir = Path.GetDirectoryName(keyPath)!;
        // The key's folder: made owner-only when flatnet makes it; an existing one is used only when it is safe.
        SafeFiles.RequireSecretFolder(keyDir, "the CA key's folder (ca.key in network.yaml)");
        Directory.CreateDirectory(Path.GetDirectoryName(crtPath)!);
        var staging = Path.Combine(keyDir, $".ca.staging-{Guid.NewGuid():N}");
        using (TempFolders.DeleteOnExit(staging))
        {
            TempFolders.CreateOwnerOnly(staging);
            var crt = Path.Combine(staging, "ca.crt");
            var key = Path.Combine(staging, "ca.key");
            nebulaCert.Ca(new NebulaCertCaSettings(settings.Name, crt, key) { Duration = settings.Duration, CertificateVersion = version });
            SafeFiles.RestrictToOwner(key);
            File.Move(key, keyPath);
            File.Move(crt, crtPath);
        }
        return (nebulaCert.Print(crtPath), why);
    }

    public NebulaCertInfo RequireExisting()
    {
        RequireNoMoveUnderWay();
        // Stage 1's ca.crt alone (its key left on the lighthouse) is the usual half: the key is what is asked for,
        // never a new CA, which the lighthouse would refuse.
        if (File.Exists(CrtPath) && !File.Exists(KeyPath))
            throw new FlatnetException($"{Workspace.Relative(CrtPath)} is here but not its key, {Workspace.Relative(KeyPath)}: signing a host needs it",
                $"copy Stage 1's ca.key from the lighthouse to {Workspace.Relative(KeyPath)} (owner-only: chmod 600), or ./build.sh --target=Init --ca-key=FILE (add --lighthouse=IP:PORT if Init has not set the lighthouse yet)");
        if (!File.Exists(CrtPath) || !File.Exists(KeyPath))
            throw new FlatnetException($"no CA at {Workspace.Relative(CrtPath)} and {Workspace.Relative(KeyPath)}.", fix: "copy the lighthouse's ca.crt and ca.key there (Stage 1 made them), or run ./build.sh --target=InitCa to create a new CA (only for a mesh with no lighthouse yet)");
        // nebula-cert would block on a FIFO, or read /dev/zero for ever: the CA is two small regular files.
        foreach (var (path, what) in new[] { (CrtPath, "the CA's certificate"), (KeyPath, "the CA's key") })
            if (InputFiles.NotRegular(path) is { } why)
                throw new FlatnetException($"{Workspace.Relative(path)} ({what}) is {why}: it is not read", "put the CA's file itself there (network.yaml's ca.crt and ca.key name them)");
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(KeyPath) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new FlatnetException($"{Workspace.Relative(KeyPath)}: the CA key can be read or changed by others (mode {Convert.ToString((int)File.GetUnixFileMode(KeyPath), 8)}); " +
                                       "whoever reads it can sign hosts into the mesh.", fix: $"chmod 600 {Workspace.Relative(KeyPath)} (and check who copied it where)");
        // What the file holds is said first: a key appended to it read as "a v2 certificate" to nebula-cert (battery 23).
        RequireOneCertificate(CrtPath, "ca.crt");
        var info = nebulaCert.Print(CrtPath);
        if (!info.IsCa)
            throw new FlatnetException($"{Workspace.Relative(CrtPath)} is a certificate for '{info.Name}', not a CA.", fix: $"point ca.crt in network.yaml at the CA certificate");
        RequirePair(info);
        return info;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _checkedPairs = new();

    /// <summary>
    /// What nebula-cert says when this key cannot sign for this certificate, or null when they are one CA. The throw-away
    /// signing happens in an owner-only folder made inside <paramref name="scratchParent"/> (it holds a certificate the CA
    /// signed, and its key, for the moment of the check) and removed after.
    /// </summary>
    public static string? PairProblem(NebulaCert nebulaCert, string crt, string key, string scratchParent)
    {
        var scratch = Path.Combine(scratchParent, $".ca-pair.staging-{Guid.NewGuid():N}");
        using (TempFolders.DeleteOnExit(scratch))
        {
            TempFolders.CreateOwnerOnly(scratch);
            var r = nebulaCert.TrySign(new NebulaCertSignSettings("flatnet-pair-check", "192.0.2.1/32", crt, key, Path.Combine(scratch, "c.crt"))
                { OutKey = Path.Combine(scratch, "c.key"), Duration = "1m" });
            if (r.Succeeded) return null;
            var said = (r.StdErr + r.StdOut).Trim();
            // Not a verdict on the pair: nebula-cert could not write its throw-away files (battery 38: a folder emptied
            // under it was reported as a key of another CA, with a fix that replaces a CA that is fine).
            if (said.Contains("error while writing", StringComparison.OrdinalIgnoreCase) || !Directory.Exists(scratch))
                throw new FlatnetException($"nebula-cert could not write the pair check's throw-away certificate in {Workspace.Relative(scratchParent)}: {Output.Terminal.OneLine(said)}",
                    fix: $"make sure nothing else writes or removes files in {Workspace.Relative(scratchParent)} while flatnet runs (it is the CA key's folder), then run this again");
            return said;
        }
    }

    /// <summary>ca.crt and ca.key must be one CA: a throw-away signing proves the pair (nebula-cert refuses another CA's key), once a run.</summary>
    private void RequirePair(NebulaCertInfo ca)
    {
        if (PairProblemOnce(CrtPath, KeyPath) is { } said)
            throw new FlatnetException($"{Workspace.Relative(KeyPath)} does not belong to the CA {Workspace.Relative(CrtPath)} ('{ca.Name}'): nebula-cert said {said}.", fix: "copy ca.crt and ca.key of the same CA from the lighthouse (Stage 1) to the paths network.yaml names");
    }

    /// <summary>What <see cref="PairProblem"/> says of this certificate and key as they are now; a pair found to be one is not checked again this run.</summary>
    private string? PairProblemOnce(string crt, string key)
    {
        var id = $"{crt}|{File.GetLastWriteTimeUtc(crt):O}|{key}|{File.GetLastWriteTimeUtc(key):O}";
        if (_checkedPairs.ContainsKey(id)) return null;
        var said = PairProblem(nebulaCert, crt, key, Path.GetDirectoryName(KeyPath)!);
        if (said is null) _checkedPairs[id] = true;
        return said;
    }
}
