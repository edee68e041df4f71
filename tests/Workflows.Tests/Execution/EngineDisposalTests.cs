using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>An engine disposed synchronously (a container's Dispose) releases its runs like DisposeAsync, and an owned store goes with it.</summary>
public abstract class EngineDisposalTests : ExecutionTestBase
{
    [Fact]
    public async Task A_synchronous_dispose_releases_the_runs_in_flight_and_disposes_an_owned_store()
    {
        var store = await OpenSecondStoreAsync();
        var probe = new ExecutionProbe().Set("block"); // the step waits on the run's token
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions { OwnsStore = true, Services = new TestWorkflows.TestServices(probe), LeaseDuration = ShortLease });
        var handle = await engine.StartAsync(InterruptibleWorkflow.Definition, "parcel");
        await Raised(probe, "fragile-entered");

        engine.Dispose();

        var run = await GetRunAsync(handle.RunId);
        Assert.Equal(RunStatus.Running, run.Status); // left as it was, to be resumed
        Assert.Null(run.Owner); // its claim released
        await Assert.ThrowsAnyAsync<Exception>(async () => await store.GetRunAsync(Tenant, handle.RunId)); // the owned store is closed
        engine.Dispose(); // twice is harmless
    }

    [Fact]
    public async Task Disposing_an_engine_whose_step_body_ignores_cancellation_does_not_hang()
    {
        var probe = new ExecutionProbe().Set("hold-double"); // the body waits for a signal and ignores the run's token
        var engine = new WorkflowEngine(await OpenSecondStoreAsync(), new WorkflowEngineOptions
        {
            OwnsStore = true, Services = new TestWorkflows.TestServices(probe), LeaseDuration = TimeSpan.FromMilliseconds(500),
        });
        var handle = await engine.StartAsync(DoublingWorkflow.Definition, 4);
        await Raised(probe, "double-entered");

        await engine.DisposeAsync().AsTask().WaitAsync(Guard); // two grace periods, then it stops waiting
        Assert.Equal(RunStatus.Running, (await GetRunAsync(handle.RunId)).Status); // the journal is as it was
        probe.Raise("release-double");
    }

    protected abstract Task<IWorkflowStore> OpenSecondStoreAsync();
}

public sealed class SqliteEngineDisposalTests : EngineDisposalTests
{
    private SqliteJournal? _journal;

    protected override IJournalHarness CreateHarness() => _journal = new SqliteJournal();

    protected override async Task<IWorkflowStore> OpenSecondStoreAsync() => await _journal!.OpenAsync();
}

public sealed class PostgreSqlEngineDisposalTests : EngineDisposalTests
{
    private PostgreSqlJournal? _journal;

    protected override IJournalHarness CreateHarness() => _journal = new PostgreSqlJournal();

    protected override async Task<IWorkflowStore> OpenSecondStoreAsync() => await _journal!.OpenAsync();
}
