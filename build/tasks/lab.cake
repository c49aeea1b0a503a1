// The local lab: real nebula and sshd in network namespaces (Flatnet.Lab), and the figures measured in it.
FlatnetTask(new Flatnet.Lab.LabTask());
FlatnetTask(new Flatnet.Lab.LabCleanTask());
FlatnetTask(new Flatnet.Lab.BenchmarkTask());
