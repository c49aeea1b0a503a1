// The local lab: real nebula and sshd in network namespaces (Flatnet.Lab), and the figures measured in it.
Task("Lab")
    .Description("Build the local lab (namespaces, real nebula + sshd), AddHost every example host, print the ping matrix, tear down (--keep leaves it up). --nebula=V[,V..] (hosts), --lighthouse-nebula=V, --ca-version=1|2, --managed-lighthouse (flatnet deploys the lighthouse over SSH, first).")
    .Does(() => lab.Lab(HasArgument("keep"), Argument<string>("nebula", null), Argument<string>("lighthouse-nebula", null), Argument<string>("ca-version", null),
        HasArgument("managed-lighthouse")));

Task("LabClean")
    .Description("Remove what a kept or interrupted lab left: its namespaces, processes and link.")
    .Does(() => lab.LabClean());

Task("Benchmark")
    .Description("Lab figures side by side: throughput and latency (underlay, Nebula defaults, ours, WSL), AddHost, repair, Rollout, relays per Nebula release, 1,000-host packaging (cold, warm, one change). --part=data-path|rollout|relays|packaging runs one.")
    .Does(() => lab.Benchmark(Argument<string>("part", null)));
