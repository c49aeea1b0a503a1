Task("PackageBundle")
    .Description("Render --host's config.yaml and scripts, check them with nebula -test, pack artifacts/bundles/HOST.zip.")
    .IsDependentOn("GenerateCert")
    .Does(() => flatnet.PackageBundle(HostArgument()));
