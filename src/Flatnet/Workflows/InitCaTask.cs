namespace Flatnet.Workflows;

/// <summary>InitCa: the CA at the paths network.yaml names, made only when none exists (never overwritten).</summary>
public sealed class InitCaTask : FlatnetTask
{
    public override string Name => "InitCa";
    public override string Description => "Create the CA at the paths hosts/network.yaml names, only when none exists (never overwrites).";

    public override void Run(FlatnetContext context) => InitCa(context);

    /// <returns>true when a CA was created, false when one was already there.</returns>
    public static bool InitCa(FlatnetContext context) => context.Ca.Init();

    /// <summary>With ca.create_if_missing, host tasks make the CA on first use; the warning says why that may be wrong.</summary>
    public static void EnsureCa(FlatnetContext context)
    {
        var network = context.Plan.Inventory.Network;
        if (!network.Ca.CreateIfMissing || !context.Ca.Init(quietIfExists: true)) return;
        context.Log.Warn($"no CA was found, so a new one was made ({network.File}: ca.create_if_missing is true). " +
                         "If your lighthouse already has a CA (Stage 1), hosts signed by this one cannot join it: copy its ca.crt and ca.key " +
                         $"to {Workspace.Relative(network.Ca.CrtPath)} and {Workspace.Relative(network.Ca.KeyPath)}, set create_if_missing: false, and re-run with --force.");
    }
}
