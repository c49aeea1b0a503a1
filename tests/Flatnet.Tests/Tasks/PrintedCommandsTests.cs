using System.Text.RegularExpressions;

namespace Flatnet.Tests;

/// <summary>
/// Every command flatnet prints for a person to run (a fix, a next step, a script's help) works as printed: each
/// `./build.sh --target=X --flag...` in the library's source and templates names a target that exists and only
/// arguments that target reads. RevokeHost's and RemoveHost's fix once said `--manual-steps-done`, which both refused.
/// </summary>
public partial class PrintedCommandsTests
{
    [GeneratedRegex(@"\./build\.sh --target=([A-Za-z]+)((?: --[a-z][a-z-]*(?:=[^ ""`)\\]*)?)*)")]
    private static partial Regex Printed();

    /// <summary>Every `./build.sh --target=...` in <paramref name="text"/> (a printed fix) is one its target accepts, as printed.</summary>
    public static void AssertAccepted(string text)
    {
        var registered = TaskRuns.Registered.ToList();
        var commands = Printed().Matches(text).ToList();
        Assert.That(commands, Is.Not.Empty, $"no command in: {text}");
        foreach (var m in commands)
            Assert.DoesNotThrow(() => CommandLine.Check(m.Groups[1].Value, Regex.Matches(m.Groups[2].Value, "--([a-z][a-z-]*)").Select(g => g.Groups[1].Value), registered, ["Help"]), m.Value);
    }

    [Test]
    public void EveryPrintedBuildCommandIsOneItsTargetAccepts()
    {
        var sources = Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(TestWorkspace.RepoRoot, "templates"), "*.scriban", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
        var commands = sources.SelectMany(f => Printed().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Target: m.Groups[1].Value,
            Flags: Regex.Matches(m.Groups[2].Value, "--([a-z][a-z-]*)").Select(g => g.Groups[1].Value).ToList()))).Distinct().ToList();
        Assert.That(commands, Has.Count.GreaterThan(30), "the library prints many");
        var registered = TaskRuns.Registered.ToList();
        var wrong = new List<string>();
        foreach (var (file, target, flags) in commands)
        {
            try { CommandLine.Check(target, flags, registered, ["Help"]); }
            catch (FlatnetException e) { wrong.Add($"{file}: ./build.sh --target={target} {string.Join(" ", flags.Select(f => "--" + f))}: {e.Message.Split('\n')[0]}"); }
        }
        Assert.That(wrong, Is.Empty);
    }
}
