using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>
/// Snapshots of the replay (WorkflowEngineOptions.SnapshotAfterSteps): a resume that read enough ended entries stores one,
/// the next resume reads it and only the journal after it, and a snapshot that does not fit the run is ignored for the
/// whole journal. Counted from the store's reads.
/// </summary>
public abstract class SnapshotTests : ExecutionTestBase
{
    private const int Steps = 12;
    private static readonly long Expected = Enumerable.Range(0, Steps).Sum() + 1000 + 1001 + 1002 + 5 + 7;

    [Fact]
    public async Task A_resume_stores_a_snapshot_and_the_next_resume_reads_it_and_only_the_entries_after_it()
    {
        var probe = new ExecutionProbe();
        var reads = new List<ReplayRead>();
        var engine = await EngineAsync(probe, [LongWaiterWorkflow.Definition], snapshotAfterSteps: 5, wrapStore: store => new ReadWatch(store, reads));
        var run = await engine.StartAsync(LongWaiterWorkflow.Definition, Steps);
        await WaitForStatusAsync(run.RunId, RunStatus.Waiting);
        Assert.Empty(reads); // a run created here is not read: its journal is empty

        await engine.SendEventAsync(run.RunId, "a", 5);
        // The first resume reads the whole journal (no snapshot yet) and stores one of the steps that ended for good.
        SnapshotRecord? snapshot = null;
        await WaitUntilAsync(async () => (snapshot = await Store.GetSnapshotAsync(Tenant, run.RunId)) is not null, "the resume's snapshot");
        Assert.Equal(Steps, snapshot!.Sequence);
        Assert.Equal(LongWaiterWorkflow.Definition.SchemaVersion, snapshot.SchemaVersion);
        await WaitForStatusAsync(run.RunId, RunStatus.Waiting);

        await engine.SendEventAsync(run.RunId, "b", 7);
        Assert.Equal(Expected, await run.GetResultAsync().WaitAsync(Guard));

        Assert.Equal([new ReplayRead(0, Steps + 1, true), new ReplayRead(Steps, 5, true)], reads);
        Assert.All(Enumerable.Range(0, Steps).Select(i => $"add-{i}").Append("add-1000"), key => Assert.Equal(1, probe.Calls(key)));
        var steps = await Store.GetStepsAsync(Tenant, run.RunId);
        Assert.Equal(Steps + 5, steps.Count);
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
    }

    [Theory]
    [InlineData("unreadable")]
    [InlineData("other schema")]
    [InlineData("a sequence its entries do not match")]
    public async Task A_snapshot_that_does_not_fit_the_run_is_ignored_and_the_whole_journal_is_replayed(string misfit)
    {
        var probe = new ExecutionProbe();
        var reads = new List<ReplayRead>();
        var engine = await EngineAsync(probe, [LongWaiterWorkflow.Definition], snapshotAfterSteps: 5,
            wrapStore: store => new ReadWatch(store, reads, snapshot => misfit switch
            {
                "unreadable" => snapshot with { Payload = "{\"v\":1,\"entries\":[{\"id\":\"not a guid\"}]}" },
                "other schema" => snapshot with { SchemaVersion = "another" },
                _ => snapshot with { Sequence = snapshot.Sequence - 2 },
            }));
        var run = await engine.StartAsync(LongWaiterWorkflow.Definition, Steps);
        await WaitForStatusAsync(run.RunId, RunStatus.Waiting);
        await engine.SendEventAsync(run.RunId, "a", 5);
        await WaitUntilAsync(async () => await Store.GetSnapshotAsync(Tenant, run.RunId) is not null, "the resume's snapshot");
        await WaitForStatusAsync(run.RunId, RunStatus.Waiting);

        await engine.SendEventAsync(run.RunId, "b", 7);
        Assert.Equal(Expected, await run.GetResultAsync().WaitAsync(Guard));

        // Both resumes read the whole journal (the second asked for the snapshot first, and ignored it); no body ran twice.
        Assert.Equal([new ReplayRead(0, Steps + 1, true), new ReplayRead(0, Steps + 5, true)], reads);
        Assert.All(Enumerable.Range(0, Steps).Select(i => $"add-{i}"), key => Assert.Equal(1, probe.Calls(key)));
    }

    [Fact]
    public async Task With_SnapshotAfterSteps_zero_no_snapshot_is_stored()
    {
        var probe = new ExecutionProbe();
        var reads = new List<ReplayRead>();
        var engine = await EngineAsync(probe, [LongWaiterWorkflow.Definition], snapshotAfterSteps: 0, wrapStore: store => new ReadWatch(store, reads));
        var run = await engine.StartAsync(LongWaiterWorkflow.Definition, Steps);
        await WaitForStatusAsync(run.RunId, RunStatus.Waiting);
        await engine.SendEventAsync(run.RunId, "a", 5);
        await WaitUntilAsync(() => Task.FromResult(probe.Calls("add-1002") == 1), "the steps after the first event");
        await WaitForStatusAsync(run.RunId, RunStatus.Waiting);
        await engine.SendEventAsync(run.RunId, "b", 7);
        Assert.Equal(Expected, await run.GetResultAsync().WaitAsync(Guard));

        Assert.Null(await Store.GetSnapshotAsync(Tenant, run.RunId));
        Assert.Equal([0, 0], reads.Select(r => r.AfterSequence));
    }

    [Fact]
    public void SnapshotAfterSteps_cannot_be_negative()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WorkflowEngine(new InMemoryWorkflowStore(), new WorkflowEngineOptions { SnapshotAfterSteps = -1 }));
        Assert.Contains("SnapshotAfterSteps", error.Message);
    }
}

/// <summary>One replay read: the sequence it read after, how many entries it returned, whether a snapshot was found first.</summary>
public sealed record ReplayRead(int AfterSequence, int Entries, bool SnapshotAsked);

/// <summary>Records the engine's replay reads; optionally changes the snapshot the engine is given.</summary>
public sealed class ReadWatch(IWorkflowStore inner, List<ReplayRead> reads, Func<SnapshotRecord, SnapshotRecord>? misfit = null) : DelegatingWorkflowStore(inner)
{
    private bool _asked;

    public override async ValueTask<SnapshotRecord?> GetSnapshotAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        var snapshot = await Inner.GetSnapshotAsync(tenantId, runId, cancellationToken);
        lock (reads) _asked = true;
        return snapshot is not null && misfit is not null ? misfit(snapshot) : snapshot;
    }

    public override async ValueTask<IReadOnlyList<StepRecord>> GetReplayStepsAsync(string tenantId, Guid runId, int afterSequence = 0, CancellationToken cancellationToken = default)
    {
        var steps = await Inner.GetReplayStepsAsync(tenantId, runId, afterSequence, cancellationToken);
        lock (reads)
        {
            reads.Add(new ReplayRead(afterSequence, steps.Count, _asked));
            _asked = false;
        }
        return steps;
    }

    /// <summary>The harness owns the inner store and disposes it.</summary>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class InMemorySnapshotTests : SnapshotTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteSnapshotTests : SnapshotTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlSnapshotTests : SnapshotTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
