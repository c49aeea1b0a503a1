// flatnet task graph. Every task body is one call into the Flatnet library (src/Flatnet); the logic lives there,
// where it is unit-tested. build.sh / build.ps1 publish the library to artifacts/tools/flatnet before Cake runs.
//   ./build.sh --target=Help                      list the targets
//   ./build.sh --target=GenerateCert --host=host-b
#load "flatnet.cake"

var target = Argument("target", "Help");

Task("Help")
    .Description("List the targets with what each does.")
    .Does(() =>
{
    Information("flatnet targets (./build.sh --target=NAME [--host=HOST] [--force]):");
    foreach (var task in Tasks.OrderBy(t => t.Name))
        Information("{0}", $"  {task.Name,-18} {task.Description}");
    Information("Every target takes: --inventory=DIR (default hosts), --artifacts=DIR (default artifacts), --lock-wait=SECONDS (default 10); any other argument must be one the target reads.");
    Information("--json (Status, Plan, VerifyPing, CheckCerts, PackageAll): one JSON document alone on stdout. NO_COLOR=1, or a pipe, turns colours off.");
    Information("Cake's own: --description (this list), --tree (what each target runs first), --target=NAME --dryrun, --verbosity=quiet|normal|diagnostic.");
});

// An unknown target or argument is an error before anything runs, with the nearest name that fits.
Flatnet.Tasks.FinalError.Guard(flatnet.Log, "the command line", () => Flatnet.Tasks.CommandLine.Check(target, Context.Arguments.GetArguments().SelectMany(a => a.Value.DefaultIfEmpty(null).Select(_ => a.Key)), flatnetTasks, new[] { "Help" }));
RunTarget(target);
