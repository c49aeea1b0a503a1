// Bundles: rendered files, checked by nebula -test, packed per host; releases of them all.
FlatnetTask(new Flatnet.Workflows.PackageBundleTask());
FlatnetTask(new Flatnet.Workflows.RenderAllTask());
FlatnetTask(new Flatnet.Workflows.PackageAllTask());
FlatnetTask(new Flatnet.Workflows.ReleaseTask());
