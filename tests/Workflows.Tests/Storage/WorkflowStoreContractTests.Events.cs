using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>The store contract of the durable primitives: events, wake-up requests, child listings, attempt history.</summary>
public abstract partial class WorkflowStoreContractTests
{
    // ---- events -------------------------------------------------------------------------------------------

    protected static EventRecord NewEvent(RunRecord run, string name = "scan", string? key = null, string? payload = """{"code":"ä-1"}""", Guid? id = null, DateTimeOffset? at = null) => new()
    {
        Id = id ?? Guid.CreateVersion7(),
        RunId = run.Id,
        TenantId = run.TenantId,
        Name = name,
        Payload = payload,
        IdempotencyKey = key,
        CreatedAt = at ?? T0.AddMinutes(5),
    };

    private async Task<RunRecord> SuspendedAsync(string owner = "engine-a", double wakeSeconds = 3600)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = owner, LeaseExpiresAt = At(30) });
        var waiting = run with { Status = RunStatus.Waiting, WakeAt = At(wakeSeconds), WaitingFor = "event:1", UpdatedAt = T0.AddSeconds(1) };
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, owner), JournalWrite.Update(waiting), JournalWrite.ReleaseClaim(run.Id, Tenant, owner));
        return waiting with { Owner = null, LeaseExpiresAt = null };
    }

    [Fact]
    public async Task An_event_sent_to_a_waiting_run_is_delivered_and_makes_the_run_ready_at_once_until_a_claim_takes_the_wake_request()
    {
        var waiting = await SuspendedAsync();
        Assert.Equal(At(3600), await Store.GetNextDueAsync(["orders"], Now));
        Assert.Empty(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-b", 10, "orders")));
        var ev = NewEvent(waiting);

        var result = await Store.SendEventAsync(ev);

        Assert.Equal(SendEventOutcome.Delivered, result.Outcome);
        Assert.Equal(ev, result.Event);
        Assert.Equal(RunStatus.Waiting, result.RunStatus);
        var woken = waiting with { WakeRequestedAt = ev.CreatedAt };
        AssertSameRun(woken, await Store.GetRunAsync(Tenant, waiting.Id)); // only the wake-up request changed
        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now));

        var claimed = Assert.Single(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-b", 10, "orders")));
        AssertClaimedFrom(woken, claimed, "engine-b", At(60));
        Assert.Null(claimed.WakeRequestedAt);
        Assert.Null((await Store.GetRunAsync(Tenant, waiting.Id))!.WakeRequestedAt);
        Assert.Equal(At(60), await Store.GetNextDueAsync(["orders"], Now)); // only the new claim's expiry is left
    }

    [Fact]
    public async Task A_claim_by_id_of_a_woken_waiting_run_takes_it_and_clears_the_wake_request()
    {
        var waiting = await SuspendedAsync();
        Assert.Null(await Store.ClaimRunAsync(ClaimOf(waiting, "engine-b")));
        Assert.Equal(SendEventOutcome.Delivered, (await Store.SendEventAsync(NewEvent(waiting))).Outcome);

        var claimed = await Store.ClaimRunAsync(ClaimOf(waiting, "engine-b"));

        AssertClaimedFrom(waiting with { WakeRequestedAt = T0.AddMinutes(5) }, claimed, "engine-b", At(60));
        Assert.Null((await Store.GetRunAsync(Tenant, waiting.Id))!.WakeRequestedAt);
    }

    [Fact]
    public async Task An_event_sent_to_a_running_run_sets_its_wake_request_which_its_owners_updates_keep_so_its_suspension_is_over_at_once()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });
        var ev = NewEvent(run);

        Assert.Equal(SendEventOutcome.Delivered, (await Store.SendEventAsync(ev)).Outcome);
        Assert.Equal(ev.CreatedAt, (await Store.GetRunAsync(Tenant, run.Id))!.WakeRequestedAt);

        // The owner suspends without having seen the event: its updates carry no wake-up request, and do not erase it.
        var waiting = run with { Status = RunStatus.Waiting, WakeAt = At(3600), WaitingFor = "event:1", UpdatedAt = T0.AddSeconds(1), WakeRequestedAt = null };
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(waiting), JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"));
        var stored = await Store.GetRunAsync(Tenant, run.Id);
        AssertSameRun(waiting with { Owner = null, LeaseExpiresAt = null, WakeRequestedAt = ev.CreatedAt }, stored);

        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now));
        var claimed = Assert.Single(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-b", 10, "orders")));
        Assert.Equal((run.Id, (DateTimeOffset?)null), (claimed.Id, claimed.WakeRequestedAt));
    }

    [Fact]
    public async Task An_update_carrying_a_wake_request_does_not_write_it()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));

        await CommitAsync(JournalWrite.Update(run with { Status = RunStatus.Waiting, WakeRequestedAt = T0 }));

        Assert.Null((await Store.GetRunAsync(Tenant, run.Id))!.WakeRequestedAt);
        Assert.Empty(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-b", 10, "orders")));
    }

    [Theory]
    [InlineData(RunStatus.Pending)]
    [InlineData(RunStatus.Running)]
    [InlineData(RunStatus.Waiting)]
    [InlineData(RunStatus.Parked)]
    public async Task Every_unended_run_accepts_events(RunStatus status)
    {
        var run = await CreateAsync(NewRun(status) with { Input = "\"in\"", WaitingFor = status == RunStatus.Waiting ? "event:1" : null });
        var ev = NewEvent(run, at: T0.AddHours(1).ToOffset(TimeSpan.FromHours(3)));

        var result = await Store.SendEventAsync(ev);

        Assert.Equal((SendEventOutcome.Delivered, (RunStatus?)status), (result.Outcome, result.RunStatus));
        AssertSameRun(run with { WakeRequestedAt = ev.CreatedAt }, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameEvent(ev, Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id))));
    }

    [Theory]
    [InlineData(RunStatus.Succeeded)]
    [InlineData(RunStatus.Failed)]
    [InlineData(RunStatus.Cancelled)]
    public async Task An_ended_run_refuses_events_and_nothing_is_written(RunStatus status)
    {
        var run = await CreateAsync(NewRun(status) with { CompletedAt = T0 });

        var result = await Store.SendEventAsync(NewEvent(run));

        Assert.Equal(new SendEventResult(SendEventOutcome.RunEnded, null, status), result);
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true }));
    }

    [Fact]
    public async Task An_event_for_an_unknown_run_or_another_tenants_run_is_not_found_and_nothing_is_written()
    {
        var run = await CreateAsync(NewRun(RunStatus.Waiting));

        var unknown = await Store.SendEventAsync(NewEvent(NewRun()));
        var otherTenant = await Store.SendEventAsync(NewEvent(run) with { TenantId = OtherTenant });

        Assert.Equal(new SendEventResult(SendEventOutcome.RunNotFound, null, null), unknown);
        Assert.Equal(new SendEventResult(SendEventOutcome.RunNotFound, null, null), otherTenant);
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true }));
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(OtherTenant, run.Id) { IncludeConsumed = true }));
    }

    [Fact]
    public async Task A_duplicate_idempotency_key_returns_the_first_event_and_writes_nothing()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var first = NewEvent(run, key: "scan-1", payload: "1");
        Assert.Equal(SendEventOutcome.Delivered, (await Store.SendEventAsync(first)).Outcome);
        var other = await CreateAsync(NewRun(RunStatus.Running));

        var again = await Store.SendEventAsync(NewEvent(run, key: "scan-1", payload: "2", at: T0.AddHours(3)));
        var sameKeyOtherRun = await Store.SendEventAsync(NewEvent(other, key: "scan-1", payload: "3"));
        var noKey = await Store.SendEventAsync(NewEvent(run, payload: "4"));

        Assert.Equal(SendEventOutcome.Duplicate, again.Outcome);
        Assert.Equal(RunStatus.Running, again.RunStatus);
        AssertSameEvent(first, again.Event);
        Assert.Equal(SendEventOutcome.Delivered, sameKeyOtherRun.Outcome); // keys are per run
        Assert.Equal(SendEventOutcome.Delivered, noKey.Outcome);
        var events = await Store.GetEventsAsync(new EventQuery(Tenant, run.Id));
        Assert.Equal(["1", "4"], events.Select(e => e.Payload));
        // The duplicate did not move the wake-up request either (the event without key did).
        Assert.Equal(noKey.Event!.CreatedAt, (await Store.GetRunAsync(Tenant, run.Id))!.WakeRequestedAt);
    }

    [Fact]
    public async Task A_consumed_event_is_still_a_duplicate_of_its_key()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(30) });
        var first = NewEvent(run, key: "k");
        await Store.SendEventAsync(first);
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.ConsumeEvent(first.Id, run.Id, Tenant, 1, T0.AddMinutes(6)));

        var again = await Store.SendEventAsync(NewEvent(run, key: "k"));

        Assert.Equal(SendEventOutcome.Duplicate, again.Outcome);
        AssertSameEvent(first with { ConsumedAt = T0.AddMinutes(6), ConsumedBySequence = 1 }, again.Event);
    }

    [Fact]
    public async Task Events_are_read_in_the_order_they_were_sent_not_by_id()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        // Random ids (not UUIDv7) and one creation time: only the order of sending can order them.
        var sent = Enumerable.Range(0, 5).Select(i => NewEvent(run, payload: i.ToString(System.Globalization.CultureInfo.InvariantCulture), id: Guid.NewGuid(), at: T0)).ToList();
        sent.Sort((a, b) => b.Id.CompareTo(a.Id)); // descending ids: sorting by id would reverse them
        foreach (var ev in sent)
        {
            Assert.Equal(SendEventOutcome.Delivered, (await Store.SendEventAsync(ev)).Outcome);
        }

        var events = await Store.GetEventsAsync(new EventQuery(Tenant, run.Id));

        Assert.Equal(sent.Select(e => e.Id), events.Select(e => e.Id));
        for (var i = 0; i < sent.Count; i++) AssertSameEvent(sent[i], events[i]);
        Assert.Equal(sent.Take(2).Select(e => e.Id), (await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { Limit = 2 })).Select(e => e.Id));
    }

    [Fact]
    public async Task Events_filter_by_name_and_leave_out_consumed_ones_unless_asked()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(30) });
        var scan1 = NewEvent(run, "scan", payload: null);
        var approve = NewEvent(run, "approve");
        var scan2 = NewEvent(run, "scan");
        foreach (var ev in new[] { scan1, approve, scan2 }) await Store.SendEventAsync(ev);
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.ConsumeEvent(scan1.Id, run.Id, Tenant, 4, T0.AddHours(1)));
        var consumed = scan1 with { ConsumedAt = T0.AddHours(1), ConsumedBySequence = 4 };

        Assert.Equal([approve.Id, scan2.Id], (await Store.GetEventsAsync(new EventQuery(Tenant, run.Id))).Select(e => e.Id));
        Assert.Equal([scan2.Id], (await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { Name = "scan" })).Select(e => e.Id));
        var all = await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { Name = "scan", IncludeConsumed = true });
        Assert.Equal(2, all.Count);
        AssertSameEvent(consumed, all[0]);
        AssertSameEvent(scan2, all[1]);
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { Name = "nothing", IncludeConsumed = true }));
    }

    [Fact]
    public async Task Events_are_scoped_by_tenant_and_run()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var other = await CreateAsync(NewRun(RunStatus.Running, tenant: OtherTenant));
        await Store.SendEventAsync(NewEvent(run));
        await Store.SendEventAsync(NewEvent(other));

        Assert.Empty(await Store.GetEventsAsync(new EventQuery(OtherTenant, run.Id) { IncludeConsumed = true }));
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, other.Id) { IncludeConsumed = true }));
        Assert.Equal(run.Id, Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id))).RunId);
        Assert.Equal(other.Id, Assert.Single(await Store.GetEventsAsync(new EventQuery(OtherTenant, other.Id))).RunId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(EventQuery.MaxLimit + 1)]
    public async Task An_event_query_with_a_limit_out_of_range_is_refused(int limit)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { Limit = limit }).AsTask());
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { Limit = EventQuery.MaxLimit }));
    }

    [Fact]
    public async Task An_event_marked_consumed_cannot_be_sent()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SendEventAsync(NewEvent(run) with { ConsumedAt = T0 }).AsTask());
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true }));
    }

    [Fact]
    public async Task An_event_id_sent_twice_is_a_conflict()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var ev = NewEvent(run);
        await Store.SendEventAsync(ev);

        await Assert.ThrowsAsync<JournalConflictException>(() => Store.SendEventAsync(ev with { Payload = "2" }).AsTask());
        AssertSameEvent(ev, Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id))));
    }

    // ---- consuming events ---------------------------------------------------------------------------------

    [Fact]
    public async Task An_event_is_consumed_in_the_owners_fenced_commit_with_the_entry_that_waits_for_it()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });
        var ev = NewEvent(run);
        await Store.SendEventAsync(ev);
        var entry = NewStep(run, 1, StepStatus.Succeeded) with { Kind = StepKind.Event, Name = "scan", Output = ev.Payload };

        await CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"),
            JournalWrite.Insert(entry),
            JournalWrite.ConsumeEvent(ev.Id, run.Id, Tenant, 1, T0.AddMinutes(7)));

        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id)));
        AssertSameEvent(ev with { ConsumedAt = T0.AddMinutes(7), ConsumedBySequence = 1 },
            Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true })));
        AssertSameStep(entry, await GetStepAsync(run, 1));
    }

    [Fact]
    public async Task A_second_consume_of_an_event_refuses_the_whole_commit_naming_the_event_and_the_run()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });
        var ev = NewEvent(run);
        await Store.SendEventAsync(ev);
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.ConsumeEvent(ev.Id, run.Id, Tenant, 1, T0.AddMinutes(7)));
        var other = await CreateAsync(NewRun(RunStatus.Waiting));

        var error = await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"),
            JournalWrite.Insert(NewStep(run, 2, StepStatus.Succeeded)),
            JournalWrite.Update(run with { UpdatedAt = T0.AddMinutes(8), Output = "\"changed\"" }),
            JournalWrite.WakeRun(other.Id, Tenant, T0.AddMinutes(8)),
            JournalWrite.ConsumeEvent(ev.Id, run.Id, Tenant, 2, T0.AddMinutes(8))).AsTask());

        Assert.Contains(ev.Id.ToString(), error.Message);
        Assert.Contains(run.Id.ToString(), error.Message);
        Assert.Empty(await Store.GetStepsAsync(Tenant, run.Id));
        AssertSameRun(run with { WakeRequestedAt = ev.CreatedAt }, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameRun(other, await Store.GetRunAsync(Tenant, other.Id));
        AssertSameEvent(ev with { ConsumedAt = T0.AddMinutes(7), ConsumedBySequence = 1 },
            Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true })));
    }

    [Fact]
    public async Task One_event_consumed_twice_in_one_batch_is_refused()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(30) });
        var ev = NewEvent(run);
        await Store.SendEventAsync(ev);

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"),
            JournalWrite.ConsumeEvent(ev.Id, run.Id, Tenant, 1, T0),
            JournalWrite.ConsumeEvent(ev.Id, run.Id, Tenant, 2, T0)).AsTask());

        AssertSameEvent(ev, Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id))));
    }

    [Fact]
    public async Task Consuming_an_event_of_another_run_or_tenant_or_a_missing_one_is_a_conflict()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(30) });
        var other = await CreateAsync(NewRun(RunStatus.Running));
        var othersEvent = NewEvent(other);
        await Store.SendEventAsync(othersEvent);

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.ConsumeEvent(othersEvent.Id, run.Id, Tenant, 1, T0)).AsTask());
        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(
            JournalWrite.ConsumeEvent(othersEvent.Id, other.Id, OtherTenant, 1, T0)).AsTask());
        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.ConsumeEvent(Guid.CreateVersion7(), run.Id, Tenant, 1, T0)).AsTask());

        AssertSameEvent(othersEvent, Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, other.Id))));
    }

    [Fact]
    public async Task A_consume_by_an_engine_that_does_not_hold_the_run_is_refused_by_the_fence()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-b", LeaseExpiresAt = At(30) });
        var ev = NewEvent(run);
        await Store.SendEventAsync(ev);

        var refused = await Assert.ThrowsAsync<RunOwnershipLostException>(() => CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"),
            JournalWrite.ConsumeEvent(ev.Id, run.Id, Tenant, 1, T0)).AsTask());

        Assert.Equal(("engine-a", "engine-b"), (refused.ExpectedOwner, refused.CurrentOwner));
        AssertSameEvent(ev, Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id))));
    }

    // ---- wake-ups -----------------------------------------------------------------------------------------

    [Fact]
    public async Task A_childs_final_commit_wakes_its_waiting_parent()
    {
        var parent = await SuspendedAsync(owner: "engine-p");
        var child = await CreateAsync(NewRun(RunStatus.Running, workflow: "child") with
        {
            StartedAt = T0, ParentRunId = parent.Id, ParentStep = 1, Owner = "engine-c", LeaseExpiresAt = At(30),
        });
        var done = child with { Status = RunStatus.Succeeded, Output = "\"ok\"", CompletedAt = T0.AddMinutes(9), UpdatedAt = T0.AddMinutes(9) };

        await CommitAsync(
            JournalWrite.RequireClaim(child.Id, Tenant, "engine-c"),
            JournalWrite.Update(done),
            JournalWrite.ReleaseClaim(child.Id, Tenant, "engine-c"),
            JournalWrite.WakeRun(parent.Id, Tenant, T0.AddMinutes(9)));

        AssertSameRun(parent with { WakeRequestedAt = T0.AddMinutes(9) }, await Store.GetRunAsync(Tenant, parent.Id));
        AssertSameRun(done with { Owner = null, LeaseExpiresAt = null }, await Store.GetRunAsync(Tenant, child.Id));
        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now));
        Assert.Equal(parent.Id, Assert.Single(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-p", 10, "orders"))).Id);
    }

    [Fact]
    public async Task A_wake_up_of_a_missing_run_another_tenants_run_or_an_ended_run_changes_nothing_and_the_rest_of_the_batch_applies()
    {
        var ended = await CreateAsync(NewRun(RunStatus.Succeeded) with { CompletedAt = T0 });
        var others = await CreateAsync(NewRun(RunStatus.Waiting, tenant: OtherTenant));
        var parked = await CreateAsync(NewRun(RunStatus.Parked));
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1);

        await CommitAsync(
            JournalWrite.WakeRun(Guid.CreateVersion7(), Tenant, T0),
            JournalWrite.WakeRun(others.Id, Tenant, T0),
            JournalWrite.WakeRun(ended.Id, Tenant, T0),
            JournalWrite.WakeRun(parked.Id, Tenant, T0),
            JournalWrite.Insert(step));

        AssertSameRun(ended, await Store.GetRunAsync(Tenant, ended.Id));
        AssertSameRun(others, await Store.GetRunAsync(OtherTenant, others.Id));
        AssertSameRun(parked with { WakeRequestedAt = T0 }, await Store.GetRunAsync(Tenant, parked.Id)); // harmless: parked runs are never ready
        AssertSameStep(step, await GetStepAsync(run, 1));
        Assert.Null(await Store.ClaimRunAsync(ClaimOf(parked, "engine-a")));
    }

    // ---- children -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Listing_filters_by_parent_run()
    {
        var parent = await CreateAsync(NewRun(RunStatus.Waiting));
        var child1 = await CreateAsync(NewRun(workflow: "child") with { ParentRunId = parent.Id, ParentStep = 1 });
        var stranger = await CreateAsync(NewRun(workflow: "child") with { ParentRunId = Guid.CreateVersion7(), ParentStep = 1 });
        var child2 = await CreateAsync(NewRun(RunStatus.Succeeded, workflow: "child") with { ParentRunId = parent.Id, ParentStep = 2 });
        var otherTenants = await CreateAsync(NewRun(tenant: OtherTenant, workflow: "child") with { ParentRunId = parent.Id, ParentStep = 3 });

        // Ids made in one millisecond need not sort in the order made: expect id order.
        Assert.Equal(new[] { child1.Id, child2.Id }.Order(), (await Store.ListRunsAsync(new RunQuery { TenantId = Tenant, ParentRunId = parent.Id })).Select(r => r.Id));
        Assert.Equal(new[] { child1.Id, child2.Id, otherTenants.Id }.Order(), (await Store.ListRunsAsync(new RunQuery { ParentRunId = parent.Id })).Select(r => r.Id));
        Assert.Equal([child2.Id], (await Store.ListRunsAsync(new RunQuery { ParentRunId = parent.Id, TenantId = Tenant, Statuses = [RunStatus.Succeeded] })).Select(r => r.Id));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { ParentRunId = child1.Id }));
        Assert.Equal(5, (await Store.ListRunsAsync(new RunQuery())).Count);
        _ = stranger;
    }

    // ---- attempt history ----------------------------------------------------------------------------------

    protected static readonly StepAttempt[] TwoFailedAttempts =
    [
        new(1, new ErrorInfo(ErrorKind.StepFailed, "card declined — «refusé»", "System.InvalidOperationException", "at A()\n at B()", "System.SystemException;System.Exception"),
            T0.AddSeconds(1).ToOffset(TimeSpan.FromHours(-3)), 1_250),
        new(2, new ErrorInfo(ErrorKind.Timeout, "timed out"), null, null),
    ];

    [Fact]
    public async Task The_attempt_history_round_trips_through_insert_and_update()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var pending = NewStep(run, 1, StepStatus.Pending) with { Attempt = 2, FailedAttempts = 1, AttemptHistory = [TwoFailedAttempts[0]] };
        await CommitAsync(JournalWrite.Insert(pending));
        var inserted = await GetStepAsync(run, 1);
        AssertSameStep(pending, inserted);
        Assert.Equal([TwoFailedAttempts[0]], inserted!.AttemptHistory!);
        Assert.Equal(TwoFailedAttempts[0].StartedAt!.Value.Offset, inserted.AttemptHistory![0].StartedAt!.Value.Offset);

        var failed = pending with
        {
            Status = StepStatus.Failed,
            Attempt = 3,
            FailedAttempts = 3,
            Error = new ErrorInfo(ErrorKind.StepFailed, "third time"),
            AttemptHistory = TwoFailedAttempts,
        };
        await CommitAsync(JournalWrite.Update(failed));

        var stored = await GetStepAsync(run, 1);
        AssertSameStep(failed, stored);
        Assert.Equal(TwoFailedAttempts, stored!.AttemptHistory!);
        Assert.Equal(new ErrorInfo(ErrorKind.StepFailed, "third time"), stored.Error);
    }

    [Fact]
    public async Task A_step_without_attempt_history_reads_as_null_and_an_empty_one_as_empty()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        await CommitAsync(JournalWrite.Insert(NewStep(run, 1)), JournalWrite.Insert(NewStep(run, 2) with { AttemptHistory = [] }));

        Assert.Null((await GetStepAsync(run, 1))!.AttemptHistory);
        Assert.Empty((await GetStepAsync(run, 2))!.AttemptHistory!);
    }

    [Fact]
    public void Step_records_compare_their_attempt_history_by_value()
    {
        var run = NewRun();
        var a = NewStep(run, 1) with { AttemptHistory = [.. TwoFailedAttempts] };
        var b = a with { AttemptHistory = new List<StepAttempt>(TwoFailedAttempts) };

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { AttemptHistory = [TwoFailedAttempts[0]] });
        Assert.NotEqual(a, b with { AttemptHistory = null });
    }

    /// <summary>Record equality, and the offsets of the event's history timestamps kept exactly.</summary>
    protected static void AssertSameEvent(EventRecord expected, EventRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        SameInstant(expected.CreatedAt, actual.CreatedAt, nameof(EventRecord.CreatedAt));
        SameInstant(expected.ConsumedAt, actual.ConsumedAt, nameof(EventRecord.ConsumedAt));
    }
}
