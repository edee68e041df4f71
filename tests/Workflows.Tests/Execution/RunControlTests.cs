using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>Cancel, resume from the failed step, fork from step N, and the run deadline.</summary>
public abstract class RunControlTests : ExecutionTestBase
{
    // ---- cancel ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task Cancelling_during_a_step_fires_its_token_fails_the_step_with_the_reason_and_starts_no_later_step()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe);
        var run = await engine.StartAsync(CancellableWorkflow.Definition, "order-1");
        await Raised(probe, "block-entered");

        Assert.Equal(CancelOutcome.Requested, await engine.CancelAsync(run.RunId, reason: "operator: customer withdrew"));

        var cancelled = await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(run.RunId, cancelled.RunId);
        Assert.Equal(ErrorKind.Cancelled, cancelled.Error.Kind);
        Assert.Equal("operator: customer withdrew", cancelled.Error.Message);

        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        Assert.Equal(ErrorKind.Cancelled, stored.Error!.Kind);
        Assert.Equal("operator: customer withdrew", stored.Error.Message);
        Assert.NotNull(stored.CompletedAt);
        Assert.Null(stored.Owner);

        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["first", "block"], steps.Select(s => s.Name));
        Assert.Equal(StepStatus.Succeeded, steps[0].Status);
        Assert.Equal(StepStatus.Failed, steps[1].Status);
        Assert.Equal(ErrorKind.Cancelled, steps[1].Error!.Kind);
        Assert.Equal("operator: customer withdrew", steps[1].Error!.Message);
        Assert.NotNull(steps[1].CompletedAt);
        Assert.Equal(1, probe.Calls("block"));
        Assert.Equal(0, probe.Calls("last"));
    }

    [Fact]
    public async Task Cancelling_a_run_that_another_engine_executes_is_recorded_for_its_owner_which_cancels_it()
    {
        var owner = new ExecutionProbe("owner");
        var executing = await EngineAsync(owner, workerId: "engine-owner");
        var run = await executing.StartAsync(CancellableWorkflow.Definition, "order-2");
        await Raised(owner, "block-entered");

        var otherErrors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var other = await EngineAsync(new ExecutionProbe("other"), [CancellableWorkflow.Definition], workerId: "engine-other",
            onBackgroundError: otherErrors.Enqueue);
        var handle = await other.GetRunAsync(CancellableWorkflow.Definition, run.RunId);
        Assert.Equal(CancelOutcome.Requested, await other.CancelAsync(run.RunId, reason: "ops: from the other node"));

        // The owner acts on it (at its next renewal).
        var cancelled = await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.Cancelled, cancelled.Error.Kind);
        Assert.Equal("ops: from the other node", cancelled.Error.Message);
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        Assert.Equal("ops: from the other node", stored.Error!.Message);
        var block = (await GetStepsAsync(run.RunId))[1];
        Assert.Equal((StepStatus.Failed, ErrorKind.Cancelled), (block.Status, block.Error!.Kind));
        Assert.Equal(0, owner.Calls("last"));

        // The asking engine's handle learns of the end by polling (every 50 ms; 15 s is a hang guard).
        var seen = await Record.ExceptionAsync(() => handle.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(seen is WorkflowRunCancelledException,
            $"The other engine's handle did not end cancelled ({seen?.GetType().Name ?? "no error"}); its background errors: " +
            string.Join(" | ", otherErrors.Select(e => $"{e.GetType().Name}: {e.Message}").Distinct()));
    }

    [Fact]
    public async Task Cancelling_a_waiting_run_cancels_it_at_once_without_loading_it()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe);
        var run = await engine.StartAsync(SleepingWorkflow.Definition, 3_600_000);
        await WaitUntilAsync(async () => engine.RunsInMemory == 0 && (await GetRunAsync(run.RunId)).Status == RunStatus.Waiting,
            "the run to be suspended");

        Assert.Equal(CancelOutcome.Cancelled, await run.CancelAsync("not needed any more"));
        Assert.Equal(0, engine.RunsInMemory);

        var cancelled = await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.Cancelled, cancelled.Error.Kind);
        Assert.Equal("not needed any more", cancelled.Error.Message);
        Assert.Equal(0, engine.RunsInMemory);
        Assert.Equal(1, probe.Calls("run")); // not loaded: its code did not run again
        Assert.Equal(0, probe.Calls("after"));

        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        Assert.Equal(ErrorKind.Cancelled, stored.Error!.Kind);
        Assert.Equal("not needed any more", stored.Error.Message);
        Assert.Null(stored.WakeAt);
        Assert.Null(stored.WaitingFor);
        Assert.Null(stored.Owner);
    }

    [Fact]
    public async Task Cancelling_a_waiting_run_records_its_suspended_sleep_as_cut_short()
    {
        var engine = await EngineAsync();
        var run = await engine.StartAsync(SleepingWorkflow.Definition, 3_600_000);
        await WaitForStatusAsync(run.RunId, RunStatus.Waiting);

        Assert.Equal(CancelOutcome.Cancelled, await engine.CancelAsync(run.RunId, reason: "not needed any more"));
        await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => run.Completion.WaitAsync(Guard));

        // The run is final: no step of it may stay Running (as for a run ended at its deadline while it waited).
        var sleep = (await GetStepsAsync(run.RunId))[1];
        Assert.Equal(StepKind.Sleep, sleep.Kind);
        Assert.Equal(StepStatus.Failed, sleep.Status);
        Assert.Equal(ErrorKind.Cancelled, sleep.Error?.Kind);
    }

    [Fact]
    public async Task Cancelling_a_pending_run_cancels_it_before_it_ever_runs()
    {
        var probe = new ExecutionProbe().Set("hold-double");
        var engine = await EngineAsync(probe, maxConcurrentRuns: 1);
        var busy = await engine.StartAsync(DoublingWorkflow.Definition, 1);
        await Raised(probe, "double-entered");
        var pending = await engine.StartAsync(DoublingWorkflow.Definition, 2); // no free slot: it waits in the journal
        Assert.Equal(RunStatus.Pending, (await GetRunAsync(pending.RunId)).Status);

        Assert.Equal(CancelOutcome.Cancelled, await engine.CancelAsync(pending.RunId, reason: "duplicate order"));
        var cancelled = await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => pending.GetResultAsync().WaitAsync(Guard));
        Assert.Equal("duplicate order", cancelled.Error.Message);

        probe.Set("hold-double", false);
        probe.Raise("release-double");
        Assert.Equal(2, await busy.GetResultAsync().WaitAsync(Guard));
        // A run only the scheduler can pick up, created after the cancelled one: once it is done, the scheduler has had
        // its free slot and passed over the cancelled run.
        var later = await CreateRunAsync(DoublingWorkflow.Definition, "3");
        Assert.Equal(6, await (await engine.GetRunAsync(DoublingWorkflow.Definition, later.Id)).GetResultAsync().WaitAsync(Guard));

        Assert.Equal(0, probe.Calls("double:2"));
        Assert.Empty(await GetStepsAsync(pending.RunId));
        var stored = await GetRunAsync(pending.RunId);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        Assert.Equal(ErrorKind.Cancelled, stored.Error!.Kind);
        Assert.Equal("duplicate order", stored.Error.Message);
    }

    [Fact]
    public async Task Cancelling_an_ended_run_changes_nothing_and_an_unknown_run_is_not_found()
    {
        var engine = await EngineAsync();
        var run = await engine.StartAsync(DoublingWorkflow.Definition, 4);
        Assert.Equal(8, await run.GetResultAsync().WaitAsync(Guard));

        Assert.Equal(CancelOutcome.AlreadyEnded, await engine.CancelAsync(run.RunId, reason: "too late"));
        Assert.Equal(CancelOutcome.AlreadyEnded, await run.CancelAsync());
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Equal("8", stored.Output);
        Assert.Null(stored.Error);
        Assert.Null(stored.CancelRequestedAt);

        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.CancelAsync(Guid.CreateVersion7()));
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.CancelAsync(run.RunId, tenantId: "another-tenant"));
    }

    // ---- resume from the failed step -------------------------------------------------------------------------

    [Fact]
    public async Task Resuming_a_failed_run_replays_the_steps_before_it_and_gives_the_failed_step_exactly_one_new_attempt()
    {
        var probe = new ExecutionProbe().Set("charge-broken");
        var engine = await EngineAsync(probe);
        var run = await engine.StartAsync(RepairableWorkflow.Definition, "order-7");

        var failure = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.StepFailed, failure.Error.Kind);
        Assert.Equal((1, 2, 0), (probe.Calls("prepare"), probe.Calls("charge"), probe.Calls("finish")));
        Assert.Equal(RunStatus.Failed, (await GetRunAsync(run.RunId)).Status);
        var charge = (await GetStepsAsync(run.RunId))[1];
        Assert.Equal((StepStatus.Failed, 2, 2), (charge.Status, charge.Attempt, charge.FailedAttempts));

        // Resumed while still broken: one new attempt (not MaxAttempts more), and the run fails again.
        var again = await engine.ResumeAsync(RepairableWorkflow.Definition, run.RunId);
        await Assert.ThrowsAsync<WorkflowRunFailedException>(() => again.GetResultAsync().WaitAsync(Guard));
        Assert.Equal((1, 3, 0), (probe.Calls("prepare"), probe.Calls("charge"), probe.Calls("finish")));
        charge = (await GetStepsAsync(run.RunId))[1];
        Assert.Equal((StepStatus.Failed, 3, 3), (charge.Status, charge.Attempt, charge.FailedAttempts));

        // Fixed, then resumed: the earlier step replays, the failed step runs once more and succeeds, the rest runs.
        probe.Set("charge-broken", false);
        var resumed = await engine.ResumeAsync(RepairableWorkflow.Definition, run.RunId);
        Assert.False(resumed.Created);
        Assert.Equal("order-7>prepared>charged>finished", await resumed.GetResultAsync().WaitAsync(Guard));
        Assert.Equal((1, 4, 1), (probe.Calls("prepare"), probe.Calls("charge"), probe.Calls("finish")));

        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["prepare", "charge", "finish"], steps.Select(s => s.Name));
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal(1, steps[0].Attempt);
        Assert.Equal(4, steps[1].Attempt);
        Assert.Null(steps[1].Error);
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Null(stored.Error);
        Assert.Equal("\"order-7>prepared>charged>finished\"", stored.Output);
    }

    // ---- fork ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_fork_from_step_n_reuses_the_outputs_before_n_without_running_their_bodies_and_runs_the_rest()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe);
        var source = await engine.StartAsync(ForkableWorkflow.Definition, "in");
        Assert.Equal("in|one#1|two#1|three#1|four#1", await source.GetResultAsync().WaitAsync(Guard));

        var fork = (await engine.ForkAsync(source.RunId, 3)).As<string>();
        Assert.True(fork.Created);
        Assert.NotEqual(source.RunId, fork.RunId);
        Assert.Equal("in|one#1|two#1|three#2|four#2", await fork.GetResultAsync().WaitAsync(Guard));
        Assert.Equal((1, 1, 2, 2), (probe.Calls("one"), probe.Calls("two"), probe.Calls("three"), probe.Calls("four")));

        var forked = await GetRunAsync(fork.RunId);
        Assert.Equal(source.RunId, forked.ForkedFromRunId);
        Assert.Equal(RunStatus.Succeeded, forked.Status);
        Assert.Equal(ForkableWorkflow.Definition.Name, forked.Workflow);
        Assert.Equal((await GetRunAsync(source.RunId)).Input, forked.Input);
        var sourceSteps = await GetStepsAsync(source.RunId);
        var forkSteps = await GetStepsAsync(fork.RunId);
        Assert.Equal([1, 2, 3, 4], forkSteps.Select(s => s.Sequence));
        Assert.Equal(sourceSteps.Take(2).Select(s => s.Output), forkSteps.Take(2).Select(s => s.Output));
        Assert.All(forkSteps, s => Assert.Equal(fork.RunId, s.RunId));
        Assert.Equal("\"in|one#1|two#1|three#2\"", forkSteps[2].Output);

        // The source is untouched.
        var original = await GetRunAsync(source.RunId);
        Assert.Null(original.ForkedFromRunId);
        Assert.Equal("\"in|one#1|two#1|three#1|four#1\"", original.Output);
        Assert.Equal(sourceSteps, await GetStepsAsync(source.RunId));

        // From one past the last step: everything is reused, no body runs.
        var whole = (await engine.ForkAsync(source.RunId, 5)).As<string>();
        Assert.Equal("in|one#1|two#1|three#1|four#1", await whole.GetResultAsync().WaitAsync(Guard));
        Assert.Equal((1, 1, 2, 2), (probe.Calls("one"), probe.Calls("two"), probe.Calls("three"), probe.Calls("four")));
    }

    // ---- run control from an engine that does not have the workflow (the CLI, a dashboard) ---------------------

    [Fact]
    public async Task An_operator_engine_without_the_workflow_reopens_a_failed_run_and_the_worker_that_has_it_finishes_it()
    {
        var probe = new ExecutionProbe().Set("charge-broken");
        var worker = await EngineAsync(probe, [RepairableWorkflow.Definition], workerId: "worker");
        var run = await worker.StartAsync(RepairableWorkflow.Definition, "order-8");
        await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.GetResultAsync().WaitAsync(Guard));
        var operatorEngine = await EngineAsync(new ExecutionProbe("operator"), [], workerId: "operator");

        probe.Set("charge-broken", false);
        var reopened = await operatorEngine.ReopenRunAsync(run.RunId);
        Assert.Equal((RunStatus.Pending, null), (reopened.Status, reopened.Error));
        Assert.Null(reopened.Owner);

        await WaitUntilAsync(async () => (await GetRunAsync(run.RunId)).Status == RunStatus.Succeeded, "the worker finished the reopened run");
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal("\"order-8>prepared>charged>finished\"", stored.Output);
        Assert.Equal(3, (await GetStepsAsync(run.RunId))[1].Attempt); // the failed step got exactly one new attempt
        // A run that is not parked or failed is left as it is.
        var again = await operatorEngine.ReopenRunAsync(run.RunId);
        Assert.Equal(stored, again);
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => operatorEngine.ReopenRunAsync(Guid.CreateVersion7()));
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => operatorEngine.ReopenRunAsync(run.RunId, tenantId: "someone-else"));
    }

    [Fact]
    public async Task An_operator_engine_without_the_workflow_forks_a_run_that_the_worker_then_executes()
    {
        var probe = new ExecutionProbe();
        var worker = await EngineAsync(probe, [ForkableWorkflow.Definition], workerId: "worker");
        var source = await worker.StartAsync(ForkableWorkflow.Definition, "in");
        Assert.Equal("in|one#1|two#1|three#1|four#1", await source.GetResultAsync().WaitAsync(Guard));
        var operatorEngine = await EngineAsync(new ExecutionProbe("operator"), [], workerId: "operator");

        var fork = await operatorEngine.ForkRunAsync(source.RunId, 3);

        Assert.Equal((RunStatus.Pending, source.RunId), (fork.Status, fork.ForkedFromRunId));
        Assert.Equal(ForkableWorkflow.Definition.SchemaVersion, fork.SchemaVersion);
        await WaitUntilAsync(async () => (await GetRunAsync(fork.Id)).Status == RunStatus.Succeeded, "the worker ran the fork");
        Assert.Equal("\"in|one#1|two#1|three#2|four#2\"", (await GetRunAsync(fork.Id)).Output);
        Assert.Equal((1, 1, 2, 2), (probe.Calls("one"), probe.Calls("two"), probe.Calls("three"), probe.Calls("four")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => operatorEngine.ForkRunAsync(source.RunId, 6));
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => operatorEngine.ForkRunAsync(Guid.CreateVersion7(), 1));
    }

    [Fact]
    public async Task Retention_through_the_engine_deletes_ended_runs_of_the_tenant_older_than_the_age_and_keeps_the_rest()
    {
        var clock = new ShiftedClock();
        var engine = await EngineAsync(definitions: [ForkableWorkflow.Definition], clock: clock);
        var first = await engine.StartAsync(ForkableWorkflow.Definition, "a");
        await first.GetResultAsync().WaitAsync(Guard);
        var other = await engine.StartAsync(ForkableWorkflow.Definition, "b", new StartOptions { TenantId = "acme" });
        await other.GetResultAsync().WaitAsync(Guard);
        clock.Shift = TimeSpan.FromDays(10);
        var recent = await engine.StartAsync(ForkableWorkflow.Definition, "c");
        await recent.GetResultAsync().WaitAsync(Guard);

        Assert.Equal(1, await engine.DeleteEndedRunsAsync(TimeSpan.FromDays(7)));
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetTimelineAsync(first.RunId));
        Assert.Equal(RunStatus.Succeeded, (await engine.GetTimelineAsync(recent.RunId)).Run.Status);
        Assert.Equal(RunStatus.Succeeded, (await engine.GetTimelineAsync(other.RunId, "acme")).Run.Status);
        Assert.Equal(1, await engine.DeleteEndedRunsAsync(TimeSpan.FromDays(7), allTenants: true, batchSize: 1));
        Assert.Equal(0, await engine.DeleteEndedRunsAsync(TimeSpan.FromDays(7), allTenants: true));

        await Assert.ThrowsAsync<ArgumentException>(() => engine.DeleteEndedRunsAsync(TimeSpan.FromDays(1), tenantId: "acme", allTenants: true));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.DeleteEndedRunsAsync(TimeSpan.FromDays(-1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.DeleteEndedRunsAsync(TimeSpan.FromDays(1), batchSize: 0));
    }

    [Fact]
    public async Task A_fork_over_an_unfinished_step_or_out_of_range_is_refused_with_a_typed_error()
    {
        var probe = new ExecutionProbe().Set("hold-two");
        var engine = await EngineAsync(probe);
        var run = await engine.StartAsync(ForkableWorkflow.Definition, "x");
        await Raised(probe, "two-entered"); // step 2 is Running in the journal

        var open = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.ForkAsync(run.RunId, 3));
        Assert.Contains("'two'", open.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.ForkAsync(run.RunId, 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.ForkAsync(run.RunId, 4));
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ForkAsync(Guid.CreateVersion7(), 1));
        Assert.Single((await engine.ListRunsAsync(new RunQuery { Workflow = ForkableWorkflow.Definition.Name })).Runs);

        probe.Set("hold-two", false);
        probe.Raise("release-two");
        Assert.Equal("x|one#1|two#1|three#1|four#1", await run.GetResultAsync().WaitAsync(Guard));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.ForkAsync(run.RunId, 6));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.ForkAsync(run.RunId, -1));
        Assert.Single((await engine.ListRunsAsync(new RunQuery { Workflow = ForkableWorkflow.Definition.Name })).Runs);
        Assert.Equal(1, probe.Calls("one"));
    }

    // ---- deadline --------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_run_past_its_deadline_during_a_step_is_cancelled_with_a_timeout_error()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe);
        var run = await engine.StartAsync(CancellableWorkflow.Definition, "slow", new StartOptions { Timeout = TimeSpan.FromSeconds(1) });
        await Raised(probe, "block-entered");

        var timedOut = await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.Timeout, timedOut.Error.Kind);

        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        Assert.Equal(ErrorKind.Timeout, stored.Error!.Kind);
        Assert.NotNull(stored.DeadlineAt);
        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["first", "block"], steps.Select(s => s.Name));
        Assert.Equal(StepStatus.Failed, steps[1].Status);
        Assert.Equal(ErrorKind.Timeout, steps[1].Error!.Kind);
        Assert.Equal(0, probe.Calls("last"));
    }

    [Fact]
    public async Task A_deadline_timer_that_fires_early_does_not_end_the_run_before_its_deadline()
    {
        // Timers may fire early (here after a tenth of their time, see EarlyTimersClock): like a sleep's wake-up time, a
        // deadline has passed when the clock says so, not when a timer fires.
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, clock: new EarlyTimersClock(divisor: 10));
        var run = await engine.StartAsync(CancellableWorkflow.Definition, "slow", new StartOptions { Timeout = TimeSpan.FromSeconds(5) });
        await Raised(probe, "block-entered");

        var timedOut = await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.Timeout, timedOut.Error.Kind);
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        Assert.True(stored.CompletedAt >= stored.DeadlineAt,
            $"The run was ended for its deadline at {stored.CompletedAt:O}, before the deadline {stored.DeadlineAt:O}.");
        var block = (await GetStepsAsync(run.RunId))[1];
        Assert.True(block.CompletedAt >= stored.DeadlineAt,
            $"The step was cut short for the deadline at {block.CompletedAt:O}, before the deadline {stored.DeadlineAt:O}.");
    }

    [Fact]
    public async Task A_run_sleeping_for_an_hour_with_a_short_deadline_is_woken_at_the_deadline_and_ends_timed_out()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe);
        var run = await engine.StartAsync(SleepingWorkflow.Definition, 3_600_000, new StartOptions { Timeout = TimeSpan.FromSeconds(2) });

        RunRecord? waiting = null;
        await WaitUntilAsync(async () => engine.RunsInMemory == 0 && (waiting = await GetRunAsync(run.RunId)).Status == RunStatus.Waiting,
            "the run to be suspended");
        Assert.NotNull(waiting!.DeadlineAt);
        Assert.Equal(waiting.DeadlineAt, waiting.WakeAt); // due at its deadline, not in an hour

        var timedOut = await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.Timeout, timedOut.Error.Kind);
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        Assert.Equal(ErrorKind.Timeout, stored.Error!.Kind);
        Assert.True(stored.CompletedAt >= stored.DeadlineAt, $"Ended at {stored.CompletedAt:O}, before its deadline {stored.DeadlineAt:O}.");
        Assert.Null(stored.WakeAt);
        Assert.Equal(0, probe.Calls("after"));
        Assert.NotEqual(StepStatus.Succeeded, (await GetStepsAsync(run.RunId))[1].Status);
    }

    [Fact]
    public async Task A_sleep_cut_short_by_the_run_deadline_is_recorded_failed_with_the_timeout()
    {
        var engine = await EngineAsync();
        var run = await engine.StartAsync(SleepingWorkflow.Definition, 3_600_000, new StartOptions { Timeout = TimeSpan.FromSeconds(2) });
        await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => run.GetResultAsync().WaitAsync(Guard));

        // The run ended Cancelled (final): no step of it may stay Running.
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        var sleep = (await GetStepsAsync(run.RunId))[1];
        Assert.Equal(StepKind.Sleep, sleep.Kind);
        Assert.Equal(StepStatus.Failed, sleep.Status);
        Assert.Equal(ErrorKind.Timeout, sleep.Error?.Kind);
    }
}

public sealed class InMemoryRunControlTests : RunControlTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteRunControlTests : RunControlTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlRunControlTests : RunControlTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}

/// <summary>The system clock moved by <see cref="Shift"/> (timers are the system's): "ten days later" for retention.</summary>
internal sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Shift { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
}
