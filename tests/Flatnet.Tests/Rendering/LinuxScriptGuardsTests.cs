using Flatnet.Processes;

namespace Flatnet.Tests;

/// <summary>
/// The rendered Linux scripts' guards, run with bash as the reviewed golden files have them (battery 12): a pid file
/// that outlived a reboot names another program, or another account's, and is never signalled for Nebula or a watcher;
/// a pid file or watcher state is read only from a plain file, and written by replacing, never through a link; the
/// install root and every folder above it are root's alone.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class LinuxScriptGuardsTests
{
    private static readonly string Golden = Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "golden", "linux-host-a");

    /// <summary>Runs <paramref name="body"/> after the named functions of a golden script, as bash with -eu; stdout and the exit code.</summary>
    private static ProcessResult WithFunctions(string script, string[] functions, string body, string prelude = "")
    {
        var lines = File.ReadAllLines(Path.Combine(Golden, script));
        var picked = new List<string>();
        foreach (var f in functions)
        {
            var start = Array.FindIndex(lines, l => l.StartsWith(f + "() {", StringComparison.Ordinal));
            Assert.That(start, Is.Not.EqualTo(-1), $"{script} defines {f}()");
            var end = Array.FindIndex(lines, start, l => l == "}");
            picked.AddRange(lines[start..(end + 1)]);
        }
        return ProcessRunner.Run("bash", ["-c", "set -eu -o pipefail\ndie() { echo \"die: $*\"; exit 1; }\n" + prelude + "\n" + string.Join("\n", picked) + "\n" + body]);
    }

    private static readonly string[] PidFunctions = ["alive", "ours", "pid_in", "put_pid"];

    [Test]
    public void APidFileCountsOnlyForThisProgramsCommandLineAndIsNeverReadThroughALinkOrAFifo()
    {
        using var ws = new TestWorkspace();
        using var other = System.Diagnostics.Process.Start("sleep", "30");
        using var ours = System.Diagnostics.Process.Start("sh", ["-c", "sleep 30; :", "nebula", "-config", "/opt/flatnet/config/nebula/config.yaml"]);
        try
        {
            var run = ws.Root;
            var r = WithFunctions("install.sh", PidFunctions, $$"""
                cd '{{run}}'
                echo {{other.Id}} >other.pid; echo {{ours.Id}} >nebula.pid; echo ' {{ours.Id}}x' >words.pid
                ln -s nebula.pid link.pid; mkfifo fifo.pid
                for f in other nebula words link fifo; do
                  if ours "$(pid_in $f.pid)" "-config /opt/flatnet/config/nebula/config.yaml"; then echo "$f: ours"; else echo "$f: not ours"; fi
                done
                echo victim >victim; ln -s victim written.pid; put_pid written.pid 42
                echo "victim: $(cat victim); written: $(cat written.pid); link: $([ -L written.pid ] && echo yes || echo no)"
                """);
            Assert.That(r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
            {
                "other: not ours", "nebula: ours", "words: not ours", "link: not ours", "fifo: not ours",
                "victim: victim; written: 42; link: no",
            }), r.StdErr);
        }
        finally
        {
            other.Kill();
            ours.Kill();
        }
    }

    [Test]
    public void TheWatchersStateIsReadAsDecimalNumbersFromAPlainFileOnly()
    {
        using var ws = new TestWorkspace();
        var r = WithFunctions("scripts/direct-paths.sh", ["failures"], $$"""
            cd '{{ws.Root}}'
            printf '10.100.1.1 08\n10.100.2.1 3\n10.100.3.1 9\n10.100.4.1 x\n' >state
            for p in 10.100.1.1 10.100.2.1 10.100.3.1 10.100.4.1 10.100.5.1; do echo "$p $(failures $p)"; done
            rm state; mkfifo state; echo "fifo $(failures 10.100.1.1)"
            rm state; ln -s /dev/zero state; echo "link $(failures 10.100.1.1)"
            """, prelude: "STATE=state\nMAX_DOUBLINGS=8");
        Assert.That(r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            "10.100.1.1 8", "10.100.2.1 3", "10.100.3.1 0", "10.100.4.1 0", "10.100.5.1 0", "fifo 0", "link 0",
        }), r.StdErr);
    }

    [Test]
    public void TheInstallRootAndEveryFolderAboveItAreRootsAlone()
    {
        using var ws = new TestWorkspace();
        var r = WithFunctions("install.sh", ["root_only"], $$"""
            cd '{{ws.Root}}'
            mkdir mine theirs open sticky
            chmod 755 mine; chown 65534 theirs; chmod 777 open; chmod 1777 sticky
            for d in mine theirs open sticky; do (root_only "$PWD/$d" && echo "$d: ok") || true; done
            """);
        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(4), r.StdOut + r.StdErr);
        Assert.That(lines[0], Is.EqualTo("mine: ok"));
        Assert.That(lines[1], Does.StartWith("die: ").And.Contain("theirs belongs to uid 65534, not root").And.Contain("chown root"));
        Assert.That(lines[2], Does.StartWith("die: ").And.Contain("open is writable by other accounts (mode 777)").And.Contain("chmod go-w"));
        Assert.That(lines[3], Is.EqualTo("sticky: ok"), "a sticky folder such as /tmp is root's alone for what matters here");
    }
}
