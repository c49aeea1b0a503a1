namespace Flatnet.Provisioning;

/// <summary>
/// Rollout in waves: deploys hosts in waves, verifying the mesh of everything rolled out so far after each wave,
/// and stops at the first wave that fails: hosts already rolled out stay as they are, later ones are not touched.
/// This is how a change that affects every config (a new host's block, a revocation) reaches the fleet.
/// </summary>
public static class Rollouts
{
    /// <param name="resume">a rollout that a person may re-run (RotateCa's phases): the hosts it already did are
    /// skipped, each verified wave is reported as it ends, and every wave verifies the whole mesh, not only its part.</param>
    public static IReadOnlyList<string> Roll(FlatnetContext context, IEnumerable<string>? hosts = null, int waveSize = 1, RolloutResume? resume = null)
    {
        if (waveSize < 1) throw new UsageError("must be 1 or more", "--wave-size=1 deploys one host at a time", "--wave-size");
        var plan = context.Plan;
        var selected = (hosts?.Select(h => plan.Host(h.Trim()).Name) ?? plan.Deployable.Select(h => h.Name)).ToList();
        var done = selected.Where(h => resume?.Done.Contains(h) == true).ToList();
        if (resume is null)
        {
            // A host that already runs the bundle built for it now is left alone (its peers count it as rolled out):
            // a rollout with nothing changed does nothing, and says so.
            var current = selected.Where(h => RunsItsBundle(context, h)).ToList();
            if (current.Count == selected.Count)
            {
                context.Log.Info($"rollout: nothing to do: {(selected.Count == 1 ? selected[0] + " runs" : $"all {selected.Count} hosts run")} the bundle built for {(selected.Count == 1 ? "it" : "them")} now");
                return [];
            }
            if (current.Count > 0) context.Log.Info($"rollout: {string.Join(", ", current)} already run the bundle built for them now; left alone");
            done.AddRange(current);
        }
        var waves = selected.Except(done).Chunk(waveSize).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew(); // each wave's line says how long the rollout has run
        using var progress = Output.Progress.Start("rollout", waves.Sum(w => w.Length), context.Log);
        for (var w = 0; w < waves.Count; w++)
        {
            context.Log.Info($"rollout: wave {w + 1}/{waves.Count}: {string.Join(", ", waves[w])}");
            var touched = new List<string>();
            try
            {
                foreach (var host in waves[w])
                {
                    touched.Add(host);
                    HostPipeline.Provision(context, host);
                    progress.Step(host);
                }
                Verify(context, resume is null ? done.Concat(waves[w]).ToList() : selected, waves[w], lighthouseRestarted: waves[w].Any(h => plan.Host(h).Host.IsLighthouse), table: waves.Count == 1);
            }
            catch (FlatnetException e)
            {
                var untouched = selected.Except(done).Except(touched).ToList();
                throw new FlatnetException($"rollout stopped at wave {w + 1}/{waves.Count} ({string.Join(", ", waves[w])}): {e.Message}\n" +
                                           $"    rolled out: {(done.Count == 0 ? "none" : string.Join(", ", done))}; failed in this wave: {string.Join(", ", touched)}; " +
                                           $"not touched: {(untouched.Count == 0 ? "none" : string.Join(", ", untouched))}", inner: e);
            }
            done.AddRange(waves[w]);
            resume?.WaveVerified(done);
            context.Log.Info($"rollout: wave {w + 1}/{waves.Count} verified ({done.Count} of {selected.Count} hosts rolled out, {clock.Elapsed.TotalSeconds:0} s)");
        }
        // Each wave proved the pairs it touched and a sample of the rest; the whole mesh is proved once, at the end.
        if (waves.Count > 1)
        {
            context.Log.Info($"rollout: the whole mesh, every pair of the {selected.Count} hosts");
            Verify(context, selected, focus: null, lighthouseRestarted: false);
        }
        context.Log.Info($"rollout: done, {done.Count} host(s) in {waves.Count} wave(s), {clock.Elapsed.TotalSeconds:0} s: {string.Join(", ", done)}");
        return done;
    }

    /// <summary>Whether the host reports, installed and routed, the bundle built for it now (signed and packed first); a host not reached is not.</summary>
    private static bool RunsItsBundle(FlatnetContext context, string host)
    {
        try
        {
            HostPipeline.Certify(context, host);
            HostPipeline.Package(context, host);
            var h = context.Plan.Host(host);
            return HostPipeline.IsCurrent(context, h, context.Connection(h));
        }
        catch (FlatnetException)
        {
            return false; // its wave says why, as before
        }
    }

    /// <summary>
    /// VerifyPing of the wave: the pairs with an end in it (<paramref name="focus"/>) and a sample of the others. A
    /// lighthouse that was just restarted knows no host until each reports again (within lighthouse.interval), so
    /// until then a failure is checked again rather than taken as the wave's.
    /// </summary>
    private static void Verify(FlatnetContext context, IReadOnlyList<string> hosts, IReadOnlyCollection<string>? focus, bool lighthouseRestarted, bool table = true)
    {
        var deadline = DateTime.UtcNow.AddSeconds(lighthouseRestarted ? Rendering.HostModel.DefaultLighthouseInterval + 5 : 0);
        while (true)
        {
            try
            {
                MeshVerification.Verify(context, hosts, focus, table);
                return;
            }
            catch (FlatnetException e) when (e.Transient && DateTime.UtcNow < deadline)
            {
                context.Log.Info("rollout: the restarted lighthouse has not heard from every host yet; verifying again");
                Thread.Sleep(TimeSpan.FromSeconds(2));
            }
        }
    }
}

/// <summary>How a resumable rollout continues: the hosts done before, and what to record when a wave is verified.</summary>
public sealed record RolloutResume(IReadOnlyCollection<string> Done, Action<IReadOnlyList<string>> WaveVerified);
