using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OrderFulfillment;
using Workflows;
using Workflows.Journal;
using Workflows.Sqlite;

// dotnet run --project samples/OrderFulfillment [-- --fresh] [-- --crash-after <step>] [-- --db <file>]
var options = SampleOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: OrderFulfillment [--fresh] [--crash-after <step name>] [--db <file>]");
    return 2;
}

var backends = new SimulatedBackends();
var services = new ServiceCollection()
    .AddSingleton<IInventory>(backends)
    .AddSingleton<IPayments>(backends)
    .AddSingleton<IShipping>(backends)
    .AddSingleton<INotifications>(backends)
    .BuildServiceProvider();

await using var store = new SqliteWorkflowStore(options.DatabasePath);
await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions
{
    Services = services,
    OnJournalCommitted = commit =>
    {
        if (commit.Steps.Any(step => step.Status == StepStatus.Succeeded && step.Name == options.CrashAfter))
        {
            // A power cut right after the step's record is durable: no cleanup, no flush, no finally blocks.
            Console.WriteLine($"!! crashing right after '{options.CrashAfter}' was recorded");
            Console.Out.Flush();
            Process.GetCurrentProcess().Kill();
        }
    },
}).Register(OrderWorkflow.Definition);

var runs = new List<WorkflowRun>();
if (!options.Fresh)
{
    runs.AddRange(await engine.ResumeUnfinishedAsync());
    foreach (var run in runs)
    {
        Console.WriteLine($"Resuming unfinished run {run.RunId}");
    }
}
if (runs.Count == 0)
{
    var run = await engine.StartAsync(OrderWorkflow.Definition, SampleOrder.Create());
    Console.WriteLine($"Started run {run.RunId} in {Path.GetFullPath(options.DatabasePath)}");
    runs.Add(run);
}

var exitCode = 0;
foreach (var run in runs)
{
    ExecutionReport report;
    try
    {
        await run.Completion;
        report = await run.GetReportAsync();
    }
    catch (Exception e)
    {
        Console.WriteLine($"Run {run.RunId} did not complete: {e.Message}");
        report = ExecutionReport.None;
        exitCode = 1;
    }
    TimelinePrinter.Print(await engine.GetTimelineAsync(run.RunId, run.TenantId), report);
}
return exitCode;

/// <summary>The sample's command line.</summary>
internal sealed record SampleOptions(bool Fresh, string? CrashAfter, string DatabasePath)
{
    public static SampleOptions? Parse(string[] args)
    {
        bool fresh = false;
        string? crashAfter = null;
        var path = Environment.GetEnvironmentVariable("WORKFLOWS_DB") ?? "workflows.db";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--fresh": fresh = true; break;
                case "--crash-after" when i + 1 < args.Length: crashAfter = args[++i]; break;
                case "--db" when i + 1 < args.Length: path = args[++i]; break;
                default: return null;
            }
        }
        return new SampleOptions(fresh, crashAfter, path);
    }
}

internal static class SampleOrder
{
    public static Order Create() => new(
        "ORD-1001",
        "ada@example.com",
        [new OrderLine("SKU-KEYBOARD", 1, 89.90m), new OrderLine("SKU-CABLE", 2, 9.50m)],
        new Address("Ada Lovelace", "Drottninggatan 1", "Stockholm", "111 51", "SE"));
}
