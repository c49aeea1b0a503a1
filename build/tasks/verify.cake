// Proof: what the mesh does now, read from the hosts (Flatnet.Verification).
Task("VerifyPing")
    .Description("Ping matrix: hosts and WSL2s to every other host's Nebula IP and WSL2; table + artifacts/verify/ping-matrix.json.")
    .Does(() => flatnet.VerifyPing());
