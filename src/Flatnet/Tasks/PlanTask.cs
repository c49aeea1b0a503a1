using Flatnet.Provisioning;

namespace Flatnet.Tasks;

/// <summary>Plan: validates the inventory and prints who gets which address (<see cref="PlanReport"/>), or what it changes (<see cref="PlanDiff"/>).</summary>
[TaskName("Plan")]
[TaskDescription("Validate the inventory in hosts/ and print every host's Nebula IP, routed block and WSL2 address (--json). " +
                 "--diff: what the inventory changes per host (certificate, config, files, Nebula) against the newest release or --against=RELEASE.zip|GIT-REF, and which hosts a rollout touches; --format=md for a pull request, or --json.")]
public sealed class PlanTask : FlatnetTask
{
    public override IReadOnlyList<string> Options => ["json", "diff", "against", "format"];
    public override bool Writes => false;

    public override void Run(FlatnetContext context)
    {
        var format = context.WantsJson ? "json" : context.Arguments.Value("format") ?? "text";
        if (format is not ("text" or "md" or "json"))
            throw new UsageError($"'{Inventory.Grammar.Shown(format)}' is not a format Plan writes", "use --format=md (a pull-request comment), --format=text or --json", "--format");
        if (context.Arguments.Flag("diff"))
        {
            var text = PlanDiff.Format(PlanDiff.Compare(context, context.Arguments.Value("against")), format);
            if (format == "text") context.Log.Info(text);
            else context.PrintDocument(text);
        }
        else if (context.Arguments.Has("against") || context.Arguments.Has("format"))
            throw new UsageError("--against and --format go with --diff", "add --diff: ./build.sh --target=Plan --diff --against=main --format=md", context.Arguments.Has("against") ? "--against" : "--format");
        else if (format == "json") context.PrintDocument(PlanReport.Json(context.Plan));
        else context.Log.Info(PlanReport.Describe(context.Plan));
    }
}
