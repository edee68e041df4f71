using System.Collections.Concurrent;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows.PostgreSql.Tests;

/// <summary>
/// The lost reply, for real: a commit reaches the server and is applied, and the connection drops before its reply reaches
/// the store (<see cref="ReplyCuttingProxy"/> swallows the reply up to ReadyForQuery, then cuts). The store reports the
/// commit as unavailable, the caller retries the same writes list, and the store must recognise it as applied, not refuse it
/// as a conflict with itself; a different commit that conflicts with the applied one is still refused, and so is the
/// remembered commit when it was in fact never applied and something else took its place.
/// </summary>
public sealed class PostgreSqlLostReplyTests : PostgresTestDatabase
{
    private const string Tenant = "t";
    private const string Owner = "engine-a";
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));

    private async Task<PostgreSqlWorkflowStore> OpenAsync(ReplyCuttingProxy proxy)
    {
        var store = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = proxy.ConnectionString, Schema = Schema });
        await store.InitializeAsync(); // migrated before any cut is armed
        return store;
    }

    private static RunRecord NewRun() => new()
    {
        Id = Guid.CreateVersion7(),
        TenantId = Tenant,
        Workflow = "w",
        SchemaVersion = "v",
        Status = RunStatus.Pending,
        Input = "1",
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static StepRecord NewStep(RunRecord run, int sequence, StepStatus status, DateTimeOffset at, StepKind kind = StepKind.Step) => new()
    {
        Id = Guid.CreateVersion7(),
        RunId = run.Id,
        TenantId = run.TenantId,
        Sequence = sequence,
        Position = sequence,
        Name = $"step-{sequence}",
        Kind = kind,
        Status = status,
        Attempt = 1,
        Input = "{}",
        CreatedAt = at,
        StartedAt = at,
        UpdatedAt = at,
    };

    private static JournalWrite Fence(RunRecord run) => JournalWrite.RequireClaim(run.Id, run.TenantId, Owner);

    private static async Task<RunRecord> CreateClaimedRunAsync(IWorkflowStore store)
    {
        var created = await store.CreateRunAsync(RunReadiness.Claimed(NewRun(), Owner, T0, T0.AddYears(1)));
        Assert.True(created.Created);
        return created.Run;
    }

    /// <summary>
    /// Commits <paramref name="writes"/> with its reply cut: the store must say "unavailable" (a transient failure the engine
    /// retries: <see cref="StoreUnavailableException"/> over Npgsql's exception for the dropped connection), and the server
    /// must have committed.
    /// </summary>
    private static async Task CommitWithReplyCutAsync(ReplyCuttingProxy proxy, IWorkflowStore store, IReadOnlyList<JournalWrite> writes)
    {
        var cuts = proxy.Cuts;
        var cut = proxy.CutReplyTo(ReplyCuttingProxy.JournalCommit);
        var lost = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync(writes).AsTask());
        Assert.IsAssignableFrom<Npgsql.NpgsqlException>(lost.InnerException);
        Assert.IsNotType<Npgsql.PostgresException>(lost.InnerException); // the client's failure, not a server's error
        AssertCommittedByServer(cut);
        Assert.Equal(cuts + 1, proxy.Cuts);
    }

    private static void AssertCommittedByServer(Task<CutReport> cut)
    {
        Assert.True(cut.IsCompletedSuccessfully, "the proxy cut no reply: the armed request was never sent");
        var report = cut.Result;
        Assert.True(report.ServerCommitted, $"the server did not commit the request whose reply was cut (swallowed '{report.Swallowed}', status {report.TransactionStatus})");
        Assert.EndsWith("Z", report.Swallowed, StringComparison.Ordinal); // the client saw nothing of the reply, not even ReadyForQuery
    }

    // ---- reading the database directly (not through the store under test) ------------------------------------------

    private Task<List<object?[]>> StepRowsAsync(Guid runId) =>
        RowsAsync($"SELECT * FROM \"{Schema}\".workflow_steps WHERE run_id = $1 ORDER BY sequence, id", runId);

    private async Task<object?[]> RunRowAsync(Guid runId) =>
        Assert.Single(await RowsAsync($"SELECT * FROM \"{Schema}\".workflow_runs WHERE id = $1", runId));

    private async Task<object?[]> EventRowAsync(Guid eventId) =>
        Assert.Single(await RowsAsync($"SELECT * FROM \"{Schema}\".workflow_events WHERE id = $1", eventId));

    private async Task<(Guid Id, int Sequence, string Status, string? Output, long UpdatedAt)> StepAsync(Guid stepId)
    {
        var row = Assert.Single(await RowsAsync($"SELECT id, sequence, status, output, updated_at FROM \"{Schema}\".workflow_steps WHERE id = $1", stepId));
        return ((Guid)row[0]!, (int)row[1]!, (string)row[2]!, (string?)row[3], (long)row[4]!);
    }

    private async Task<(string Status, string? Owner, string? Output, long UpdatedAt)> RunAsync(Guid runId)
    {
        var row = Assert.Single(await RowsAsync($"SELECT status, owner, output, updated_at FROM \"{Schema}\".workflow_runs WHERE id = $1", runId));
        return ((string)row[0]!, (string?)row[1], (string?)row[2], (long)row[3]!);
    }

    // ---- the write kinds -------------------------------------------------------------------------------------------

    /// <summary>
    /// Commits <paramref name="writes"/> with the proxy dropping the request before it reaches the server: the store fails as
    /// unavailable and remembers the commit's outcome as unknown, though the server never saw it.
    /// </summary>
    private static async Task CommitDroppedAsync(ReplyCuttingProxy proxy, PostgreSqlWorkflowStore store, IReadOnlyList<JournalWrite> writes)
    {
        var dropped = proxy.DropRequest(ReplyCuttingProxy.JournalCommit);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync(writes).AsTask());
        Assert.True(dropped.IsCompletedSuccessfully, "the proxy dropped no request");
        Assert.Null((await dropped).TransactionStatus); // the server never saw it
    }

    [Fact]
    public async Task A_step_insert_whose_reply_was_lost_is_recognised_when_retried_and_another_insert_at_its_sequence_is_still_refused()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        var step = NewStep(run, 0, StepStatus.Running, T0.AddSeconds(1));
        IReadOnlyList<JournalWrite> writes = [Fence(run), JournalWrite.Insert(step)];
        var sent = store.CommitsSent;

        await CommitWithReplyCutAsync(proxy, store, writes);

        var applied = await StepRowsAsync(run.Id);
        var row = Assert.Single(applied);
        Assert.Equal(step.Id, row[0]); // the server applied it: the step is in the table
        Assert.Equal((step.Id, 0, "Running", (string?)null, step.UpdatedAt.UtcTicks), await StepAsync(step.Id));

        await store.CommitAsync(writes); // the engine's retry, with the same list: recognised as applied

        Assert.Equal(sent + 2, store.CommitsSent); // the cut commit and its retry, each one round trip
        Assert.Equal(applied, await StepRowsAsync(run.Id)); // exactly the one row, unchanged

        // Another commit inserting a step at that sequence is a real conflict, whatever the store remembers.
        var other = NewStep(run, 0, StepStatus.Running, T0.AddSeconds(2));
        var refused = await Assert.ThrowsAsync<JournalConflictException>(() => store.CommitAsync([Fence(run), JournalWrite.Insert(other)]).AsTask());
        Assert.Contains("already has a step at sequence 0", refused.Message, StringComparison.Ordinal);
        // So is a commit equal to the applied one that the store did not send and lose: recognition is of the commit the
        // store remembers (the same list), never of rows that look alike.
        await Assert.ThrowsAsync<JournalConflictException>(() => store.CommitAsync([Fence(run), JournalWrite.Insert(step)]).AsTask());
        Assert.Equal(applied, await StepRowsAsync(run.Id));
    }

    [Fact]
    public async Task A_remembered_commit_that_never_reached_the_server_is_refused_when_another_step_took_its_sequence_meanwhile()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        var step = NewStep(run, 0, StepStatus.Running, T0.AddSeconds(1));
        IReadOnlyList<JournalWrite> writes = [Fence(run), JournalWrite.Insert(step)];

        await CommitDroppedAsync(proxy, store, writes);
        Assert.Empty(await StepRowsAsync(run.Id));

        // Meanwhile another commit takes sequence 0 with another step.
        var other = NewStep(run, 0, StepStatus.Running, T0.AddSeconds(2));
        await store.CommitAsync([Fence(run), JournalWrite.Insert(other)]);

        // The retry of the remembered commit: its outcome was unknown, and it was not applied; the conflict is real.
        var refused = await Assert.ThrowsAsync<JournalConflictException>(() => store.CommitAsync(writes).AsTask());
        Assert.Contains("already has a step at sequence 0", refused.Message, StringComparison.Ordinal);
        var row = Assert.Single(await StepRowsAsync(run.Id));
        Assert.Equal(other.Id, row[0]);
    }

    [Fact]
    public async Task A_remembered_step_success_that_never_reached_the_server_is_refused_as_ownership_lost_when_another_engine_took_the_run()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        var running = NewStep(run, 0, StepStatus.Running, T0.AddSeconds(1));
        await store.CommitAsync([Fence(run), JournalWrite.Insert(running)]);
        var succeeded = running with { Status = StepStatus.Succeeded, Output = "42", CompletedAt = T0.AddSeconds(2), UpdatedAt = T0.AddSeconds(2) };
        IReadOnlyList<JournalWrite> writes = [Fence(run), JournalWrite.Update(succeeded)];

        await CommitDroppedAsync(proxy, store, writes);

        // The lease lapses and another engine claims the run.
        var later = T0.AddYears(2);
        Assert.NotNull(await store.ClaimRunAsync(new RunClaim(run.Id, Tenant, "engine-b", later, later.AddMinutes(1))));

        var lost = await Assert.ThrowsAsync<RunOwnershipLostException>(() => store.CommitAsync(writes).AsTask());
        Assert.Equal("engine-b", lost.CurrentOwner);
        Assert.Equal((running.Id, 0, "Running", (string?)null, running.UpdatedAt.UtcTicks), await StepAsync(running.Id));
    }

    [Fact]
    public async Task A_remembered_commit_that_never_reached_the_server_is_applied_by_its_retry()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        var step = NewStep(run, 0, StepStatus.Running, T0.AddSeconds(1));
        IReadOnlyList<JournalWrite> writes = [Fence(run), JournalWrite.Insert(step)];

        await CommitDroppedAsync(proxy, store, writes);
        Assert.Empty(await StepRowsAsync(run.Id));

        await store.CommitAsync(writes);

        Assert.Equal((step.Id, 0, "Running", (string?)null, step.UpdatedAt.UtcTicks), await StepAsync(step.Id));
        Assert.Single(await StepRowsAsync(run.Id));
    }

    /// <summary>The store's check, after a remembered commit was refused, of whether a step is as the commit wrote it.</summary>
    private static bool StepAsWrittenCheck(ClientMessage message) =>
        message is { Type: 'P', Sql: { } sql } && sql.Contains("FROM workflow_steps WHERE id = ", StringComparison.Ordinal);

    [Theory]
    [InlineData(false)] // the retry's batch is refused by the server (the step is there), and that reply is lost too
    [InlineData(true)]  // the retry's batch is refused, and the reply of the store's check whether it was applied is lost
    public async Task A_commit_whose_reply_is_lost_and_whose_retry_loses_a_reply_too_is_recognised_by_the_next_retry(bool checkLost)
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        var step = NewStep(run, 0, StepStatus.Running, T0.AddSeconds(1));
        IReadOnlyList<JournalWrite> writes = [Fence(run), JournalWrite.Insert(step)];

        await CommitWithReplyCutAsync(proxy, store, writes);
        var applied = Assert.Single(await StepRowsAsync(run.Id));

        var second = proxy.CutReplyTo(checkLost ? StepAsWrittenCheck : ReplyCuttingProxy.JournalCommit);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync(writes).AsTask());
        Assert.True(second.IsCompletedSuccessfully, "the proxy cut no second reply");
        // The retried batch was refused and rolled back (an ErrorResponse); the check is a read, answered without one.
        Assert.Equal(!checkLost, (await second).ServerReportedError);

        await store.CommitAsync(writes); // still remembered: recognised now

        Assert.Equal(2, proxy.Cuts);
        Assert.Equal(applied, Assert.Single(await StepRowsAsync(run.Id)));
    }

    [Fact]
    public async Task A_step_success_whose_reply_was_lost_is_recognised_when_retried_and_a_different_outcome_is_still_refused()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        var running = NewStep(run, 0, StepStatus.Running, T0.AddSeconds(1));
        await store.CommitAsync([Fence(run), JournalWrite.Insert(running)]);
        var done = T0.AddSeconds(3);
        var succeeded = running with { Status = StepStatus.Succeeded, Output = "42", DurationMs = 2000, CompletedAt = done, UpdatedAt = done };
        IReadOnlyList<JournalWrite> writes = [Fence(run), JournalWrite.Update(succeeded)];

        await CommitWithReplyCutAsync(proxy, store, writes);

        Assert.Equal((running.Id, 0, "Succeeded", "42", done.UtcTicks), await StepAsync(running.Id));
        var applied = await StepRowsAsync(run.Id);

        await store.CommitAsync(writes); // recognised as applied

        Assert.Equal(applied, await StepRowsAsync(run.Id));

        // A different outcome of the same step is refused: Succeeded is final.
        var failed = running with { Status = StepStatus.Failed, Error = new ErrorInfo(ErrorKind.StepFailed, "no"), CompletedAt = done.AddSeconds(1), UpdatedAt = done.AddSeconds(1) };
        var refused = await Assert.ThrowsAsync<IllegalTransitionException>(() => store.CommitAsync([Fence(run), JournalWrite.Update(failed)]).AsTask());
        Assert.Equal(nameof(StepStatus.Succeeded), refused.From);
        var otherSuccess = succeeded with { Output = "43", UpdatedAt = done.AddSeconds(1) };
        await Assert.ThrowsAsync<IllegalTransitionException>(() => store.CommitAsync([Fence(run), JournalWrite.Update(otherSuccess)]).AsTask());
        Assert.Equal(applied, await StepRowsAsync(run.Id));
    }

    [Fact]
    public async Task A_run_end_with_its_release_whose_reply_was_lost_is_recognised_when_retried_and_another_end_is_still_refused()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        var done = T0.AddSeconds(5);
        var succeeded = run with { Status = RunStatus.Succeeded, Output = "7", CompletedAt = done, UpdatedAt = done };
        IReadOnlyList<JournalWrite> writes = [Fence(run), JournalWrite.Update(succeeded), JournalWrite.ReleaseClaim(run.Id, run.TenantId, Owner)];

        await CommitWithReplyCutAsync(proxy, store, writes);

        Assert.Equal(("Succeeded", (string?)null, "7", done.UtcTicks), await RunAsync(run.Id)); // ended and released
        var applied = await RunRowAsync(run.Id);

        // The retry: its fence finds the claim released (by the first attempt), and the store recognises the end as its own.
        await store.CommitAsync(writes);

        Assert.Equal(applied, await RunRowAsync(run.Id));

        // Another end under the same (released) claim is refused as the fence refuses it, and without a fence by the state machine.
        var failed = run with { Status = RunStatus.Failed, Error = new ErrorInfo(ErrorKind.WorkflowFailed, "no"), CompletedAt = done, UpdatedAt = done.AddSeconds(1) };
        var lost = await Assert.ThrowsAsync<RunOwnershipLostException>(() =>
            store.CommitAsync([Fence(run), JournalWrite.Update(failed), JournalWrite.ReleaseClaim(run.Id, run.TenantId, Owner)]).AsTask());
        Assert.Null(lost.CurrentOwner);
        var illegal = await Assert.ThrowsAsync<IllegalTransitionException>(() => store.CommitAsync([JournalWrite.Update(failed)]).AsTask());
        Assert.Equal(nameof(RunStatus.Succeeded), illegal.From);
        Assert.Equal(applied, await RunRowAsync(run.Id));
    }

    [Fact]
    public async Task A_release_whose_reply_was_lost_is_recognised_when_retried()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        // An engine that stops releases its runs: a commit of a fence and a release only, nothing distinctive to look for.
        IReadOnlyList<JournalWrite> writes = [Fence(run), JournalWrite.ReleaseClaim(run.Id, run.TenantId, Owner)];

        await CommitWithReplyCutAsync(proxy, store, writes);

        Assert.Equal(("Running", (string?)null, (string?)null, T0.UtcTicks), await RunAsync(run.Id)); // released
        var applied = await RunRowAsync(run.Id);

        await store.CommitAsync(writes); // the fence finds no owner: the store counts a commit of a fence and a release as applied

        Assert.Equal(applied, await RunRowAsync(run.Id));
    }

    [Theory]
    [InlineData(true)]  // as the engine writes it: the wait's entry, then the consumption (recognised by the entry)
    [InlineData(false)] // the consumption first: recognised by the event's consuming sequence
    public async Task An_event_consumption_whose_reply_was_lost_is_recognised_when_retried_and_another_consumption_is_still_refused(bool entryFirst)
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var run = await CreateClaimedRunAsync(store);
        var ev = new EventRecord { Id = Guid.CreateVersion7(), RunId = run.Id, TenantId = Tenant, Name = "approved", Payload = "true", CreatedAt = T0.AddSeconds(1) };
        await store.SendEventAsync(ev);
        var at = T0.AddSeconds(2);
        var entry = NewStep(run, 0, StepStatus.Succeeded, at, StepKind.Event) with { Name = "approved", Output = "true", CompletedAt = at };
        var consume = JournalWrite.ConsumeEvent(ev.Id, run.Id, Tenant, 0, at);
        IReadOnlyList<JournalWrite> writes = entryFirst
            ? [Fence(run), JournalWrite.Insert(entry), consume]
            : [Fence(run), consume, JournalWrite.Insert(entry)];

        await CommitWithReplyCutAsync(proxy, store, writes);

        Assert.Equal(0, await ScalarAsync<int>($"SELECT consumed_by_sequence FROM \"{Schema}\".workflow_events WHERE id = $1", ev.Id)); // the server applied it
        Assert.Single(await StepRowsAsync(run.Id));
        var appliedEvent = await EventRowAsync(ev.Id);
        var appliedSteps = await StepRowsAsync(run.Id);

        await store.CommitAsync(writes); // recognised as applied

        Assert.Equal(appliedEvent, await EventRowAsync(ev.Id));
        Assert.Equal(appliedSteps, await StepRowsAsync(run.Id));

        // Another wait consuming the same event is refused: it was consumed (by sequence 0).
        var later = NewStep(run, 1, StepStatus.Succeeded, at.AddSeconds(1), StepKind.Event) with { Name = "approved", Output = "true" };
        var refused = await Assert.ThrowsAsync<JournalConflictException>(() =>
            store.CommitAsync([Fence(run), JournalWrite.ConsumeEvent(ev.Id, run.Id, Tenant, 1, at.AddSeconds(1)), JournalWrite.Insert(later)]).AsTask());
        Assert.Contains("consumed already (by sequence 0)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(appliedEvent, await EventRowAsync(ev.Id));
        Assert.Equal(appliedSteps, await StepRowsAsync(run.Id));
    }

    [Fact]
    public async Task A_run_creation_whose_commit_reply_was_lost_is_found_when_retried_and_a_run_of_another_tenant_with_its_id_is_still_refused()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        // CreateRunAsync is its own path: an explicit transaction (insert the run, its forked steps, COMMIT), not a batch,
        // and not remembered as of unknown outcome: the retry finds the run by its id.
        var run = RunReadiness.Claimed(NewRun(), Owner, T0, T0.AddYears(1));
        StepRecord[] steps = [NewStep(run, 0, StepStatus.Succeeded, T0) with { Output = "1" }, NewStep(run, 1, StepStatus.Succeeded, T0) with { Output = "2" }];

        var cut = proxy.CutReplyTo(ReplyCuttingProxy.RunCreationCommit);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CreateRunAsync(run, steps).AsTask());
        AssertCommittedByServer(cut);

        Assert.Equal(("Running", (string?)Owner, (string?)null, T0.UtcTicks), await RunAsync(run.Id)); // created, claimed
        Assert.Equal(2, (await StepRowsAsync(run.Id)).Count);
        var appliedRun = await RunRowAsync(run.Id);
        var appliedSteps = await StepRowsAsync(run.Id);

        var retried = await store.CreateRunAsync(run, steps);

        // The store cannot tell its own lost creation from an earlier one: the run is "found", as it was written.
        Assert.False(retried.Created);
        Assert.Equal(run, retried.Run);
        Assert.Equal(appliedRun, await RunRowAsync(run.Id));
        Assert.Equal(appliedSteps, await StepRowsAsync(run.Id));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM \"{Schema}\".workflow_runs"));

        // A run of another tenant under that id is refused.
        var stranger = NewRun() with { Id = run.Id, TenantId = "other" };
        await Assert.ThrowsAsync<JournalConflictException>(() => store.CreateRunAsync(stranger).AsTask());
        Assert.Equal(appliedRun, await RunRowAsync(run.Id));
    }

    // ---- end to end ------------------------------------------------------------------------------------------------

    /// <summary>How many times each step body ran, and what the workflow does at a body (arming the proxy).</summary>
    private sealed class Ledger
    {
        public ConcurrentDictionary<int, int> Runs { get; } = new();

        public Action<int>? AtBody { get; init; }
    }

    /// <summary>A four-step workflow built by hand (this project has no generator): each step adds its index + 1 to the total.</summary>
    private sealed class CountingWorkflow(Ledger ledger)
    {
        public const int StepCount = 4;

        public static readonly StepDescriptor[] Steps = [.. Enumerable.Range(0, StepCount).Select(i => new StepDescriptor($"add-{i}"))];

        public static readonly WorkflowDefinition<CountingWorkflow, int, int> Definition = new(
            "lost-reply-counting", "v1", Steps,
            _ => throw new InvalidOperationException("built by the test's factory"),
            (workflow, input, _) => workflow.RunAsync(input),
            JsonCodecs.Int32, JsonCodecs.Int32);

        public async Task<int> RunAsync(int total)
        {
            var context = WorkflowContext.Current ?? throw new InvalidOperationException("not in a run");
            for (var i = 0; i < StepCount; i++)
            {
                var index = i;
                var before = total;
                total = await context.RunStepAsync(Steps[index], null, () => Task.FromResult(Body(index, before)), JsonCodecs.Int32);
            }
            return total;
        }

        private int Body(int index, int total)
        {
            ledger.Runs.AddOrUpdate(index, 1, (_, n) => n + 1);
            ledger.AtBody?.Invoke(index);
            return total + index + 1;
        }
    }

    [Theory]
    // Each outcome committed on its own (StepOutcomeWindow zero):
    [InlineData(1, 0, true, "UPDATE workflow_steps SET")] // the commit that records step 1 succeeded
    [InlineData(1, 1, true, "INSERT INTO workflow_steps")] // the commit after it: step 2's Running entry, before its body
    [InlineData(3, 1, true, "UPDATE workflow_runs SET")]   // after the last step's success: the run's end with its release
    // Outcomes held for the run's next write (the default):
    [InlineData(1, 0, false, "UPDATE workflow_steps SET", "INSERT INTO workflow_steps")] // step 1's outcome with step 2's start
    [InlineData(3, 0, false, "UPDATE workflow_steps SET", "UPDATE workflow_runs SET")]   // the last outcome with the run's end
    public async Task An_engine_whose_commit_reply_is_cut_mid_run_finishes_the_run_with_each_step_once(int armAtStep, int skipCommits,
        bool eachOutcomeAlone, params string[] cutWrites)
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        Task<CutReport>? cut = null;
        var ledger = new Ledger
        {
            AtBody = index =>
            {
                if (index == armAtStep && cut is null) cut = proxy.CutReplyTo(ReplyCuttingProxy.JournalCommit, skipCommits);
            },
        };
        var definition = CountingWorkflow.Definition.WithFactory(_ => new CountingWorkflow(ledger));
        // A commit refused instead of recognised may not fail the run (the engine takes a refused end for a takeover and
        // reports it), so the engine's background errors are watched too.
        var errors = new ConcurrentQueue<Exception>();
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions
        {
            WorkerId = Owner, OnBackgroundError = errors.Enqueue,
            // A window long enough that only the run's next write carries an outcome, never the window's timer.
            StepOutcomeWindow = eachOutcomeAlone ? TimeSpan.Zero : TimeSpan.FromSeconds(1),
        });
        engine.Register(definition);

        var run = await engine.StartAsync(definition, 100);
        var output = await run.GetResultAsync().WaitAsync(HangGuard);

        Assert.Equal(100 + 1 + 2 + 3 + 4, output);
        Assert.NotNull(cut);
        AssertCommittedByServer(cut);
        Assert.Equal(1, proxy.Cuts);
        // The cut commit was the one meant: a fence and those writes (and a release and a notification at the run's end).
        var statements = (await cut).Statements;
        var written = statements.Where(sql => sql.Contains("workflow_expect(", StringComparison.Ordinal)).ToList();
        // A fence and step writes go as one statement (PostgreSqlFusedCommit): the fence's CTE, then each write's, in order.
        var fused = written is [var one] && one.StartsWith("WITH w0 AS (SELECT 1 FROM workflow_runs", StringComparison.Ordinal)
            && cutWrites.Select((w, i) => one.IndexOf($"w{i + 1} AS ({w}", StringComparison.Ordinal)).Aggregate(0, (at, found) => at >= 0 && found > at ? found : -1) > 0;
        Assert.True(fused || written.Count == 1 + cutWrites.Length && cutWrites.Select((w, i) => written[i + 1].Contains(w, StringComparison.Ordinal)).All(x => x),
            $"the cut commit is not the fence and the {string.Join(", ", cutWrites.Select(w => $"'{w}'"))} meant:\n{string.Join("\n", statements)}");
        Assert.Equal(Enumerable.Range(0, CountingWorkflow.StepCount).Select(i => (i, 1)), ledger.Runs.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)));

        // Exactly one row per step (sequences are numbered from 1), each recorded once and succeeded on its first attempt.
        var steps = await RowsAsync($"SELECT sequence, status, attempt, output FROM \"{Schema}\".workflow_steps WHERE run_id = $1 ORDER BY sequence", run.RunId);
        Assert.Equal(
            Enumerable.Range(0, CountingWorkflow.StepCount).Select(i => new object?[] { i + 1, "Succeeded", 1, (100 + Enumerable.Range(1, i + 1).Sum()).ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            steps);
        var (status, owner, runOutput, _) = await RunAsync(run.RunId);
        Assert.Equal(("Succeeded", (string?)null, "110"), (status, owner, runOutput));
        Assert.True(errors.IsEmpty, "the engine reported: " + string.Join("; ", errors.Select(e => $"{e.GetType().Name}: {e.Message}")));
    }

    [Fact]
    public async Task An_engine_start_whose_creation_reply_was_lost_fails_as_unavailable_and_the_retried_start_runs_the_created_run_once()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        var ledger = new Ledger();
        var definition = CountingWorkflow.Definition.WithFactory(_ => new CountingWorkflow(ledger));
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions { WorkerId = Owner });
        engine.Register(definition);
        var start = new StartOptions { RunId = Guid.CreateVersion7() };

        // StartAsync does not retry a creation (only commits of an execution are retried): the caller sees the failure.
        var cut = proxy.CutReplyTo(ReplyCuttingProxy.RunCreation);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => engine.StartAsync(definition, 100, start));
        AssertCommittedByServer(cut);
        // The run was created: claimed by this engine, whose execution never started (or Pending, for the scheduler, when a
        // claim pass held the engine's free slots at that moment; the scheduler may then be executing it already).
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM \"{Schema}\".workflow_runs WHERE id = $1", start.RunId.Value));

        // The caller's retry finds the run (so not Created by this call) and it runs, once: executed here on the claim this
        // engine holds (a claim by id takes its own claim), or by the scheduler.
        var run = await engine.StartAsync(definition, 100, start);
        Assert.False(run.Created);
        Assert.Equal(110, await run.GetResultAsync().WaitAsync(HangGuard));

        Assert.Equal(Enumerable.Range(0, CountingWorkflow.StepCount).Select(i => (i, 1)), ledger.Runs.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)));
        Assert.Equal(CountingWorkflow.StepCount, (await StepRowsAsync(start.RunId.Value)).Count);
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM \"{Schema}\".workflow_runs"));
        var (status, owner, output, _) = await RunAsync(start.RunId.Value);
        Assert.Equal(("Succeeded", (string?)null, "110"), (status, owner, output));
    }

    // ---- a lost reply, then a claim by the same engine before the retry ---------------------------------------------

    /// <summary>A workflow that waits for event "go" (no timeout) and returns its input plus the event's value.</summary>
    private sealed class WaitingWorkflow
    {
        public static readonly WorkflowDefinition<WaitingWorkflow, int, int> Definition = new(
            "lost-reply-waiting", "v1", [],
            _ => new WaitingWorkflow(),
            (_, input, _) => WaitAsync(input),
            JsonCodecs.Int32, JsonCodecs.Int32);

        private static async Task<int> WaitAsync(int input) => input + await Workflow.WaitForEventAsync("go", JsonCodecs.Int32);
    }

    /// <summary>The run update of a suspension: an UpdateRun to Waiting (its legal sources are Running and Waiting).</summary>
    private static bool RunSuspension(ClientMessage message) =>
        message is { Type: 'P', Sql: { } sql } && sql.Contains("UPDATE workflow_runs SET", StringComparison.Ordinal)
        && sql.Contains("status IN ('Running', 'Waiting')", StringComparison.Ordinal);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + HangGuard;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"Not within the hang guard: {what}.");
            await Task.Delay(20);
        }
    }

    private static EventRecord NewEvent(Guid runId, string tenant, string name, string payload) =>
        new() { Id = Guid.CreateVersion7(), RunId = runId, TenantId = tenant, Name = name, Payload = payload, CreatedAt = DateTimeOffset.UtcNow };

    /// <remarks>
    /// The engine's execution X re-suspends a run on an event wait it already journaled (so the commit is only the fence, the
    /// run's move to Waiting and the release: nothing in it is refused when it is sent again). Its reply is lost; the store
    /// remembers it; before X's retry reaches the server, "go" arrives and the engine's own scheduler claims the run (same
    /// worker id), which takes the run's wake-up request. X's retry then passes the fence (the owner is the same), moves the
    /// run to Waiting again and releases it. The run must not be left waiting for an event that is already there.
    /// </remarks>
    // Found failing by this test: the engine's StartExecution dropped a claim of a run still executing here, and the claim
    // had taken the run's wake-up request. The engine now hands such a claim back with a wake-up request when the execution
    // has sent its releasing commit (WorkflowEngine.HandBackAsync), whichever order the hand-back and the retry reach the server.
    [Fact]
    public async Task A_resuspension_whose_reply_was_lost_and_whose_retry_follows_a_claim_by_the_same_engine_leaves_the_run_ready()
    {
        await using var proxy = ReplyCuttingProxy.Start(ConnectionString);
        await using var store = await OpenAsync(proxy);
        // The senders: another process, straight to the server.
        await using var senders = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = ConnectionString, Schema = Schema });
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions { WorkerId = Owner, PollInterval = TimeSpan.FromMilliseconds(200) });
        engine.Register(WaitingWorkflow.Definition);

        var run = await engine.StartAsync(WaitingWorkflow.Definition, 1);
        var tenant = engine.DefaultTenantId;
        await UntilAsync(async () => engine.RunsInMemory == 0 && await RunAsync(run.RunId) is ("Waiting", null, _, _), "the run suspends on its wait for 'go'");

        // Armed in order: the re-suspension's reply is cut; then the next journal commit (X's retry of it) is held at its
        // first statement, the fence, so that nothing of it (not even the fence's row lock) reaches the server yet.
        var cut = proxy.CutReplyTo(RunSuspension);
        var retry = proxy.HoldRequest(ReplyCuttingProxy.JournalCommit);

        // An event of another name wakes the run: X claims it, replays, finds no "go", and suspends again.
        await senders.SendEventAsync(NewEvent(run.RunId, tenant, "other", "0"));
        await cut.WaitAsync(HangGuard);
        AssertCommittedByServer(cut);
        await retry.Held.WaitAsync(HangGuard);
        var (suspendedStatus, suspendedOwner, _, _) = await RunAsync(run.RunId);
        Assert.Equal(("Waiting", (string?)null), (suspendedStatus, suspendedOwner)); // the lost commit was applied

        // "go" arrives; then the engine's scheduler makes a full pass that began after it: each pass claims ready runs, then
        // asks for the next due time, so between the first two next-due questions sent after the event lies a claim pass
        // that could see the event (whatever the scheduler then does with the run).
        await senders.SendEventAsync(NewEvent(run.RunId, tenant, "go", "5"));
        await proxy.ReplyTo(ReplyCuttingProxy.NextDueQuery, skip: 1).WaitAsync(HangGuard);
        var (claimedStatus, claimedOwner, _, _) = await RunAsync(run.RunId);

        retry.Release();
        await retry.Answered.WaitAsync(HangGuard);

        // Whatever the engine did with that claim (it hands it back, with a wake-up request, in a commit of its own that may
        // reach the server after X's retry), the run ends with the event; if it is left waiting, unwoken, for an event that is
        // there, nothing ever claims it, and the hang guard says what it was left as.
        int result;
        try
        {
            result = await run.GetResultAsync().WaitAsync(HangGuard);
        }
        catch (TimeoutException)
        {
            var row = Assert.Single(await RowsAsync(
                $"SELECT status, owner, wake_requested_at, waiting_for FROM \"{Schema}\".workflow_runs WHERE id = $1", run.RunId));
            var goPending = await ScalarAsync<long>(
                $"SELECT count(*) FROM \"{Schema}\".workflow_events WHERE run_id = $1 AND name = 'go' AND consumed_at IS NULL", run.RunId);
            Assert.Fail($"run {run.RunId} did not end: it is {row[0]} ({row[3]}), held by {row[1] ?? "no engine"}, wake-up request {row[2] ?? "none"}, " +
                $"'go' unconsumed: {goPending == 1} (before X's retry was let through, the run was {claimedStatus}, held by {claimedOwner ?? "no engine"})");
            throw;
        }
        Assert.Equal(6, result);
    }
}
