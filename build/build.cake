// flatnet task graph. Every task body is one call into the Flatnet library (src/Flatnet); the logic lives there,
// where it is unit-tested. build.sh / build.ps1 publish the library to artifacts/tools/flatnet before Cake runs.
//   ./build.sh --target=Help                      list the targets
//   ./build.sh --target=Plan --help               one target's options and an example
//   ./build.sh --target=GenerateCert --host=host-b
#load "flatnet.cake"

var target = Argument("target", "Help");

Task("Help")
    .Description("List the targets, grouped; --topic=TARGET (what ./build.sh --target=TARGET --help asks): that target's options and an example.")
    .Does(() => Flatnet.Tasks.FinalError.Guard(flatnet.Log, "Help stopped", () => Information("{0}", Argument<string>("topic", null) is { } topic
        ? Flatnet.Tasks.Help.For(flatnetTasks, topic)
        : Flatnet.Tasks.Help.List(flatnetTasks))));

// An unknown target or argument is an error before anything runs, with the nearest name that fits.
Flatnet.Tasks.FinalError.Guard(flatnet.Log, "the command line", () => Flatnet.Tasks.CommandLine.Check(target, Context.Arguments.GetArguments().SelectMany(a => a.Value.DefaultIfEmpty(null).Select(_ => a.Key)), flatnetTasks, new[] { "Help" }, System.Environment.GetCommandLineArgs()));
RunTarget(target);
