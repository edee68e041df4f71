using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;
using Workflows.Tests.TestWorkflows.Messaging;

namespace Workflows.Tests.Execution;

/// <summary>Through the engine API, a tenant can neither read, signal, cancel, resume, reopen nor fork another tenant's run.</summary>
public abstract class TenantIsolationTests : ExecutionTestBase
{
    [Fact]
    public async Task Every_run_call_with_another_tenant_finds_no_run_and_changes_nothing()
    {
        var engine = await EngineAsync(definitions: [ApprovalWorkflow.Definition, ForkableWorkflow.Definition]);
        var waiting = await engine.StartAsync(ApprovalWorkflow.Definition, "order-1", new StartOptions { TenantId = "tenant-a" });
        await WaitForStatusAsync(waiting.RunId, RunStatus.Waiting, "tenant-a");
        var ended = await engine.StartAsync(ForkableWorkflow.Definition, "in", new StartOptions { TenantId = "tenant-a" });
        await ended.GetResultAsync().WaitAsync(Guard);
        var waitingBefore = await GetRunAsync(waiting.RunId, "tenant-a");
        var stepsBefore = await GetStepsAsync(waiting.RunId, "tenant-a");
        var endedBefore = await GetRunAsync(ended.RunId, "tenant-a");

        foreach (var other in new[] { "tenant-b", "default" })
        {
            await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetRunAsync(waiting.RunId, other));
            await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetTimelineAsync(waiting.RunId, other));
            await Assert.ThrowsAsync<EventDeliveryException>(() => engine.SendEventAsync(waiting.RunId, "approval", "yes", other));
            await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.CancelAsync(waiting.RunId, other, "not yours"));
            await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ResumeAsync(waiting.RunId, other));
            await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ReopenRunAsync(waiting.RunId, other));
            await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ForkAsync(ended.RunId, 1, other));
            await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ForkRunAsync(ended.RunId, 1, other));
            Assert.Empty((await engine.ListRunsAsync(new RunQuery { TenantId = other })).Runs);
            Assert.Empty((await engine.ListRunsAsync(new RunQuery { TenantIds = [other] })).Runs);
            Assert.Equal(0, await engine.DeleteEndedRunsAsync(TimeSpan.Zero, other));
        }

        // Nothing of tenant A changed, and no fork was made anywhere.
        Assert.Equal(waitingBefore, await GetRunAsync(waiting.RunId, "tenant-a"));
        Assert.Equal(stepsBefore, await GetStepsAsync(waiting.RunId, "tenant-a"));
        Assert.Equal(endedBefore, await GetRunAsync(ended.RunId, "tenant-a"));
        Assert.Equal(2, (await Store.ListRunsAsync(new RunQuery())).Count);
        Assert.Empty(await Store.GetEventsAsync(new EventQuery("tenant-a", waiting.RunId)));

        // Its own tenant can.
        await engine.SendEventAsync(waiting.RunId, "approval", "yes", "tenant-a");
        Assert.Equal("prepared order-1:yes done", await waiting.As<string>().GetResultAsync().WaitAsync(Guard));
    }
}

public sealed class InMemoryTenantIsolationTests : TenantIsolationTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteTenantIsolationTests : TenantIsolationTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlTenantIsolationTests : TenantIsolationTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}

/// <summary>An engine that serves some tenants (<see cref="WorkflowEngineOptions.Tenants"/>) executes, resumes and recovers only their runs.</summary>
public abstract class ServedTenantTests : ExecutionTestBase
{
    private async Task<RunRecord> PendingRunAsync(string tenant, string input)
    {
        var now = DateTimeOffset.UtcNow;
        var run = new RunRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenant,
            Workflow = ForkableWorkflow.Definition.Name,
            SchemaVersion = ForkableWorkflow.Definition.SchemaVersion,
            Status = RunStatus.Pending,
            Input = ForkableWorkflow.Definition.InputCodec.Serialize(input),
            CreatedAt = now,
            UpdatedAt = now,
        };
        Assert.True((await Store.CreateRunAsync(run)).Created);
        return run;
    }

    [Fact]
    public async Task An_engine_serving_one_tenant_recovers_only_its_runs_and_another_tenants_engine_does_the_rest()
    {
        var ours = await PendingRunAsync("tenant-a", "ours");
        var theirs = await PendingRunAsync("tenant-b", "theirs");
        var seenByA = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var engineA = await EngineAsync(definitions: [ForkableWorkflow.Definition], workerId: "engine-a", tenants: ["tenant-a"],
            onJournalCommitted: c => seenByA.Add(c.RunId));

        var handles = await engineA.ResumeUnfinishedAsync();
        Assert.Equal([ours.Id], handles.Select(h => h.RunId));
        Assert.Equal("ours|one#1|two#1|three#1|four#1", await handles[0].As<string>().GetResultAsync().WaitAsync(Guard));

        // A run it starts itself must be in a tenant it serves: else it would never resume it after a suspension.
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => engineA.StartAsync(ForkableWorkflow.Definition, "x", new StartOptions { TenantId = "tenant-b" }));
        Assert.Contains("'tenant-a'", refused.Message);
        Assert.Contains("'tenant-b'", refused.Message);
        var second = await engineA.StartAsync(ForkableWorkflow.Definition, "second", new StartOptions { TenantId = "tenant-a" });
        await second.GetResultAsync().WaitAsync(Guard);

        // The other tenant's run was ready all along: engine A's scheduler passed it over, and its resume did not touch it.
        await engineA.ResumeAsync(theirs.Id, "tenant-b");
        var untouched = await GetRunAsync(theirs.Id, "tenant-b");
        Assert.Equal((RunStatus.Pending, null), (untouched.Status, untouched.Owner));
        Assert.DoesNotContain(theirs.Id, seenByA);

        var engineB = await EngineAsync(definitions: [ForkableWorkflow.Definition], workerId: "engine-b", tenants: ["tenant-b", "tenant-c"]);
        var resumedByB = Assert.Single(await engineB.ResumeUnfinishedAsync());
        Assert.Equal(theirs.Id, resumedByB.RunId);
        Assert.Equal("theirs|one#1|two#1|three#1|four#1", await resumedByB.As<string>().GetResultAsync().WaitAsync(Guard));
        Assert.DoesNotContain(theirs.Id, seenByA);
    }

    [Fact]
    public async Task Served_tenants_must_be_valid_and_not_empty()
    {
        var store = new InMemoryWorkflowStore();
        Assert.Throws<ArgumentException>(() => new WorkflowEngine(store, new WorkflowEngineOptions { Tenants = [] }));
        Assert.Throws<ArgumentException>(() => new WorkflowEngine(store, new WorkflowEngineOptions { Tenants = ["ok", " "] }));
        await store.DisposeAsync();
    }
}

public sealed class InMemoryServedTenantTests : ServedTenantTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteServedTenantTests : ServedTenantTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlServedTenantTests : ServedTenantTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
