using Flatnet.Output;
using Flatnet.Processes;

namespace Flatnet.Lab;

/// <summary>
/// The programs a lab needs (and, for the tests, the browser that renders the report). As root on Debian/Ubuntu it
/// installs what is missing; otherwise it says what to install.
/// </summary>
public static class LabPrerequisites
{
    private static readonly (string Program, string Package)[] Needed =
    [
        ("ip", "iproute2"), ("iptables", "iptables"), ("ping", "iputils-ping"), ("nebula", "nebula"), ("nebula-cert", "nebula"),
        ("sshd", "openssh-server"), ("ssh-keygen", "openssh-client"), ("setsid", "util-linux"),
        ("kill", "procps"), ("pgrep", "procps"), ("sysctl", "procps"),
    ];

    /// <summary>
    /// The tests beyond the lab: Debian's chromium for the report's browser test (run in a network namespace of its
    /// own), ShellCheck for the rendered shell scripts, promtool (Debian's prometheus) for the metrics files.
    /// </summary>
    private static readonly (string Program, string Package)[] Browser = [("chromium", "chromium"), ("unshare", "util-linux"), ("shellcheck", "shellcheck"), ("promtool", "prometheus")];

    public static void Ensure(IReporter log, bool install, bool browser = false)
    {
        var needed = browser ? Needed.Concat(Browser).ToArray() : Needed;
        var missing = needed.Where(n => Which(n.Program) is null).ToList();
        if (missing.Count == 0) return;
        var packages = missing.Select(m => m.Package).Distinct().ToList();
        var command = "apt-get install -y " + string.Join(' ', packages);
        if (!install || Which("apt-get") is null)
            throw new FlatnetException($"the {(browser ? "tests need" : "lab needs")} {string.Join(", ", missing.Select(m => m.Program))}, which are not installed.", fix: $"{command}");
        log.Info($"lab: installing {string.Join(", ", packages)} ({command})");
        ProcessRunner.Run("apt-get", ["update", "-qq"], timeout: TimeSpan.FromMinutes(5)).EnsureSuccess("apt-get update");
        ProcessRunner.Run("apt-get", new[] { "install", "-y", "-qq", "--no-install-recommends" }.Concat(packages), timeout: TimeSpan.FromMinutes(10))
            .EnsureSuccess(command);
        var still = needed.Where(n => Which(n.Program) is null).Select(n => n.Program).ToList();
        if (still.Count > 0) throw new FlatnetException($"after {command}, still missing: {string.Join(", ", still)}");
    }

    /// <summary>The program as PATH finds it (what the user put first wins), then the sbin folders a non-root PATH may lack.</summary>
    public static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
}
