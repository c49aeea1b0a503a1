// Putting bundles on hosts: one host (the AddHost chain, whose order Flatnet.Deploy.AddHostSteps pins) or the fleet.
Task("DeployHost")
    .Description("Push --host's bundle over its transport (SSH; host key checked) and run its install script there.")
    .IsDependentOn("PackageBundle")
    .Does(() => flatnet.DeployHost(HostArgument()));

Task("ConfigureRouting")
    .Description("Run wsl-routing.sh inside --host's WSL2 and setup-routing.ps1 (host-routing.sh on Linux) on the host.")
    .IsDependentOn("DeployHost")
    .Does(() => flatnet.ConfigureRouting(HostArgument()));

Task("UpdatePeers")
    .Description("Bring every other host to the bundle built for it now (a new block is their new unsafe route); hosts that already run it are left alone.")
    .IsDependentOn("ConfigureRouting")
    .Does(() => flatnet.UpdatePeers(HostArgument()));

Task("AddHost")
    .Description("Put --host in the mesh: GenerateCert -> PackageBundle -> DeployHost -> ConfigureRouting -> UpdatePeers -> VerifyPing.")
    .IsDependentOn("UpdatePeers")
    .IsDependentOn("VerifyPing");

Task("Rollout")
    .Description("Deploy every host (or --hosts=a,b) in waves of --wave-size (default 1), verifying after each; stops at the first failing wave.")
    .Does(() => flatnet.Rollout(
        HasArgument("hosts") ? Argument<string>("hosts").Split(',', StringSplitOptions.RemoveEmptyEntries) : null,
        Argument("wave-size", 1)));

Task("RemoveHost")
    .Description("The reverse of AddHost: revoke --host, bring every other host to a config without it (their WSL2s drop its route), take Nebula and routing off it if reachable (else print the steps by hand), prove the rest with VerifyPing; --delete-inventory also deletes hosts/HOST.yaml and its artifacts.")
    .Does(() => flatnet.RemoveHost(HostArgument(), HasArgument("delete-inventory")));
