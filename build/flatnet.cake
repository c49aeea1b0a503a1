// Loads the published library and adapts it to Cake: the only place Cake types meet Flatnet types.
#r "../artifacts/tools/flatnet/YamlDotNet.dll"
#r "../artifacts/tools/flatnet/Scriban.Signed.dll"
#r "../artifacts/tools/flatnet/BouncyCastle.Cryptography.dll"
#r "../artifacts/tools/flatnet/Microsoft.Extensions.Logging.Abstractions.dll"
#r "../artifacts/tools/flatnet/Microsoft.Extensions.DependencyInjection.Abstractions.dll"
#r "../artifacts/tools/flatnet/Renci.SshNet.dll"
#r "../artifacts/tools/flatnet/Flatnet.dll"
#r "../artifacts/tools/flatnet/Flatnet.Lab.dll"

public class CakeReporter : Flatnet.Output.IReporter
{
    private readonly ICakeContext _context;
    public CakeReporter(ICakeContext context) { _context = context; }
    public void Info(string message) => _context.Information("{0}", message);
    public void Warn(string message) => _context.Warning("{0}", message);
    public void Verbose(string message) => _context.Verbose("{0}", message);
    public void Error(string message) => _context.Error("{0}", message);
}

// Cake runs with build/ as its working folder; flatnet works from the repository root, and says paths relative to it.
var repoRoot = Context.Environment.WorkingDirectory.Combine("..").Collapse().FullPath;
System.Environment.CurrentDirectory = repoRoot;
var flatnet = new Flatnet.Provisioning.FlatnetContext(
    Flatnet.Workspace.At(repoRoot, Argument<string>("inventory", null), Argument<string>("artifacts", null)), new CakeReporter(Context))
{
    Arguments = new Flatnet.Provisioning.TaskArguments(Context.Arguments.GetArguments().ToDictionary(a => a.Key, a => (IReadOnlyList<string>)a.Value.ToList())),
    // build.sh/build.ps1 name a file for --json's document and print it alone on stdout.
    JsonTo = System.Environment.GetEnvironmentVariable(Flatnet.Output.JsonOutput.Variable) is { Length: > 0 } jsonTo ? jsonTo : null,
};

// Every task of the library and the lab, found by reflection (Flatnet.Tasks.TaskGraph): its name, description and
// dependencies are attributes of its class, its body one call into the library. The graph is declared there, once.
var flatnetTasks = Flatnet.Tasks.TaskGraph.Discover(typeof(Flatnet.Lab.LabTask).Assembly);
foreach (var task in flatnetTasks)
{
    var builder = Task(task.Name).Description(task.Description);
    foreach (var dependency in task.DependsOn) builder.IsDependentOn(dependency);
    if (task.HasBody) builder.Does(() => Flatnet.Tasks.TaskGraph.RunAtConsole(flatnet, task));
}

// The run is over, however it ended: every connection it opened to a host closes (at the process's exit, so that Cake
// prints no teardown of its own).
System.AppDomain.CurrentDomain.ProcessExit += (_, _) => flatnet.Dispose();
