// flatnet-testhost --target=NAME [--root=DIR] [--inventory=DIR] [--artifacts=DIR] [--name=value ...]
// Runs one task of the library in a process of its own, as the Cake script would; prints what the task says and
// exits 1 with the problem (and its fixes) on stderr when it fails.
using Flatnet;
using Flatnet.Provisioning;
using Flatnet.Tasks;
using Flatnet.Output;

var values = args.Where(a => a.StartsWith("--", StringComparison.Ordinal))
    .Select(a => a[2..].Split('=', 2))
    .GroupBy(p => p[0], p => p.Length > 1 ? p[1] : "true")
    .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.ToList());
string? Value(string name) => values.TryGetValue(name, out var v) ? v[^1] : null;
try
{
    var workspace = Workspace.At(Value("root") ?? Environment.CurrentDirectory, Value("inventory"), Value("artifacts"));
    var target = Value("target") ?? "Plan";
    using var context = new FlatnetContext(workspace, new ConsoleReporter()) { Arguments = new TaskArguments(values) };
    TaskGraph.Run(context, TaskGraph.Discover().Single(t => t.Name == target));
    return 0;
}
catch (FlatnetException e)
{
    Console.Error.WriteLine("Error: " + e.Message);
    return 1;
}
