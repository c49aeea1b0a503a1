// Nebula releases as tools, fetched from Debian's archive.
FlatnetTask(new Flatnet.Workflows.FetchNebulaTask());
