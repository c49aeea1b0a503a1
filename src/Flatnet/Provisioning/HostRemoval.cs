using Flatnet.Pki;
using Flatnet.Transport;
using Flatnet.Addressing;
using Flatnet.Inventory;
using Flatnet.Rendering;
using Flatnet.Files;

namespace Flatnet.Provisioning;

/// <summary>What RemoveHost did: the peers it brought to the plan without the host, whether the host itself was reached.</summary>
public sealed record RemovalOutcome(string Host, PeerRollout? Peers, bool Uninstalled, bool InventoryDeleted);

/// <summary>
/// Host removal (RemoveHost), the reverse of AddHost: the host's certificate goes on the blocklist (so it is out of the plan), every
/// peer is brought to a config without its block (their WSL2s route the whole pool and do not change), Nebula and routing come off the host
/// if it can be reached (and the steps by hand are printed if not), and VerifyPing proves the rest of the mesh whole
/// and the host gone. Its inventory file is deleted only when asked. Re-running finishes what a failure left and
/// otherwise changes nothing.
/// </summary>
public static class HostRemoval
{
    public static RemovalOutcome Remove(FlatnetContext context, string host, bool deleteInventory) => new Removal(context).Remove(host, deleteInventory);

    /// <summary>One removal: what it does with the context it was given.</summary>
    private sealed class Removal(FlatnetContext context)
    {
        public RemovalOutcome Remove(string host, bool deleteInventory)
        {
            var inventory = context.Plan.Inventory;
            if (context.Plan.Hosts.All(h => h.Name != host) && OrphanedHosts.Find(context).Contains(host)) return RemoveOrphan(host, deleteInventory);
            if (context.Plan.Hosts.All(h => h.Name != host) && inventory.IsRevoked(host))
            {
                context.Log.Info($"{host}: not in the inventory, and its certificate is on the blocklist: already removed, nothing to do");
                return new RemovalOutcome(host, null, Uninstalled: false, InventoryDeleted: false);
            }
            var h = context.Plan.Host(host); // "no host named ..." when it never was
            if (deleteInventory) RequireNoLinkToItsArtifacts(host);
            // Joined, its reply never given: it was never signed or deployed, so no peer knows it and nothing is on it
            // (battery 30: RemoveHost asked for the fingerprint of a certificate that never was).
            if (h.Host.Deploy.AwaitingJoin && !IsSigned(host))
            {
                if (deleteInventory)
                {
                    DeleteInventory(h);
                    var join = Path.Combine(context.Workspace.ArtifactsDirectory, "join", host);
                    if (Directory.Exists(join)) context.Log.Info($"{host}: its join script stays in {Workspace.Relative(join)} (it carries no secret); delete that folder when you no longer need it");
                }
                else context.Log.Info($"{host}: never signed (it awaits its join reply), so there is nothing to revoke or take off it; " +
                                      $"./build.sh --target=RemoveHost --host={host} --delete-inventory deletes {Workspace.Relative(h.Host.File)}");
                return new RemovalOutcome(host, null, Uninstalled: false, InventoryDeleted: deleteInventory);
            }
            var model = context.Model(h);
            var rerun = $"./build.sh --target=RemoveHost --host={host}{(deleteInventory ? " --delete-inventory" : "")}";
            Revocation.Record(context, host, rerun);
            var peers = Revocation.AfterRecorded(context, host, rerun, () => PeerConvergence.Update(context, host, $"the removal of {host} is recorded", rerun));
            var uninstalled = Uninstall(h, model, rerun);
            ProveGone(h);
            if (deleteInventory) DeleteInventory(h);
            else context.Log.Info($"{host}: {Workspace.Relative(h.Host.File)} stays, for the record (its address stays taken); --delete-inventory deletes it");
            return new RemovalOutcome(host, peers, uninstalled, deleteInventory);
        }

        /// <summary>Nebula and routing off the host. An unreachable host is not an error: its certificate is refused everywhere already.</summary>
        private bool Uninstall(HostAddresses h, HostModel model, string rerun)
        {
            if (h.Host.Deploy.Transport == DeployTransport.None)
            {
                context.Log.Warn($"{h.Name}: flatnet does not deploy to it (transport: none); take Nebula off it by hand, {context.Platform(h).UninstallByHand(model)}");
                return false;
            }
            IHostConnection connection;
            try
            {
                connection = context.Connection(h);
            }
            catch (FlatnetException e)
            {
                context.Log.Warn($"{h.Name}: {e.Problem.Split('\n')[0]}. Its Nebula is still installed there, but every peer refuses its certificate now. " +
                                 $"When it is back, run {rerun}; or on {h.Name}, {context.Platform(h).UninstallByHand(model)}");
                return false;
            }
            // the run's connection: the run closes it
            {
                using var scratch = TempFolders.Create(context.Workspace.ArtifactsDirectory, "remove");
                var scripts = scratch.Path;
                foreach (var file in context.Render(model).Where(f => f.Path.StartsWith("scripts/", StringComparison.Ordinal)))
                {
                    var path = Path.Combine(scripts, Path.GetFileName(file.Path));
                    File.WriteAllBytes(path, file.Content);
                    if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)file.Mode);
                }
                foreach (var result in context.Platform(h).Uninstall(model, scripts, connection))
                    foreach (var line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                        context.Log.Info($"{h.Name}: {line.TrimEnd('\r')}");
            }
            return true;
        }

        /// <summary>Whether flatnet ever signed <paramref name="host"/> (its certificate is in its pki/): only then is it in the mesh.</summary>
        private bool IsSigned(string host) => File.Exists(Path.Combine(HostCertificates.OwnPkiDirectory(context.Workspace, host, Revocation.KeepTheCertificate), "host.crt"));

        /// <summary>The others reach each other (VerifyPing), and none of them reaches the removed host's Nebula IP.</summary>
        private void ProveGone(HostAddresses gone)
        {
            // Only hosts in the mesh: one never signed (its key made at its first AddHost) is not reached (battery 42: it blocked every removal).
            var others = context.Plan.Deployable.Where(o => IsSigned(o.Name)).ToList();
            var byHand = context.Plan.Active.Where(h => h.Host.Deploy.Transport == DeployTransport.None).Select(h => h.Name).ToList();
            var unchecked_ = byHand.Count == 0 ? "" : $"; {string.Join(", ", byHand)} (installed by hand, confirmed) cannot be checked from here: run its doctor (scripts/flatnet-doctor) on each by hand";
            if (others.Count == 0)
            {
                context.Log.Info($"{gone.Name}: removed{(byHand.Count == 0 ? "; no other host is in the mesh" : unchecked_)}");
                return;
            }
            var matrix = MeshVerification.Verify(context, others.Select(o => o.Name));
            var answered = new List<string>();
            foreach (var o in others)
            {
                var c = context.Connection(o);
                if (context.Platform(o).Ping(c, context.Model(o), fromWsl: false, gone.OverlayAddress, attempts: 2).Ok) answered.Add(o.Name);
            }
            if (answered.Count > 0)
                throw new FlatnetException($"{gone.Name} still answers at {gone.OverlayAddress} from {string.Join(", ", answered)}",
                    fix: $"a peer still runs an old config: ./build.sh --target=Status shows its tunnels; re-run RemoveHost --host={gone.Name}");
            context.Log.Info($"{gone.Name}: gone from the mesh: no host reaches {gone.OverlayAddress}; the other {others.Count} reach each other ({matrix.Results.Count} pings){unchecked_}");
        }

        /// <summary>Refuses, before anything is recorded or deleted, when a folder on the way to the host's bundle or render files is a link: nothing is deleted through one.</summary>
        private void RequireNoLinkToItsArtifacts(string host)
        {
            SafeFiles.RequireNoLinkOnTheWay(Path.GetDirectoryName(context.Workspace.BundlePath(host))!);
            SafeFiles.RequireNoLinkOnTheWay(context.Workspace.HostDirectory(host)); // battery 41: its listing was deleted through a link there
            SafeFiles.RequireNoLinkOnTheWay(Path.Combine(context.Workspace.ArtifactsDirectory, "render"));
        }

        /// <summary>
        /// What flatnet writes in a host's artifacts folder, for SafeFiles.DeleteWritten:
        /// the files of its pki/, its bundle and render folders as their own listings name them, its build records and
        /// marks. Anything else there is someone else's and stays.
        /// </summary>
        private static HashSet<string> FlatnetsOwn(string artifacts)
        {
            string[] own = ["pki/host.key", "pki/host.pub", "pki/ca.crt", "pki/host.crt", "pki/request.json",
                "host.pub", "installed-by-hand", "renewal-awaiting-install", "render.files", ".bundle.flatnet", ".render.flatnet",
                "bundle.inputs", "render.inputs"];
            // What a listing names and still holds what flatnet wrote (SafeFiles.WrittenAsListed: a forged line vouches for nothing).
            string[] listed(string folder, string listing) => SafeFiles.WrittenAsListed(Path.Combine(artifacts, folder), Path.Combine(artifacts, listing)).Select(l => $"{folder}/{l}").ToArray();
            // Each of flatnet's names only while it holds what flatnet writes there (battery 33: a user's notes there went).
            return [.. own.Where(n => StateShapes.Of(n) is not { } shape || StateShapes.Holds(Path.Combine(artifacts, n), shape)),
                .. listed("bundle", ".bundle.flatnet"), .. listed("render", ".render.flatnet")];
        }

        /// <summary>The host's inventory file, and what flatnet made for it (its key, certificate and bundles); the blocklist keeps its fingerprint.</summary>
        private void DeleteInventory(HostAddresses h)
        {
            File.Delete(Path.GetFullPath(h.Host.File));
            context.Log.Info($"{h.Name}: deleted {h.Host.File}");
            DeleteArtifacts(h.Name);
            context.InventoryChanged();
        }

        /// <summary>What flatnet made for the host (its key, certificate and bundles), and nothing of anyone else's; the caller has refused links on the way (<see cref="RequireNoLinkToItsArtifacts"/>) before anything changed.</summary>
        private void DeleteArtifacts(string host)
        {
            var artifacts = context.Workspace.HostDirectory(host);
            var zip = context.Workspace.BundlePath(host);
            if (TempFolders.IsLink(zip) || File.Exists(zip) && Bundles.BundleFolder.IsBundleZip(zip)) File.Delete(zip);
            else if (File.Exists(zip)) context.Log.Warn($"{Workspace.Relative(zip)} is not a bundle of flatnet's; left as it is");
            // Its render folder, by the listing of what flatnet wrote there (render.files), before that listing goes.
            var render = Path.Combine(context.Workspace.ArtifactsDirectory, "render", host);
            var listing = Path.Combine(artifacts, "render.files");
            if (Directory.Exists(render) && !TempFolders.IsLink(render) && File.Exists(listing) && SafeFiles.DeleteWritten(render, listing, context.Log))
                context.Log.Info($"{host}: deleted its rendered files ({Workspace.Relative(render)})");
            if (TempFolders.IsLink(artifacts))
                context.Log.Warn($"{host}: {Workspace.Relative(artifacts)} is a link, not a folder flatnet made: nothing was deleted through it (its key and certificate, if they are behind it, are yours to delete)");
            else if (Directory.Exists(artifacts) && SafeFiles.IsInsideOwned(artifacts))
            {
                if (SafeFiles.DeleteWritten(artifacts, FlatnetsOwn(artifacts), context.Log))
                    context.Log.Info($"{host}: deleted its key, certificate and bundle ({Workspace.Relative(artifacts)})");
                // A private key that stays is named as such (battery 43: with its bundle's listing gone, bundle/host.key
                // stayed under "deleted its key").
                else if (new[] { "pki/host.key", "bundle/host.key" }.Select(k => Path.Combine(artifacts, k)).Where(File.Exists).ToList() is { Count: > 0 } keys)
                    context.Log.Warn($"{host}: deleted what flatnet can tell it wrote; {Workspace.Relative(artifacts)} stays for the files above, among them a private key " +
                                     $"({string.Join(", ", keys.Select(Workspace.Relative))}): delete it once you no longer need it (rm {string.Join(" ", keys.Select(Workspace.Relative))})");
                else context.Log.Info($"{host}: deleted its key, certificate and bundle; {Workspace.Relative(artifacts)} stays for the files above, which flatnet did not write");
            }
        }

        /// <summary>
        /// A host no file of the inventory describes any more (renamed or deleted by hand), whose certificate flatnet
        /// signed: revoked and rolled out as any removal; it cannot be reached (no address is known), so taking Nebula
        /// off it is said as a step by hand; --delete-inventory deletes what flatnet made for it.
        /// </summary>
        private RemovalOutcome RemoveOrphan(string host, bool deleteInventory)
        {
            if (deleteInventory) RequireNoLinkToItsArtifacts(host);
            var rerun = $"./build.sh --target=RemoveHost --host={host}{(deleteInventory ? " --delete-inventory" : "")}";
            Revocation.Record(context, host, rerun);
            var peers = Revocation.AfterRecorded(context, host, rerun, () => PeerConvergence.Update(context, host, $"the removal of {host} is recorded", rerun));
            context.Log.Warn($"{host}: no file of the inventory describes it, so flatnet cannot reach it: take Nebula off it by hand (its scripts\\uninstall.ps1, or scripts/uninstall.sh)");
            if (deleteInventory) DeleteArtifacts(host);
            return new RemovalOutcome(host, peers, Uninstalled: false, InventoryDeleted: deleteInventory);
        }
    }
}
