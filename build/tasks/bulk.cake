Task("RenderAll")
    .Description("Render every host's files (no certificates or keys) into artifacts/render/, for review and CI diffs.")
    .Does(() => flatnet.RenderAll());

Task("PackageAll")
    .Description("Sign (where needed) and pack every host's bundle, in parallel, with a summary table: what CI runs.")
    .Does(() => flatnet.PackageAll());

Task("Rollout")
    .Description("Deploy every host (or --hosts=a,b) in waves of --wave-size (default 1), verifying after each; stops at the first failing wave.")
    .Does(() => flatnet.Rollout(
        HasArgument("hosts") ? Argument<string>("hosts").Split(',', StringSplitOptions.RemoveEmptyEntries) : null,
        Argument("wave-size", 1)));

Task("Benchmark")
    .Description("Lab figures side by side: throughput and latency (underlay, Nebula defaults, ours, WSL), AddHost, repair, Rollout, 1,000-host packaging.")
    .Does(() => Flatnet.Lab.LabBenchmark.Run(flatnet.Workspace, flatnet.Log, installPackages: true));

Task("Release")
    .Description("PackageAll, then artifacts/releases/flatnet-VERSION.zip (--release=1.2.0; Cake owns --version): every bundle, the inventory, a changelog; --include-keys if bundles carry keys.")
    .Does(() => flatnet.Release(Argument<string>("release", null), includeKeys: HasArgument("include-keys")));
