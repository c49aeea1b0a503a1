// flatnet task graph. Every task body is one call into the Flatnet library (src/Flatnet); the logic lives there,
// where it is unit-tested. build.sh / build.ps1 publish the library to artifacts/tools/flatnet before Cake runs.
//   ./build.sh --target=Help                      list the targets
//   ./build.sh --target=GenerateCert --host=host-b
#load "flatnet.cake"
#load "tasks/plan.cake"
#load "tasks/pki.cake"
#load "tasks/bundle.cake"
#load "tasks/deploy.cake"
#load "tasks/verify.cake"
#load "tasks/lab.cake"
#load "tasks/test.cake"
#load "tasks/tools.cake"

var target = Argument("target", "Help");

Task("Help")
    .Description("List the targets with what each does.")
    .Does(() =>
{
    Information("flatnet targets (./build.sh --target=NAME [--host=HOST] [--force]):");
    foreach (var task in Tasks.OrderBy(t => t.Name))
        Information("{0}", $"  {task.Name,-18} {task.Description}");
    Information("Common arguments: --host=NAME (host tasks), --force (re-sign/re-render), --inventory=DIR (default hosts), --artifacts=DIR (default artifacts).");
    Information("Cake's own: --description (this list), --tree (what each target runs first), --target=NAME --dryrun.");
});

RunTarget(target);
