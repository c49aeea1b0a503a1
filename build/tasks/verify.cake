// Proof: what the mesh does now, read from the hosts (Flatnet.Verification).
Task("VerifyPing")
    .Description("Ping matrix: hosts and WSL2s to every other host's Nebula IP and WSL2; table + artifacts/verify/ping-matrix.json.")
    .Does(() => flatnet.VerifyPing());

Task("Doctor")
    .Description("Check --host, read-only and in order, with the doctor its bundle ships (Windows version, admin, WSL, adapters, forwarding, routes, firewall, Nebula, wintun, lighthouses, a WSL ping and an MTU probe): ok/FAIL lines with fixes, artifacts/verify/doctor-HOST.json.")
    .Does(() => flatnet.Doctor(HostArgument()));

Task("Status")
    .Description("Read-only, any time: one row per host: reachable, Nebula version, service, certificate days left, and per peer the tunnel (direct ADDR:PORT, relayed via RELAY, or none now); --json prints JSON; artifacts/verify/status.json.")
    .Does(() => flatnet.Status(HasArgument("json")));
