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
