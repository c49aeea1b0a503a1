Task("FetchNebula")
    .Description("Put Nebula releases in tools/nebula/VERSION from Debian's archive (--nebula=1.11.0 or a list), with apt's own private configuration.")
    .Does(() => flatnet.FetchNebula(Argument<string>("nebula", null)));
