using Flatnet.Verification;

namespace Flatnet.Deploy;

/// <summary>
/// The rollout workflow: deploys hosts in waves, verifying the mesh of everything rolled out so far after each wave,
/// and stops at the first wave that fails: hosts already rolled out stay as they are, later ones are not touched.
/// This is how a change that affects every config (a new host's block, a revocation) reaches the fleet.
/// </summary>
public sealed class Rollout(FlatnetContext context)
{
    public IReadOnlyList<string> Run(IEnumerable<string>? hosts = null, int waveSize = 1)
    {
        if (waveSize < 1) throw new FlatnetException("must be 1 or more", fix: "--wave-size=1 deploys one host at a time", field: "--wave-size");
        var plan = context.Plan;
        var selected = (hosts?.Select(h => plan.Host(h.Trim()).Name) ?? plan.Deployable.Select(h => h.Name)).ToList();
        var waves = selected.Chunk(waveSize).ToList();
        var done = new List<string>();
        for (var w = 0; w < waves.Count; w++)
        {
            context.Log.Info($"rollout: wave {w + 1}/{waves.Count}: {string.Join(", ", waves[w])}");
            var touched = new List<string>();
            try
            {
                foreach (var host in waves[w])
                {
                    touched.Add(host);
                    AddHostSteps.Provision(context, host);
                }
                new PingVerification(context).Verify(done.Concat(waves[w]));
            }
            catch (FlatnetException e)
            {
                var untouched = selected.Except(done).Except(touched).ToList();
                throw new FlatnetException($"rollout stopped at wave {w + 1}/{waves.Count} ({string.Join(", ", waves[w])}): {e.Message}\n" +
                                           $"    rolled out: {(done.Count == 0 ? "none" : string.Join(", ", done))}; failed in this wave: {string.Join(", ", touched)}; " +
                                           $"not touched: {(untouched.Count == 0 ? "none" : string.Join(", ", untouched))}", inner: e);
            }
            done.AddRange(waves[w]);
            context.Log.Info($"rollout: wave {w + 1}/{waves.Count} verified ({done.Count} of {selected.Count} hosts rolled out)");
        }
        context.Log.Info($"rollout: done, {done.Count} host(s) in {waves.Count} wave(s): {string.Join(", ", done)}");
        return done;
    }
}
