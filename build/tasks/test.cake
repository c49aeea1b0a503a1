Task("Test")
    .Description("Install what the tests need (Debian packages, as root; build.sh restored pwsh) and run them: dotnet test flatnet.sln.")
    .Does(() =>
{
    Flatnet.Lab.LabPrerequisites.Ensure(flatnet.Log, install: true);
    // The Nebula releases the tests run (tools/nebula/VERSION), fetched once from Debian's archive.
    flatnet.FetchNebula(string.Join(",", Flatnet.Versions.NebulaVersion.Tested));
    var exitCode = StartProcess("dotnet", new ProcessSettings { Arguments = "test flatnet.sln", WorkingDirectory = repoRoot });
    if (exitCode != 0) throw new Flatnet.FlatnetException($"dotnet test flatnet.sln failed (exit {exitCode}); the failing tests are listed above");
});
