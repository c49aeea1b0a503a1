using Flatnet.Tools;

namespace Flatnet.Tests;

/// <summary>
/// Debian's chromium, headless, on a local file: a screenshot and the DOM it built. As root it runs in a network
/// namespace of its own (loopback only), so nothing it might try to fetch leaves the machine; the page needs nothing.
/// </summary>
public static class HeadlessChromium
{
    public static string Program => global::Flatnet.Lab.LabPrerequisites.Which("chromium")
        ?? throw new AssertionException("chromium is not installed: the report's browser test needs Debian's chromium (./build.sh --target=Test installs it; by hand: apt-get install chromium)");

    public static void Screenshot(string html, string png, int width, int height) =>
        Run(html, [$"--window-size={width},{height}", $"--screenshot={png}"]);

    public static string DumpDom(string html) => Run(html, ["--dump-dom"]);

    private static string Run(string html, IEnumerable<string> mode)
    {
        var profile = Directory.CreateTempSubdirectory("flatnet-chromium-").FullName;
        try
        {
            var arguments = new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
                $"--user-data-dir={profile}",
            }.Concat(mode).Append(new Uri(Path.GetFullPath(html)).AbsoluteUri).ToList();
            var root = Environment.UserName == "root" && global::Flatnet.Lab.LabPrerequisites.Which("unshare") is not null;
            var r = root
                ? ProcessRunner.Run("unshare", new[] { "--net", "--", Program }.Concat(arguments), timeout: TimeSpan.FromMinutes(2))
                : ProcessRunner.Run(Program, arguments, timeout: TimeSpan.FromMinutes(2));
            if (r.ExitCode != 0) throw new AssertionException($"chromium failed (exit {r.ExitCode}): {r.StdErr}");
            return r.StdOut;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
