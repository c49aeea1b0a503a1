using Flatnet.Pki;

namespace Flatnet.Provisioning;

/// <summary>RotateCa and the CA files on disk: what the record is believed against, and phase 3's moves.</summary>
public static partial class CaRotation
{
    private sealed partial class Rotation
    {
        /// <summary>
        /// The record is believed only as far as the files on disk agree with it: a finished rotation's ca.crt is its new
        /// CA; before phase 3 moves them, ca.crt is the old one and ca.next.crt the new; from then on ca.crt is the new one.
        /// </summary>
        private void FilesMatch(CaRotationState state)
        {
            var ca = context.Ca;
            var current = Fingerprint(ca.CrtPath);
            var next = Fingerprint(ca.NextCrtPath);
            var (ok, says) = state switch
            {
                { Finished: { } when } => (current == state.NewFingerprint, $"says the CA was replaced by {state.NewFingerprint[..16]}… on {when:yyyy-MM-dd}"),
                { Phase: 2 } => (current == state.OldFingerprint && next == state.NewFingerprint,
                    $"says phase 2 of 4 is under way, from {state.OldFingerprint[..16]}… to {state.NewFingerprint[..16]}…"),
                // Phase 3 moves the CA files one by one (MoveNewCaInPlace): a run stopped between two moves left ca.crt
                // already retired and the new CA still at ca.next.crt, which the next run finishes.
                { Phase: 3 } => (current == state.NewFingerprint || next == state.NewFingerprint && (current == state.OldFingerprint ||
                                 current is null && Fingerprint(ca.RetiredCrtPath(state.OldFingerprint)) == state.OldFingerprint),
                    $"says phase 3 of 4 is under way, to {state.NewFingerprint[..16]}…"),
                _ => (current == state.NewFingerprint, $"says phase 4 of 4 is under way, with {state.NewFingerprint[..16]}… signing"),
            };
            if (ok) return;
            throw new StateConflict($"{CaRotationState.FileName} {says}, but {Workspace.Relative(ca.CrtPath)} is {(current is null ? "missing" : current[..16] + "…")}" +
                                    (next is null ? "" : $" and {Workspace.Relative(ca.NextCrtPath)} is {next[..16]}…"),
                $"put back the CA files the record speaks of (from a backup of {Workspace.Relative(Path.GetDirectoryName(ca.CrtPath)!)}); if the record is wrong and no rotation is under way, " +
                $"delete {Workspace.Relative(CaRotationState.PathIn(Inventory))} and run {Rerun} --start-new for a new one", Workspace.Relative(CaRotationState.PathIn(Inventory)));
        }

        /// <summary>
        /// Phase 3 begins: the new CA signs from network.yaml's paths, the old one is kept as ca.retired-*. Four moves in
        /// turn; a stopped run left the first few done, which the files tell (ca.crt and ca.key are targets again later,
        /// so what they hold tells too). Any other state is none a stopped run leaves (a planted ca.retired-*, a copy of a
        /// CA file): refused before anything moves, naming the file.
        /// </summary>
        private void MoveNewCaInPlace(CaRotationState state)
        {
            var ca = context.Ca;
            var (retiredCrt, retiredKey) = (ca.RetiredCrtPath(state.OldFingerprint), ca.RetiredKeyPath(state.OldFingerprint));
            if (File.Exists(retiredCrt) && Fingerprint(retiredCrt) != state.OldFingerprint) throw NotMoved(retiredCrt, $"it is not the old CA ({state.OldFingerprint[..16]}…)");
            var current = Fingerprint(ca.CrtPath);
            var moves = new (string From, string To, bool Done)[]
            {
                (ca.CrtPath, retiredCrt, File.Exists(retiredCrt) && current != state.OldFingerprint),
                (ca.KeyPath, retiredKey, File.Exists(retiredKey) && !(File.Exists(ca.KeyPath) && File.Exists(ca.NextKeyPath))),
                (ca.NextCrtPath, ca.CrtPath, !File.Exists(ca.NextCrtPath) && current == state.NewFingerprint),
                (ca.NextKeyPath, ca.KeyPath, !File.Exists(ca.NextKeyPath) && File.Exists(ca.KeyPath)),
            };
            var done = moves.TakeWhile(m => m.Done).Count();
            for (var i = done; i < moves.Length; i++)
            {
                var (from, to, _) = moves[i];
                if (!File.Exists(from))
                    throw new FlatnetException($"{Workspace.Relative(from)} is missing, so it cannot become {Workspace.Relative(to)}", fix: $"restore it from a backup, then {Rerun}");
                // ca.crt and ca.key are free for the new CA once the first two moves, if still to do, have taken the old one away.
                var freedFirst = (i == 2 && done == 0) || (i == 3 && done <= 1);
                if (File.Exists(to) && !freedFirst) throw NotMoved(to, $"{Workspace.Relative(from)} is still there, and a move leaves one of the two, never both");
            }
            foreach (var (from, to, _) in moves.Skip(done)) File.Move(from, to);
            if (Fingerprint(ca.CrtPath) != state.NewFingerprint)
                throw new FlatnetException($"{Workspace.Relative(ca.CrtPath)} is not the rotation's new CA ({state.NewFingerprint[..16]}…)",
                    fix: $"put the CA files back as {CaRotationState.FileName} expects, or restore this folder from a backup");
            Log.Info($"RotateCa: the new CA now signs from {Workspace.Relative(ca.CrtPath)}; the old one is kept at {Workspace.Relative(retiredCrt)}");
        }

        /// <summary>A CA file's fingerprint; null when there is none, and words when nebula-cert cannot read what is there.</summary>
        private string? Fingerprint(string path)
        {
            if (!File.Exists(path)) return null;
            try { return context.NebulaCert.Print(path).Fingerprint; }
            catch (ToolFailed) { return "(not a certificate nebula-cert reads)"; }
        }

        private static StateConflict NotMoved(string file, string why) =>
            new($"{Workspace.Relative(file)} is not a file RotateCa moved there: {why}; nothing was moved",
                $"move {Workspace.Relative(file)} out of the way (it is not the rotation's), then {Rerun}", Workspace.Relative(file));
    }
}
