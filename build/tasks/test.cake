// The project's own tests, on a fresh machine: what CI runs.
Task("Test")
    .Description("Install what the tests need (Debian packages incl. chromium, as root; build.sh restored pwsh; the tested Nebula releases) and run them: dotnet test flatnet.sln.")
    .Does(() =>
{
    lab.PrepareTests();
    var exitCode = StartProcess("dotnet", new ProcessSettings { Arguments = "test flatnet.sln", WorkingDirectory = repoRoot });
    if (exitCode != 0) throw new Flatnet.FlatnetException($"dotnet test flatnet.sln failed (exit {exitCode})", fix: "the failing tests are listed above");
});
