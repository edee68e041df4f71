using System.Globalization;
using Npgsql;
using TortureHost;
using Workflows;
using Workflows.PostgreSql;
using Workflows.Sqlite;
using Workflows.Storage;

// TortureHost: one worker of a torture session (started by TortureDriver, killed by it at random moments).
//   --db FILE | --postgres CONNECTION-STRING --schema NAME   the journal (PostgreSQL connections are named torture-<pid>)
//   --ledger-dir DIR      the session's ledger folder (this process writes DIR/ledger-<pid>.log)
//   --worker-id ID        the engine's WorkerId          --max-concurrent N   MaxConcurrentRuns (default 8)
//   --lease-ms N          LeaseDuration (default 2000)   --poll-ms N          PollInterval (default 50)
//   --body-ms N           each step body waits up to N ms (default 20), so that kills land inside bodies too
// The engine claims the runs the driver creates; the process prints READY once the engine is up and exits (0) when its
// standard input closes.
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal))
    {
        Console.Error.WriteLine($"unexpected argument '{args[i]}'");
        return 2;
    }
    options[args[i][2..]] = args[i + 1];
}
int Number(string name, int fallback) => options.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
if (!options.TryGetValue("ledger-dir", out var ledgerDirectory) || (!options.ContainsKey("db") && !options.ContainsKey("postgres")))
{
    Console.Error.WriteLine("usage: TortureHost --db FILE | --postgres CONNECTION-STRING --schema NAME --ledger-dir DIR [--worker-id ID] [--max-concurrent N] [--lease-ms N] [--poll-ms N] [--body-ms N]");
    return 2;
}

var ledger = new Ledger(ledgerDirectory);
var bodies = new StepBodies(ledger, Number("body-ms", 20));
await using IWorkflowStore journal = options.TryGetValue("postgres", out var connectionString)
    ? new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions
    {
        ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = WorkerNames.ApplicationName(Environment.ProcessId) }.ConnectionString,
        Schema = options["schema"],
    })
    : new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = options["db"] });
var child = TortureChildWorkflow.Definition.WithFactory(_ => new TortureChildWorkflow(bodies));
var parent = TortureWorkflow.Definition.WithFactory(_ => new TortureWorkflow(bodies, child));
await using var engine = new WorkflowEngine(new ClaimLossLedger(journal, ledger), new WorkflowEngineOptions
{
    WorkerId = options.GetValueOrDefault("worker-id"),
    MaxConcurrentRuns = Number("max-concurrent", 8),
    LeaseDuration = TimeSpan.FromMilliseconds(Number("lease-ms", 2000)),
    PollInterval = TimeSpan.FromMilliseconds(Number("poll-ms", 50)),
    // The workload's sleep is longer than this: it suspends the run, and a replay wakes it.
    SuspendThreshold = TimeSpan.FromMilliseconds(100),
    OnBackgroundError = e =>
    {
        Console.Out.WriteLine($"BACKGROUND {e.GetType().Name}: {e.Message}");
        Console.Out.Flush();
    },
}).Register(parent).Register(child);
// The driver may restart the server while this process starts: opening the store is asked again while it is unavailable
// (once open, the engine rides out outages itself).
for (var until = DateTime.UtcNow + TimeSpan.FromMinutes(1); ; await Task.Delay(100))
{
    try
    {
        await engine.InitializeAsync();
        break;
    }
    catch (StoreUnavailableException e) when (DateTime.UtcNow < until)
    {
        Console.Out.WriteLine($"UNAVAILABLE at start: {e.Message}");
    }
}
Console.Out.WriteLine($"READY pid={Environment.ProcessId} worker={engine.WorkerId}");
Console.Out.Flush();
await Console.In.ReadToEndAsync();
Console.Out.WriteLine("DONE");
return 0;
