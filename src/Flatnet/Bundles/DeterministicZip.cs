using System.IO.Compression;
using Flatnet.Rendering;

namespace Flatnet.Bundles;

/// <summary>
/// Zips whose bytes depend only on their contents: sorted entries (in the order a person counts, bundles/pc-2.zip before
/// bundles/pc-10.zip, as every list of hosts; ties by their characters), a fixed time, explicit Unix modes.
/// </summary>
public static class DeterministicZip
{
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static byte[] Create(IEnumerable<RenderedFile> files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var f in files.OrderBy(f => f.Path, Output.NaturalOrder.Instance).ThenBy(f => f.Path, StringComparer.Ordinal))
            {
                var entry = zip.CreateEntry(f.Path, CompressionLevel.Optimal);
                entry.LastWriteTime = EntryTime;
                entry.ExternalAttributes = (0x8000 | f.Mode) << 16; // regular file + Unix mode, for unzip on Linux
                using var s = entry.Open();
                s.Write(f.Content);
            }
        }
        return buffer.ToArray();
    }
}
