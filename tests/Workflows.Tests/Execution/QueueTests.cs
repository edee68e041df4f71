using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>
/// Queues through the engine: several engines over one journal never execute more of a queue's runs than its concurrency,
/// one engine no more than its worker limit; queued runs start by priority then age; every run completes.
/// </summary>
public abstract class QueueTests : ExecutionTestBase
{
    private static readonly WorkflowQueue Limited = new("limited", concurrency: 2);

    private async Task<List<WorkflowEngine>> EnginesAsync(QueueMeter meter, int count, params WorkflowQueue[] queues)
    {
        var engines = new List<WorkflowEngine>();
        for (var i = 0; i < count; i++)
        {
            engines.Add(await EngineAsync(workerId: $"queue-worker-{i}", definitions: [QueuedWorkflow.Definition], services: [meter], queues: queues));
        }
        return engines;
    }

    /// <summary>Lets every held run go, over and over, until all of <paramref name="runs"/> end; checks the meter each round.</summary>
    private static async Task DrainAsync(QueueMeter meter, IReadOnlyList<WorkflowRun<string>> runs, int limit)
    {
        while (runs.Any(r => !r.Completion.IsCompleted))
        {
            await WaitUntilAsync(() => meter.Inside > 0 || runs.All(r => r.Completion.IsCompleted), "a queued run to enter its step");
            Assert.InRange(meter.Inside, 0, limit);
            foreach (var input in meter.Holding) meter.Release(input);
        }
    }

    [Fact]
    public async Task Three_engines_never_execute_more_of_a_queues_runs_than_its_concurrency_and_all_complete()
    {
        var meter = new QueueMeter();
        var engines = await EnginesAsync(meter, 3, Limited);
        var runs = new List<WorkflowRun<string>>();
        for (var i = 0; i < 9; i++)
        {
            runs.Add(await engines[i % 3].StartAsync(QueuedWorkflow.Definition, $"r{i}", new StartOptions { Queue = "limited" }));
        }
        // Two enter and stay: the third waits Pending for room however many engines have free slots.
        await WaitUntilAsync(() => meter.Inside == 2, "two queued runs to execute");
        await WaitUntilAsync(async () => (await engines[0].Store.ListRunsAsync(new() { TenantId = Tenant, Statuses = [RunStatus.Pending] })).Count == 7, "seven to wait Pending");

        await DrainAsync(meter, runs, limit: 2);

        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.GetRecordAsync().Result.Status));
        Assert.Equal(2, meter.MaxInside);
        Assert.Equal(9, meter.Entered.Distinct().Count());
        // From the journal: no instant had more than two of the queue's step bodies running (each step's start to its end,
        // taken inside its run's claim). A run's StartedAt is its claim's "now", read before the claim waited for the queue's
        // lock, so it can precede the end of the run whose room it took: the steps' times are the ones to compare.
        var records = await engines[0].Store.ListRunsAsync(new() { TenantId = Tenant });
        Assert.All(records, r => Assert.Equal("limited", r.Queue));
        var steps = new List<StepRecord>();
        foreach (var record in records) steps.Add(Assert.Single(await engines[0].Store.GetStepsAsync(Tenant, record.Id)));
        var edges = steps.SelectMany(s => new[] { (At: s.StartedAt!.Value, Delta: 1), (At: s.CompletedAt!.Value, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        var executing = 0;
        foreach (var edge in edges)
        {
            executing += edge.Delta;
            Assert.InRange(executing, 0, 2);
        }
    }

    [Fact]
    public async Task A_worker_limit_caps_one_engine_below_the_queues_concurrency()
    {
        var meter = new QueueMeter();
        var engines = await EnginesAsync(meter, 1, new WorkflowQueue("limited", concurrency: 5) { WorkerConcurrency = 1 });
        var runs = new List<WorkflowRun<string>>();
        for (var i = 0; i < 3; i++) runs.Add(await engines[0].StartAsync(QueuedWorkflow.Definition, $"w{i}", new StartOptions { Queue = "limited" }));

        await DrainAsync(meter, runs, limit: 1);

        Assert.Equal(1, meter.MaxInside);
    }

    [Fact]
    public async Task Queued_runs_start_by_priority_then_age()
    {
        var meter = new QueueMeter();
        var engine = (await EnginesAsync(meter, 1, new WorkflowQueue("serial", concurrency: 1)))[0];
        var blocker = await engine.StartAsync(QueuedWorkflow.Definition, "blocker", new StartOptions { Queue = "serial" });
        await WaitUntilAsync(() => meter.Inside == 1, "the first run to hold the queue");
        var runs = new List<WorkflowRun<string>> { blocker };
        foreach (var (input, priority) in new[] { ("p5", 5), ("p1-old", 1), ("p3", 3), ("p1-new", 1), ("p-neg", -2) })
        {
            runs.Add(await engine.StartAsync(QueuedWorkflow.Definition, input, new StartOptions { Queue = "serial", Priority = priority }));
        }

        await DrainAsync(meter, runs, limit: 1);

        Assert.Equal(["blocker", "p-neg", "p1-old", "p1-new", "p3", "p5"], meter.Entered);
    }

    [Fact]
    public async Task A_queue_the_engine_does_not_declare_is_refused_naming_the_ones_it_does()
    {
        var engine = (await EnginesAsync(new QueueMeter(), 1, Limited))[0];

        var e = await Assert.ThrowsAsync<ArgumentException>(() => engine.StartAsync(QueuedWorkflow.Definition, "x", new StartOptions { Queue = "unknown" }));

        Assert.Contains("'unknown'", e.Message);
        Assert.Contains("'limited'", e.Message);
        Assert.Empty(await engine.Store.ListRunsAsync(new() { TenantId = Tenant }));
    }

    [Fact]
    public void Queue_declarations_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkflowEngine(new global::Workflows.Storage.InMemoryWorkflowStore(),
            new WorkflowEngineOptions { Queues = [new WorkflowQueue("q", 0)] }));
        var twice = Assert.Throws<ArgumentException>(() => new WorkflowEngine(new global::Workflows.Storage.InMemoryWorkflowStore(),
            new WorkflowEngineOptions { Queues = [new WorkflowQueue("q", 1), new WorkflowQueue("q", 2)] }));
        Assert.Contains("'q'", twice.Message);
        Assert.Throws<ArgumentException>(() => new WorkflowEngine(new global::Workflows.Storage.InMemoryWorkflowStore(),
            new WorkflowEngineOptions { Queues = [new WorkflowQueue("", 1)] }));
    }
}

public sealed class InMemoryQueueTests : QueueTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteQueueTests : QueueTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlQueueTests : QueueTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
