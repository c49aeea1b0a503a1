// Proof: what the mesh does now, read from the hosts.
FlatnetTask(new Flatnet.Workflows.VerifyPingTask());
FlatnetTask(new Flatnet.Workflows.DoctorTask());
FlatnetTask(new Flatnet.Workflows.StatusTask());
