// Certificates: the CA, host certificates, their renewal and revocation (Flatnet.Pki).
Task("InitCa")
    .Description("Create the CA at the paths hosts/network.yaml names, only when none exists (never overwrites).")
    .Does(() => flatnet.InitCa());

Task("GenerateCert")
    .Description("Sign --host's certificate (IP, groups, routed block as subnets) into artifacts/hosts/HOST/pki; --force re-signs, --pub=FILE signs a key made on the host.")
    .Does(() => flatnet.GenerateCert(HostArgument(), Force, Argument<string>("pub", null)));

Task("RenewCert")
    .Description("Re-sign --host's certificate (then AddHost deploys it).")
    .Does(() => flatnet.RenewCert(HostArgument()));

Task("CheckCerts")
    .Description("List every certificate with its days left; fail when any has fewer than --days (default 30).")
    .Does(() => flatnet.CheckCerts(Argument<string>("days", "30")));

Task("RevokeHost")
    .Description("Revoke --host's certificate: add it to hosts/blocklist.txt (every config's pki.blocklist) and bring every other host to it; unreachable ones stay pending until a re-run.")
    .Does(() => flatnet.RevokeHost(HostArgument()));

Task("RotateCa")
    .Description("Replace the CA with no outage, in four phases recorded in hosts/ca-rotation.json (a re-run continues): a new CA; every config trusts both; every host re-signed; the old CA dropped. " +
                 "--wave-size=N hosts at a time (default 1), each wave verified; --manual-steps-done once the printed steps for an unmanaged lighthouse are done; --start-new for another rotation.")
    .Does(() => flatnet.RotateCa(HasArgument("manual-steps-done"), HasArgument("start-new"), Argument("wave-size", 1)));
