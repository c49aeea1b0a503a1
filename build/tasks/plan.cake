// Reading the inventory: nothing here writes.
FlatnetTask(new Flatnet.Workflows.PlanTask());
