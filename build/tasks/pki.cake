Task("InitCa")
    .Description("Create the CA at the paths hosts/network.yaml names, only when none exists (never overwrites).")
    .Does(() => flatnet.InitCa());

Task("GenerateCert")
    .Description("Sign --host's certificate (IP, groups, routed block as subnets) into artifacts/hosts/HOST/pki; --force re-signs, --pub=FILE signs a key made on the host.")
    .Does(() => flatnet.GenerateCert(HostArgument(), Force, Argument<string>("pub", null)));
