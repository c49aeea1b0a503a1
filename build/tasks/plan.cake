// The inventory: Init turns the example into a real fleet's; Plan reads it and writes nothing.
FlatnetTask(new Flatnet.Workflows.InitTask());
FlatnetTask(new Flatnet.Workflows.JoinTask());
FlatnetTask(new Flatnet.Workflows.PlanTask());
