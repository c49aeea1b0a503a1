// The project's own tests, on a fresh machine: what CI runs.
FlatnetTask(new Flatnet.Lab.TestTask());
