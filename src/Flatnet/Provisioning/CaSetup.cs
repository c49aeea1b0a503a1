namespace Flatnet.Provisioning;

/// <summary>The CA at the paths network.yaml names (InitCa), made only when none exists (never overwritten), and the CA a signing step needs.</summary>
public static class CaSetup
{
    /// <returns>true when a CA was created, false when one was already there.</returns>
    public static bool Init(FlatnetContext context)
    {
        var made = context.Ca.Init();
        _ = context.Admin; // the admin key beside it, its public half recorded in network.yaml (renders alike in every clone)
        return made;
    }

    /// <summary>
    /// The CA a signing task needs, before any host is touched: missing, it is an error naming InitCa (never a new CA
    /// the lighthouse would not trust), unless ca.create_if_missing (the lab) makes one, with a warning saying why that may be wrong.
    /// </summary>
    public static void Ensure(FlatnetContext context)
    {
        var network = context.Plan.Inventory.Network;
        if (!network.Ca.CreateIfMissing)
        {
            context.Ca.RequireExisting();
            return;
        }
        if (!context.Ca.Init(quietIfExists: true)) return;
        context.Log.Warn($"no CA was found, so a new one was made ({network.File}: ca.create_if_missing is true). " +
                         "If your lighthouse already has a CA (Stage 1), hosts signed by this one cannot join it: copy its ca.crt and ca.key " +
                         $"to {Workspace.Relative(network.Ca.CrtPath)} and {Workspace.Relative(network.Ca.KeyPath)}, set create_if_missing: false, and re-run with --force.");
    }
}
