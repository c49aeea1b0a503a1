using System.Diagnostics;
using Flatnet.Inventory;
using Flatnet.Pki;
using Flatnet.Tools;
using Flatnet.Output;

namespace Flatnet.Provisioning;

/// <summary>
/// CA rotation (RotateCa): replaces the CA with no moment where two hosts cannot talk, because Nebula accepts a certificate signed
/// by any CA in pki.ca. Four phases, each resumable from hosts/ca-rotation.json:
/// 1. make the new CA beside the old one (same certificate version rules as InitCa);
/// 2. roll out configs whose ca.crt holds both CAs, wave by wave (managed lighthouses first), verifying the mesh;
/// 3. move the new CA to network.yaml's paths (the old one is kept beside it), re-sign every host and roll it out;
/// 4. roll out configs that trust only the new CA.
/// What flatnet cannot deploy (a lighthouse it does not manage, a host with deploy.transport none) gets printed
/// steps, and the rotation waits after phases 2 and 3 until a person says they are done (--manual-steps-done).
/// </summary>
public static partial class CaRotation
{
    /// <param name="manualStepsDone">the steps the last run printed for a person are done; the rotation goes on.</param>
    /// <param name="startNew">begin another rotation after a finished one (a finished rotation is otherwise left alone).</param>
    public static CaRotationState Rotate(FlatnetContext context, bool manualStepsDone = false, bool startNew = false, int waveSize = 1) =>
        new Rotation(context).Rotate(manualStepsDone, startNew, waveSize);

    private static IReadOnlyList<string> Phases => CaRotationState.Phases;

    private const string Rerun = "./build.sh --target=RotateCa";

    /// <summary>One run of the rotation: what it does with the context it was given.</summary>
    private sealed partial class Rotation(FlatnetContext context)
    {
        private IReporter Log => context.Log;
        private string Inventory => context.Workspace.InventoryDirectory;

        public CaRotationState Rotate(bool manualStepsDone = false, bool startNew = false, int waveSize = 1)
        {
            if (waveSize < 1) throw new UsageError("must be 1 or more", "--wave-size=1 rolls out one host at a time", "--wave-size");
            var clock = Stopwatch.StartNew();
            var state = context.Ca.Rotation;
            if (state is not null) FilesMatch(state);
            if (state is { Finished: { } finished } && !startNew)
            {
                Log.Info($"RotateCa: the CA was rotated on {finished:yyyy-MM-dd} (to {state.NewFingerprint[..16]}…, {CaRotationState.FileName}); nothing to do. " +
                         "--start-new begins another rotation.");
                return state;
            }
            if (state is { Finished: null } && startNew)
                throw new FlatnetException($"a CA rotation is under way (phase {state.Phase} of 4, {CaRotationState.FileName})",
                    fix: $"finish it first: {Rerun}", field: "--start-new");
            state = state is { Finished: null } ? state : MakeNewCa();
            if (manualStepsDone) state = ConfirmManualSteps(state);
            while (state.Finished is null) state = RunPhase(state, waveSize);

            FilesMatch(state);
            var ca = context.Ca;
            var info = context.NebulaCert.Print(ca.CrtPath);
            var retired = ca.RetiredCrtPath(state.OldFingerprint);
            Log.Info($"RotateCa: done in {clock.Elapsed.TotalSeconds:0} s. Every config trusts only the new CA '{info.Name}' ({info.Fingerprint[..16]}…, valid until {info.NotAfter:yyyy-MM-dd}). " +
                     (File.Exists(retired)
                         ? $"The old CA is kept at {Workspace.Relative(retired)} and {Workspace.Relative(ca.RetiredKeyPath(state.OldFingerprint))}: flatnet does not delete it; do so once nothing needs it."
                         : "The old CA's files are no longer beside it."));
            return state;
        }

        /// <summary>Phase 1: the new CA at ca.next.crt/ca.next.key (one an interrupted run made is taken as it is).</summary>
        private CaRotationState MakeNewCa()
        {
            Log.Info($"RotateCa: phase 1 of 4: {Phases[0]}");
            var ca = context.Ca;
            var old = ca.RequireUsable();
            var (crt, key) = (ca.NextCrtPath, ca.NextKeyPath);
            NebulaCertInfo next;
            if (File.Exists(crt) && File.Exists(key))
            {
                next = context.NebulaCert.Print(crt);
                if (!next.IsCa || next.Fingerprint == old.Fingerprint)
                    throw new FlatnetException($"{Workspace.Relative(crt)} is not a new CA", fix: $"move {Workspace.Relative(crt)} and {Workspace.Relative(key)} away, then {Rerun}");
                Log.Info($"RotateCa: the new CA an interrupted run made is taken: {Workspace.Relative(crt)}");
            }
            else if (File.Exists(crt) || File.Exists(key))
                throw new FlatnetException($"half a CA: {Workspace.Relative(File.Exists(crt) ? crt : key)} exists without its other half",
                    fix: $"move it away, then {Rerun}");
            else
            {
                (next, var why) = ca.MakeAt(crt, key);
                Log.Info($"RotateCa: made the new CA '{next.Name}' at {Workspace.Relative(crt)} (key {Workspace.Relative(key)}, owner-only), valid until {next.NotAfter:yyyy-MM-dd}; " +
                         $"certificate version {next.Version}: {why}.");
            }
            return Save(new CaRotationState(old.Fingerprint, next.Fingerprint, DateTimeOffset.UtcNow));
        }

        private CaRotationState RunPhase(CaRotationState state, int waveSize)
        {
            var phase = state.Phase;
            if (state.WaitingForManualSteps == phase) throw ManualStepsPending(state, ManualSteps(phase));
            FilesMatch(state); // each phase, not just the first: the record is believed only as far as the CA files agree
            Log.Info($"RotateCa: phase {phase} of 4: {Phases[phase - 1]}" + (state.HostsDone.Count == 0 ? "" : $" (already done for {string.Join(", ", state.HostsDone)})"));
            if (phase == 3) MoveNewCaInPlace(state);
            state = RollOut(state, waveSize);
            var manual = ManualSteps(phase);
            if (manual.Count > 0 && phase < 4) throw ManualStepsPending(Save(state with { WaitingForManualSteps = phase }), manual);
            foreach (var step in manual) Log.Warn($"RotateCa: by hand: {step}");
            Log.Info($"RotateCa: phase {phase} of 4 done");
            return Save(phase == 4 ? state with { Finished = DateTimeOffset.UtcNow, HostsDone = [] } : state with { Phase = phase + 1, HostsDone = [] });
        }

        /// <summary>Every host flatnet deploys, managed lighthouses first, in waves; each verified wave is recorded.</summary>
        private CaRotationState RollOut(CaRotationState state, int waveSize)
        {
            var hosts = context.Plan.Deployable.Select(h => h.Name).ToList();
            try
            {
                Rollouts.Roll(context, hosts, waveSize, new RolloutResume(state.HostsDone, done => state = Save(state with { HostsDone = done.ToList() })));
                return state;
            }
            catch (FlatnetException e)
            {
                throw new FlatnetException($"RotateCa: phase {state.Phase} of 4 ({Phases[state.Phase - 1]}) done for {(state.HostsDone.Count == 0 ? "no host yet" : string.Join(", ", state.HostsDone))}; " +
                                           $"stopped: {e.Problem}",
                    fix: $"once the cause is fixed, run {Rerun} again to continue (the hosts done are not touched again); " +
                         "until then every host still trusts both CAs, so the mesh keeps working", inner: e);
            }
        }

        /// <summary>
        /// What a person must do after this phase for the daemons flatnet does not deploy; the artifacts those steps name
        /// (hand-deployed hosts' bundles, unmanaged lighthouses' ca.crt) are made here first.
        /// </summary>
        private IReadOnlyList<string> ManualSteps(int phase)
        {
            var plan = context.Plan;
            var steps = new List<string>();
            foreach (var h in plan.Active.Where(h => h.Host.Deploy.Transport == DeployTransport.None))
            {
                HostPipeline.Certify(context, h.Name);
                HostPipeline.Package(context, h.Name);
                steps.Add($"host {h.Name} (deploy.transport none): install {Workspace.Relative(context.Workspace.BundlePath(h.Name))} on it as you did before" +
                          (phase == 3 ? " (it carries the certificate the new CA signed)" : ""));
            }
            var unmanaged = plan.Lighthouses.Where(l => l.Lighthouse.Managed is null).ToList();
            if (unmanaged.Count == 0) return steps;
            LighthouseConfigs.Render(context);
            var ca = context.Ca;
            foreach (var l in unmanaged)
            {
                var caFile = Workspace.Relative(Path.Combine(LighthouseConfigs.Folder(context, l.Name), "ca.crt"));
                steps.Add(phase switch
                {
                    2 => $"{l.Called}: copy {caFile} (the old and the new CA) over the file its pki.ca names, and reload Nebula (kill -HUP, or restart the service)",
                    3 => $"{l.Called}: its certificate must be signed by the new CA before the old one is dropped: here, " +
                         $"`{Rendering.Quoting.ForPerson("nebula-cert", SignLighthouse(l, ca).Arguments())}` " +
                         "(add -groups as its current certificate has them: `nebula-cert print -path host.crt` on it), " +
                         $"then copy {l.Name}.crt and {l.Name}.key over its pki.cert and pki.key and restart Nebula",
                    _ => $"{l.Called}: copy {caFile} (only the new CA now) over the file its pki.ca names, and reload Nebula",
                });
            }
            return steps;
        }

        private NebulaCertSignSettings SignLighthouse(Addressing.LighthouseAddresses lighthouse, CertificateAuthority ca) =>
            new(lighthouse.Name, $"{lighthouse.OverlayAddress}/{context.Plan.Overlay.PrefixLength}", Workspace.Relative(ca.CrtPath), Workspace.Relative(ca.KeyPath), $"{lighthouse.Name}.crt")
            {
                OutKey = $"{lighthouse.Name}.key", NetworksFlags = context.NebulaCert.Version.ReadsV2Certificates,
            };

        private static FlatnetException ManualStepsPending(CaRotationState state, IReadOnlyList<string> steps) =>
            new($"RotateCa: phase {state.Phase} of 4 ({Phases[state.Phase - 1]}) done for every host flatnet deploys; before phase {state.Phase + 1} " +
                $"({Phases[state.Phase]}), what flatnet does not deploy needs a person:\n    " + string.Join("\n    ", steps),
                fix: $"do the above, then {Rerun} --manual-steps-done (until then every host trusts both CAs, so the mesh keeps working)");

        private CaRotationState ConfirmManualSteps(CaRotationState state)
        {
            if (state.WaitingForManualSteps is not { } phase)
            {
                Log.Warn("RotateCa: --manual-steps-done: no printed steps were waiting; ignored");
                return state;
            }
            Log.Info($"RotateCa: the steps printed after phase {phase} are done, as --manual-steps-done says");
            return Save(state with { WaitingForManualSteps = null, Phase = phase + 1, HostsDone = [] });
        }

        private CaRotationState Save(CaRotationState state)
        {
            state.Save(Inventory);
            context.RotationChanged();
            return state;
        }
    }
}
