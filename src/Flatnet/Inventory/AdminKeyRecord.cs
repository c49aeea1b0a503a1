namespace Flatnet.Inventory;

/// <summary>
/// Writes nebula.admin_key into network.yaml once, as a line under its `nebula:` mapping (<see cref="YamlLines"/>),
/// leaving every other line and comment as the user wrote it.
/// </summary>
public static class AdminKeyRecord
{
    /// <returns>The file written, or null when it already records a key.</returns>
    public static string? Record(string inventoryDirectory, string publicKey)
    {
        if (Edited(inventoryDirectory, publicKey) is not { } yaml) return null;
        yaml.Save();
        return yaml.File;
    }

    /// <summary>
    /// Refuses now what would stop <see cref="Record"/> later (network.yaml not UTF-8, not a plain file, `nebula:` on one
    /// line): a writing run asks before its first write, not after making the CA and the key (battery 44).
    /// </summary>
    public static void RequireRecordable(string inventoryDirectory) => _ = Edited(inventoryDirectory, "ssh-ed25519 KEY");

    /// <summary>network.yaml with the key's line set (in memory), or null when it records a key already.</summary>
    private static YamlLines? Edited(string inventoryDirectory, string publicKey)
    {
        var file = Path.Combine(inventoryDirectory, InventoryLoader.NetworkFileName);
        var yaml = new YamlLines(file);
        if (yaml.Get("nebula.admin_key") is not null) return null;
        const string comment = "flatnet's admin key, public half (the private one stays in pki/); commit it";
        if (!yaml.Set("nebula.admin_key", $"\"{publicKey}\"", comment))
            throw new FlatnetException("nebula: is written on one line, so flatnet cannot add admin_key under it",
                $"write nebula: as a block and add the line  admin_key: \"{publicKey}\"", Workspace.Relative(file), "nebula.admin_key");
        return yaml;
    }
}
