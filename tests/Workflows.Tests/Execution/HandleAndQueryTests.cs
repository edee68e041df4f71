using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>Idempotent starts, typed handles, the one registered definition per workflow, and run queries with keyset paging.</summary>
public abstract class HandleAndQueryTests : ExecutionTestBase
{
    // ---- idempotency -----------------------------------------------------------------------------------------

    [Fact]
    public async Task An_idempotency_key_returns_the_same_run_for_the_same_input_and_is_a_typed_conflict_for_another()
    {
        var probe = new ExecutionProbe().Set("hold-double");
        var engine = await EngineAsync(probe);
        var keyed = new StartOptions { IdempotencyKey = "order-42" };
        var first = await engine.StartAsync(DoublingWorkflow.Definition, 5, keyed);
        Assert.True(first.Created);
        await Raised(probe, "double-entered");

        // While the first run is still running...
        var again = await engine.StartAsync(DoublingWorkflow.Definition, 5, keyed);
        Assert.False(again.Created);
        Assert.Equal(first.RunId, again.RunId);
        var conflict = await Assert.ThrowsAsync<IdempotencyConflictException>(() => engine.StartAsync(DoublingWorkflow.Definition, 6, keyed));
        Assert.Equal("order-42", conflict.Key);
        Assert.Equal(first.RunId, conflict.ExistingRunId);
        Assert.Contains("order-42", conflict.Message);

        probe.Raise("release-double");
        Assert.Equal(10, await first.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(10, await again.GetResultAsync().WaitAsync(Guard));

        // ...and after it ended.
        var later = await engine.StartAsync(DoublingWorkflow.Definition, 5, keyed);
        Assert.False(later.Created);
        Assert.Equal(first.RunId, later.RunId);
        Assert.Equal(10, await later.GetResultAsync().WaitAsync(Guard));
        var conflictAfter = await Assert.ThrowsAsync<IdempotencyConflictException>(() => engine.StartAsync(DoublingWorkflow.Definition, 7, keyed));
        Assert.Equal("order-42", conflictAfter.Key);

        var existing = await engine.StartAsync(DoublingWorkflow.Definition, 7,
            new StartOptions { IdempotencyKey = "order-42", IdempotencyConflict = IdempotencyConflictBehavior.ReturnExisting });
        Assert.False(existing.Created);
        Assert.Equal(first.RunId, existing.RunId);
        Assert.Equal(10, await existing.GetResultAsync().WaitAsync(Guard));

        Assert.Equal(1, probe.Calls("double"));
        var runs = (await engine.ListRunsAsync(new RunQuery { Workflow = DoublingWorkflow.Definition.Name })).Runs;
        Assert.Equal([first.RunId], runs.Select(r => r.Id));
        Assert.Equal("5", runs[0].Input);

        // The key is per tenant: another tenant's start with it is another run.
        var elsewhere = await engine.StartAsync(DoublingWorkflow.Definition, 6, new StartOptions { IdempotencyKey = "order-42", TenantId = "tenant-2" });
        Assert.True(elsewhere.Created);
        Assert.NotEqual(first.RunId, elsewhere.RunId);
        Assert.Equal(12, await elsewhere.GetResultAsync().WaitAsync(Guard));
    }

    [Fact]
    public async Task Concurrent_starts_with_one_idempotency_key_create_one_run()
    {
        var probe = new ExecutionProbe();
        var first = await EngineAsync(probe);
        var second = await EngineAsync(probe);
        var keyed = new StartOptions { IdempotencyKey = "payment-9" };

        var starts = await Task.WhenAll(Enumerable.Range(0, 10)
            .Select(i => (i % 2 == 0 ? first : second).StartAsync(DoublingWorkflow.Definition, 9, keyed))).WaitAsync(Guard);

        Assert.Single(starts.Select(s => s.RunId).Distinct());
        Assert.Single(starts, s => s.Created);
        foreach (var start in starts)
        {
            Assert.Equal(18, await start.GetResultAsync().WaitAsync(Guard));
        }
        Assert.Equal(1, probe.Calls("double"));
        Assert.Single((await first.ListRunsAsync(new RunQuery { Workflow = DoublingWorkflow.Definition.Name })).Runs);
    }

    [Fact]
    public async Task A_start_with_an_existing_run_id_returns_that_run()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe);
        var id = Guid.CreateVersion7();
        var first = await engine.StartAsync(DoublingWorkflow.Definition, 8, new StartOptions { RunId = id });
        Assert.True(first.Created);
        Assert.Equal(id, first.RunId);
        Assert.Equal(16, await first.GetResultAsync().WaitAsync(Guard));

        var again = await engine.StartAsync(DoublingWorkflow.Definition, 8, new StartOptions { RunId = id });
        Assert.False(again.Created);
        Assert.Equal(16, await again.GetResultAsync().WaitAsync(Guard));
        await Assert.ThrowsAsync<ArgumentException>(() => engine.StartAsync(ForkableWorkflow.Definition, "x", new StartOptions { RunId = id }));
        Assert.Equal(1, probe.Calls("double"));
        Assert.Single((await engine.ListRunsAsync(new RunQuery())).Runs);
    }

    // ---- typed handles ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Resumed_and_looked_up_runs_have_typed_handles_that_give_the_typed_output()
    {
        var probe = new ExecutionProbe().Set("hold-double");
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);
        var created = new List<RunRecord>();
        foreach (var input in new[] { 1, 2, 3 })
        {
            created.Add(await CreateRunAsync(DoublingWorkflow.Definition, input.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var handles = await engine.ResumeUnfinishedAsync(); // the runs are held in their step: none can end before it lists them
        Assert.Equal(created.Select(r => r.Id).Order(), handles.Select(h => h.RunId).Order());
        var typed = handles.Select(h => Assert.IsType<WorkflowRun<int>>(h)).ToList();
        probe.Raise("release-double");
        var results = new Dictionary<Guid, int>();
        foreach (var handle in typed)
        {
            results[handle.RunId] = await handle.GetResultAsync().WaitAsync(Guard);
        }
        Assert.Equal([2, 4, 6], created.Select(r => results[r.Id]));

        var resumed = await engine.ResumeAsync(created[0].Id);
        Assert.Equal(2, await Assert.IsType<WorkflowRun<int>>(resumed).GetResultAsync().WaitAsync(Guard));
        var looked = await engine.GetRunAsync(created[1].Id);
        Assert.Equal(4, await Assert.IsType<WorkflowRun<int>>(looked).GetResultAsync().WaitAsync(Guard));
        Assert.Same(looked, looked.As<int>());
        var wrong = Assert.Throws<InvalidCastException>(() => looked.As<string>());
        Assert.Contains(looked.RunId.ToString(), wrong.Message);
        var byDefinition = await engine.GetRunAsync(DoublingWorkflow.Definition, created[2].Id);
        Assert.Equal(6, await byDefinition.GetResultAsync().WaitAsync(Guard));
        await Assert.ThrowsAsync<ArgumentException>(() => engine.GetRunAsync(ForkableWorkflow.Definition, created[2].Id));
        Assert.Equal(3, probe.Calls("double"));

        // A run of a workflow this engine does not know: an untyped handle, and casting it says why.
        var stranger = await CreateRunAsync(ForkableWorkflow.Definition, "\"x\"");
        var untyped = await engine.GetRunAsync(stranger.Id);
        Assert.Equal(typeof(WorkflowRun), untyped.GetType());
        var unknown = Assert.Throws<InvalidCastException>(() => untyped.As<string>());
        Assert.Contains("not registered", unknown.Message);
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ResumeAsync(stranger.Id));
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetRunAsync(Guid.CreateVersion7()));
    }

    [Fact]
    public async Task Only_the_registered_definition_of_a_workflow_can_start_it()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);
        var other = DoublingWorkflow.Definition.WithFactory(_ => new DoublingWorkflow(probe));
        Assert.Equal(DoublingWorkflow.Definition.Name, other.Name);

        await Assert.ThrowsAsync<ArgumentException>(() => engine.StartAsync(other, 1));
        Assert.Throws<ArgumentException>(() => engine.Register(other));
        Assert.Empty((await engine.ListRunsAsync(new RunQuery())).Runs);
        Assert.Same(DoublingWorkflow.Definition, Assert.Single(engine.Definitions));
        Assert.Equal(2, await engine.RunAsync(DoublingWorkflow.Definition, 1).WaitAsync(Guard));

        // A start registers an unregistered definition; after that it is the one.
        var second = await EngineAsync(probe);
        Assert.Equal(4, await second.RunAsync(other, 2).WaitAsync(Guard));
        Assert.Same(other, Assert.Single(second.Definitions));
        await Assert.ThrowsAsync<ArgumentException>(() => second.StartAsync(DoublingWorkflow.Definition, 3));
        Assert.Equal(2, (await second.ListRunsAsync(new RunQuery())).Runs.Count);
    }

    // ---- queries ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task ListRuns_pages_by_keyset_and_filters_by_workflow_status_tenant_and_created_range()
    {
        const string listed = "exec-list-a", other = "exec-list-b", tenant2 = "tenant-2";
        var start = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        TimeSpan[] offsets = [TimeSpan.Zero, TimeSpan.FromHours(2), TimeSpan.FromHours(-5)];
        var mine = new List<RunRecord>();
        var minute = 0;
        for (var i = 0; i < 25; i++)
        {
            var status = (i % 5) switch { 0 => RunStatus.Failed, 1 => RunStatus.Parked, _ => RunStatus.Succeeded };
            mine.Add(await CreateListedRunAsync(listed, Tenant, status, (start + TimeSpan.FromMinutes(minute++)).ToOffset(offsets[i % 3])));
            if (i % 5 == 2)
            {
                await CreateListedRunAsync(other, Tenant, RunStatus.Succeeded, start + TimeSpan.FromMinutes(minute++));
            }
            if (i % 6 == 3)
            {
                await CreateListedRunAsync(listed, tenant2, RunStatus.Succeeded, start + TimeSpan.FromMinutes(minute++));
            }
        }
        var engine = await EngineAsync();

        // Keyset paging: 10, 10, 5, then no next page.
        var pages = new List<RunPage>();
        Guid? after = null;
        do
        {
            var page = await engine.ListRunsAsync(new RunQuery { TenantId = Tenant, Workflow = listed, Limit = 10, AfterId = after });
            pages.Add(page);
            after = page.NextAfterId;
        }
        while (after is not null && pages.Count < 10);
        Assert.Equal([10, 10, 5], pages.Select(p => p.Runs.Count));
        Assert.Equal(pages[0].Runs[^1].Id, pages[0].NextAfterId);
        Assert.Equal(pages[1].Runs[^1].Id, pages[1].NextAfterId);
        Assert.Null(pages[2].NextAfterId);
        Assert.Equal(mine.Select(r => r.Id), pages.SelectMany(p => p.Runs).Select(r => r.Id));

        async Task<IReadOnlyList<RunRecord>> List(RunQuery query) => (await engine.ListRunsAsync(query with { Limit = RunQuery.MaxLimit })).Runs;

        Assert.Equal(30, (await List(new RunQuery { TenantId = Tenant })).Count);
        Assert.All(await List(new RunQuery { TenantId = Tenant, Workflow = other }), r => Assert.Equal(other, r.Workflow));
        Assert.Equal(5, (await List(new RunQuery { TenantId = Tenant, Workflow = other })).Count);
        var second = await List(new RunQuery { TenantId = tenant2 });
        Assert.Equal(4, second.Count);
        Assert.All(second, r => Assert.Equal(tenant2, r.TenantId));
        Assert.Equal(34, (await List(new RunQuery())).Count);

        Assert.Equal(mine.Where(r => r.Status == RunStatus.Failed).Select(r => r.Id),
            (await List(new RunQuery { Workflow = listed, TenantId = Tenant, Statuses = [RunStatus.Failed] })).Select(r => r.Id));
        Assert.Equal(mine.Where(r => r.Status is RunStatus.Failed or RunStatus.Parked).Select(r => r.Id),
            (await List(new RunQuery { Workflow = listed, Statuses = [RunStatus.Failed, RunStatus.Parked] })).Select(r => r.Id));

        // Created range: from inclusive, before exclusive, compared as instants whatever the offsets.
        var from = mine[5].CreatedAt.ToOffset(TimeSpan.FromHours(9));
        var before = mine[10].CreatedAt.ToOffset(TimeSpan.FromHours(-8));
        Assert.Equal(mine.Skip(5).Take(5).Select(r => r.Id),
            (await List(new RunQuery { Workflow = listed, TenantId = Tenant, CreatedFrom = from, CreatedBefore = before })).Select(r => r.Id));
        Assert.Equal(mine.Skip(5).Take(5).Where(r => r.Status == RunStatus.Succeeded).Select(r => r.Id),
            (await List(new RunQuery { Workflow = listed, TenantId = Tenant, CreatedFrom = from, CreatedBefore = before, Statuses = [RunStatus.Succeeded] })).Select(r => r.Id));

        // Parked runs, paged the same way.
        var parked = new List<Guid>();
        Guid? parkedAfter = null;
        var parkedPages = 0;
        do
        {
            var page = await engine.ListParkedRunsAsync(afterId: parkedAfter, limit: 2);
            parked.AddRange(page.Runs.Select(r => r.Id));
            parkedAfter = page.NextAfterId;
            parkedPages++;
        }
        while (parkedAfter is not null && parkedPages < 10);
        Assert.Equal(mine.Where(r => r.Status == RunStatus.Parked).Select(r => r.Id), parked);
        Assert.Equal(3, parkedPages);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.ListRunsAsync(new RunQuery { Limit = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.ListRunsAsync(new RunQuery { Limit = RunQuery.MaxLimit + 1 }));
    }

    /// <summary>A run recorded directly, of a workflow no engine here executes.</summary>
    private async Task<RunRecord> CreateListedRunAsync(string workflow, string tenant, RunStatus status, DateTimeOffset createdAt)
    {
        var ended = status is RunStatus.Succeeded or RunStatus.Failed;
        var run = new RunRecord
        {
            Id = Guid.CreateVersion7(createdAt),
            TenantId = tenant,
            Workflow = workflow,
            SchemaVersion = "listed",
            Status = status,
            Input = "null",
            Output = status == RunStatus.Succeeded ? "null" : null,
            Error = status is RunStatus.Failed or RunStatus.Parked ? new ErrorInfo(ErrorKind.WorkflowFailed, "listed") : null,
            CreatedAt = createdAt,
            StartedAt = createdAt,
            CompletedAt = ended ? createdAt : null,
            UpdatedAt = createdAt,
        };
        var result = await Store.CreateRunAsync(run);
        Assert.True(result.Created);
        return result.Run;
    }
}

public sealed class InMemoryHandleAndQueryTests : HandleAndQueryTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteHandleAndQueryTests : HandleAndQueryTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlHandleAndQueryTests : HandleAndQueryTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
