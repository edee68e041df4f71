using System.Diagnostics;
using System.Text;
using Workflows;
using Workflows.Journal;
using Workflows.Sqlite;

// CrashHost --db FILE --ledger FILE [--crash-after STEP] [--hang-in STEP] [--lease-ms N] [--poll-ms N]
// Every step body writes "begin:NAME" and "end:NAME" to the ledger (flushed to disk), so the test can tell which
// bodies really ran, across processes. --crash-after kills the process right after that step's record commits;
// --hang-in blocks inside that step's body until the test kills the process from outside. --lease-ms and --poll-ms
// set the engine's LeaseDuration and PollInterval (a run whose process died is taken over once its lease lapses).
string? db = null, ledger = null, crashAfter = null, hangIn = null;
var leaseMs = 30_000;
var pollMs = 1_000;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--db": db = args[i + 1]; break;
        case "--ledger": ledger = args[i + 1]; break;
        case "--crash-after": crashAfter = args[i + 1]; break;
        case "--hang-in": hangIn = args[i + 1]; break;
        case "--lease-ms": leaseMs = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--poll-ms": pollMs = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (db is null || ledger is null)
{
    Console.Error.WriteLine("usage: CrashHost --db FILE --ledger FILE [--crash-after STEP] [--hang-in STEP] [--lease-ms N] [--poll-ms N]");
    return 2;
}

var ledgerFile = new Ledger(ledger);
var definition = BillingWorkflow.Definition.WithFactory(_ => new BillingWorkflow(ledgerFile, hangIn));
await using var store = new SqliteWorkflowStore(db);
await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions
{
    LeaseDuration = TimeSpan.FromMilliseconds(leaseMs),
    PollInterval = TimeSpan.FromMilliseconds(pollMs),
    OnJournalCommitted = commit =>
    {
        if (commit.Steps.Any(step => step.Status == StepStatus.Succeeded && step.Name == crashAfter))
        {
            Process.GetCurrentProcess().Kill();
        }
    },
}).Register(definition);

var resumed = await engine.ResumeUnfinishedAsync();
var run = resumed.Count > 0 ? resumed[0] : await engine.StartAsync(definition, new Invoice("INV-7", [120.25m, 79.75m], "EUR"));
await run.Completion;
var timeline = await engine.GetTimelineAsync(run.RunId);
Console.WriteLine("RESULT " + timeline.Run.Output);
return 0;

public sealed record Invoice(string Number, decimal[] Amounts, string Currency);

public sealed record Charge(string Reference, decimal Total);

/// <summary>An append-only file of what step bodies did, flushed to disk at every line.</summary>
public sealed class Ledger(string path)
{
    private readonly Lock _gate = new();

    public void Write(string line)
    {
        lock (_gate)
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
            stream.Flush(flushToDisk: true);
        }
    }
}

[Workflow("billing")]
public partial class BillingWorkflow(Ledger ledger, string? hangIn)
{
    [WorkflowRun]
    public async Task<string> RunAsync(Invoice invoice)
    {
        var total = await SumAsync(invoice.Amounts);
        var charge = await ChargeAsync(invoice.Number, total);
        var receipt = await ReceiptAsync(charge);
        var archived = await ArchiveAsync(invoice.Number, receipt);
        return $"{invoice.Number}:{charge.Reference}:{charge.Total}:{receipt}:{archived}";
    }

    [Step("sum")]
    private Task<decimal> SumAsync(decimal[] amounts) => Body("sum", () => amounts.Sum());

    [Step("charge")]
    private Task<Charge> ChargeAsync(string number, decimal total) => Body("charge", () => new Charge("CH-" + number, total));

    [Step("receipt")]
    private Task<string> ReceiptAsync(Charge charge) => Body("receipt", () => $"R-{charge.Reference}-{charge.Total}");

    [Step("archive")]
    private Task<bool> ArchiveAsync(string number, string receipt) => Body("archive", () => true);

    private async Task<T> Body<T>(string name, Func<T> work)
    {
        ledger.Write("begin:" + name);
        if (name == hangIn)
        {
            await Task.Delay(Timeout.Infinite);
        }
        var result = work();
        ledger.Write("end:" + name);
        return result;
    }
}
