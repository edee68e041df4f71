using System.Diagnostics;
using AgentPipeline;
using Microsoft.Extensions.DependencyInjection;
using Workflows;
using Workflows.Journal;
using Workflows.Sqlite;

// dotnet run --project samples/AgentPipeline [-- --fresh] [--crash-after <step>] [--db <file>] [--ticker <symbol>]
//                                            [--skip-risk] [--no-approval]
var options = SampleOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: AgentPipeline [--fresh] [--crash-after <step name>] [--db <file>] [--ticker <symbol>] [--skip-risk] [--no-approval]");
    return 2;
}

// Which journal entries this process committed an outcome for: how the timeline tells a child's steps that ran here
// from those recorded by an earlier process (a handle on a child that has ended carries no execution report).
var committedHere = new CommittedSteps();
var services = new ServiceCollection()
    .AddSingleton<IModelClient, FakeModelClient>()
    .AddSingleton<FakeMarketData>()
    .BuildServiceProvider();

await using var store = new SqliteWorkflowStore(options.DatabasePath);
await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions
{
    Services = services,
    OnJournalCommitted = commit =>
    {
        committedHere.Add(commit);
        if (commit.Steps.Any(step => step.Status is StepStatus.Succeeded or StepStatus.Skipped && step.Name == options.CrashAfter))
        {
            // A power cut right after the step's record is durable: no cleanup, no flush, no finally blocks.
            Console.WriteLine($"!! crashing right after '{options.CrashAfter}' was recorded");
            Console.Out.Flush();
            Process.GetCurrentProcess().Kill();
        }
    },
})
    .Register(AgentPipelineWorkflow.Definition)
    .Register(ReportSectionWorkflow.Definition);

var runs = new List<WorkflowRun>();
if (!options.Fresh)
{
    // Children of an unfinished pipeline are resumed too; the pipeline runs are the ones this program reports on.
    runs.AddRange((await engine.ResumeUnfinishedAsync()).Where(run => run.Workflow == AgentPipelineWorkflow.Definition.Name));
    foreach (var run in runs)
    {
        Console.WriteLine($"Resuming unfinished run {run.RunId}");
    }
}
if (runs.Count == 0)
{
    var request = new AnalysisRequest(options.Ticker, "2026-Q4", options.SkipRisk, options.NoApproval ? 2 : 60);
    var run = await engine.StartAsync(AgentPipelineWorkflow.Definition, request);
    Console.WriteLine($"Started run {run.RunId} in {Path.GetFullPath(options.DatabasePath)}");
    runs.Add(run);
}

var exitCode = 0;
foreach (var run in runs)
{
    var approver = ApproveWhenWaitingAsync(engine, run);
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
    await approver;
    await TimelinePrinter.PrintAsync(engine, await engine.GetTimelineAsync(run.RunId, run.TenantId), report, committedHere);
}
return exitCode;

// The "person" who approves: once the run is suspended on its approval wait, send the event (unless the run was started
// with --no-approval, whose short timeout then passes). The idempotency key makes a second send (a resumed program
// finding the run waiting again) a no-op rather than a second approval.
static async Task ApproveWhenWaitingAsync(WorkflowEngine engine, WorkflowRun run)
{
    var record = await run.GetRecordAsync();
    var input = AgentPipelineWorkflow.Definition.InputCodec.Deserialize(record.Input ?? "null");
    var shortTimeout = input.ApprovalTimeoutSeconds <= 2;
    while (!run.Completion.IsCompleted)
    {
        record = await run.GetRecordAsync();
        if (StatusTransitions.IsFinal(record.Status) || record.Status == RunStatus.Parked) return;
        if (record is { Status: RunStatus.Waiting, WaitingFor: "event:approval" })
        {
            if (shortTimeout)
            {
                Console.WriteLine($"   run is waiting for approval; nobody approves (--no-approval), the {input.ApprovalTimeoutSeconds} s timeout will pass");
                return;
            }
            try
            {
                await engine.SendEventAsync(run.RunId, "approval", true, run.TenantId, idempotencyKey: $"approval:{run.RunId}");
                Console.WriteLine("   run is waiting for approval; approval sent");
            }
            catch (EventDeliveryException e)
            {
                Console.WriteLine($"   approval not delivered: {e.Message}");
            }
            return;
        }
        await Task.Delay(25);
    }
}

/// <summary>The sample's command line.</summary>
internal sealed record SampleOptions(bool Fresh, string? CrashAfter, string DatabasePath, string Ticker, bool SkipRisk, bool NoApproval)
{
    public static SampleOptions? Parse(string[] args)
    {
        bool fresh = false, skipRisk = false, noApproval = false;
        string? crashAfter = null;
        var path = "agent-pipeline.db";
        var ticker = "ACME";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--fresh": fresh = true; break;
                case "--skip-risk": skipRisk = true; break;
                case "--no-approval": noApproval = true; break;
                case "--crash-after" when i + 1 < args.Length: crashAfter = args[++i]; break;
                case "--db" when i + 1 < args.Length: path = args[++i]; break;
                case "--ticker" when i + 1 < args.Length: ticker = args[++i]; break;
                default: return null;
            }
        }
        return new SampleOptions(fresh, crashAfter, path, ticker, skipRisk, noApproval);
    }
}
