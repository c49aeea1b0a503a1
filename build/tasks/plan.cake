// Reading the inventory: nothing here writes.
Task("Plan")
    .Description("Validate the inventory in hosts/ and print every host's Nebula IP, routed block and WSL2 address.")
    .Does(() => Information("{0}", flatnet.DescribePlan()));
