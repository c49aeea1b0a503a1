Task("RenderAll")
    .Description("Render every host's files (no certificates or keys) into artifacts/render/, for review and CI diffs.")
    .Does(() => flatnet.RenderAll());

Task("PackageAll")
    .Description("Sign (where needed) and pack every host's bundle, in parallel, with a summary table: what CI runs.")
    .Does(() => flatnet.PackageAll());
