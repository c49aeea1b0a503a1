using Flatnet.Rendering;
using Flatnet.Tools;

namespace Flatnet.Provisioning;

public sealed partial class FlatnetContext
{
    /// <summary>What one run asks once and every worker shares: tool instances, the Windows release, the templates' hash, the bundles written.</summary>
    private sealed class RunMemo
    {
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, Nebula> Nebulas = new();
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<RenderedFile>> ShippedNebula = new();
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> ShippedNebulaDigest = new();
        public string? Templates;
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> BundlesWritten = new();
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Inputs, BundleOutcome Outcome)> Packed = new();
    }

    /// <summary>
    /// What this run did with each host's bundle: written anew (--manual-steps-done never confirms such a bundle:
    /// nobody installed it yet), and packed from which inputs (null: not from those), so it is not packed twice.
    /// </summary>
    public bool BundleWrittenThisRun(string host) => _memo.BundlesWritten.ContainsKey(host);
    public void BundleWritten(string host) => _memo.BundlesWritten[host] = true;
    public BundleOutcome? PackedThisRun(string host, string inputs) => _memo.Packed.TryGetValue(host, out var p) && p.Inputs == inputs ? p.Outcome : null;
    public BundleOutcome Packed(string host, string inputs, BundleOutcome outcome) { _memo.Packed[host] = (inputs, outcome); return outcome; }
}
