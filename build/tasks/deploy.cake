// Putting bundles on hosts: one host (the AddHost chain, declared by the tasks' dependencies) or the fleet.
FlatnetTask(new Flatnet.Workflows.DeployHostTask());
FlatnetTask(new Flatnet.Workflows.ConfigureRoutingTask());
FlatnetTask(new Flatnet.Workflows.UpdatePeersTask());
FlatnetTask(new Flatnet.Workflows.AddHostTask());
FlatnetTask(new Flatnet.Workflows.RolloutTask());
FlatnetTask(new Flatnet.Workflows.RemoveHostTask());
