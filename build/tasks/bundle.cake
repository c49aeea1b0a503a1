// Bundles: rendered files, checked by nebula -test, packed per host; releases of them all (Flatnet.Bundles).
Task("PackageBundle")
    .Description("Render --host's config.yaml and scripts, check them with nebula -test, pack artifacts/bundles/HOST.zip.")
    .IsDependentOn("GenerateCert")
    .Does(() => flatnet.PackageBundle(HostArgument()));

Task("RenderAll")
    .Description("Render every host's files (no certificates or keys) into artifacts/render/, for review and CI diffs.")
    .Does(() => flatnet.RenderAll());

Task("PackageAll")
    .Description("Sign (where needed) and pack every host's bundle, in parallel, with a summary table: what CI runs.")
    .Does(() => flatnet.PackageAll());

Task("Release")
    .Description("PackageAll, then artifacts/releases/flatnet-VERSION.zip (--release=1.2.0; Cake owns --version): every bundle, the inventory, a changelog; --include-keys if bundles carry keys.")
    .Does(() => flatnet.Release(Argument<string>("release", null), includeKeys: HasArgument("include-keys")));
