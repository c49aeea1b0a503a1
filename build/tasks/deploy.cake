Task("DeployHost")
    .Description("Push --host's bundle over its transport (SSH; host key checked) and run its install script there.")
    .IsDependentOn("PackageBundle")
    .Does(() => flatnet.DeployHost(HostArgument()));

Task("ConfigureRouting")
    .Description("Run wsl-routing.sh inside --host's WSL2 and setup-routing.ps1 (host-routing.sh on Linux) on the host.")
    .IsDependentOn("DeployHost")
    .Does(() => flatnet.ConfigureRouting(HostArgument()));

Task("UpdatePeers")
    .Description("Re-render the other hosts (a new block is their new unsafe route) and redeploy those whose bundle changed.")
    .IsDependentOn("ConfigureRouting")
    .Does(() => flatnet.UpdatePeers(HostArgument()));

Task("VerifyPing")
    .Description("Ping matrix: hosts and WSL2s to every other host's Nebula IP and WSL2; table + artifacts/verify/ping-matrix.json.")
    .Does(() => flatnet.VerifyPing());

Task("AddHost")
    .Description("Put --host in the mesh: GenerateCert -> PackageBundle -> DeployHost -> ConfigureRouting -> UpdatePeers -> VerifyPing.")
    .IsDependentOn("UpdatePeers")
    .IsDependentOn("VerifyPing");

Task("Lab")
    .Description("Build the local lab (namespaces, real nebula + sshd), AddHost every example host, print the ping matrix, tear down (--keep leaves it up). --nebula=V[,V..] (hosts), --lighthouse-nebula=V, --ca-version=1|2.")
    .Does(() => Flatnet.Lab.LabRunner.Run(flatnet.Workspace, flatnet.Log, keep: HasArgument("keep"), installPackages: true,
        Flatnet.Lab.LabVersions.Parse(Argument<string>("nebula", null), Argument<string>("lighthouse-nebula", null), Argument<string>("ca-version", null))));

Task("LabClean")
    .Description("Remove what a kept or interrupted lab left: its namespaces, processes and link.")
    .Does(() => Flatnet.Lab.LabNetwork.Clean(flatnet.Log));
