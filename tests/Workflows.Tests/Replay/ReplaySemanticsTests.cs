using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;
using Workflows.Tests.TestWorkflows;

namespace Workflows.Tests.Replay;

/// <summary>What replay promises: recorded outcomes are returned (or rethrown) without running bodies; retries are
/// journaled; a journal that does not match the code stops the run without losing anything.</summary>
public abstract class ReplaySemanticsTests : JournalTestBase
{
    // ---- recorded outcomes -----------------------------------------------------------------------------------

    [Fact]
    public async Task A_recorded_step_returns_its_recorded_output_without_running_its_body()
    {
        var run = await CreateRunAsync(GreeterWorkflow.Definition, "\"ada\"");
        await InsertAsync(RecordedStep(run, 1, "greet", "\"hello from the journal\""));

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: GreeterWorkflow.Definition);
        var handle = await engine.ResumeAsync(run.Id);
        await handle.Completion;

        Assert.Equal(0, probe.Calls("greet"));
        Assert.Equal(1, probe.Calls("shout"));
        var stored = await GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Equal("\"HELLO FROM THE JOURNAL!\"", stored.Output);
        var report = await handle.GetReportAsync();
        Assert.Equal([1], report.Replayed);
        Assert.Equal([2], report.Executed);
        Assert.True(report.WasReplayed(1));
    }

    [Fact]
    public async Task A_second_engine_replays_a_finished_journal_and_gets_the_same_result()
    {
        var first = new Probe();
        var engine1 = await NewEngineAsync(first);
        var run = await engine1.StartAsync(GreeterWorkflow.Definition, "grace");
        Assert.Equal("HELLO GRACE!", await run.GetResultAsync());
        Assert.Equal(1, first.Calls("greet"));
        Assert.Equal(1, first.Calls("shout"));

        var copy = await CopyRunAsync(run.RunId);
        var second = new Probe();
        var engine2 = await NewEngineAsync(second, definitions: GreeterWorkflow.Definition);
        await (await engine2.ResumeAsync(copy)).Completion;

        Assert.Equal(0, second.TotalCalls);
        Assert.Equal((await GetRunAsync(run.RunId)).Output, (await GetRunAsync(copy)).Output);
    }

    [Fact]
    public async Task A_recorded_failure_is_rethrown_on_replay_with_the_recorded_error_and_the_body_does_not_run_again()
    {
        var first = new Probe();
        var engine1 = await NewEngineAsync(first);
        var run = await engine1.StartAsync(FailureWorkflow.Definition, "x1");
        Assert.Equal("recovered from x1", await run.GetResultAsync());
        Assert.Equal(1, first.Calls("explode"));
        var original = Assert.Single(first.Seen<StepFailedException>("caught"));
        Assert.IsType<InvalidOperationException>(original.InnerException);

        var recorded = (await GetStepsAsync(run.RunId))[0];
        Assert.Equal("explode", recorded.Name);
        Assert.Equal(StepStatus.Failed, recorded.Status);
        Assert.Equal(1, recorded.Attempt);
        Assert.Null(recorded.Output);
        Assert.NotNull(recorded.Error);
        Assert.Equal(ErrorKind.StepFailed, recorded.Error!.Kind);
        Assert.Equal(typeof(InvalidOperationException).FullName, recorded.Error.Type);
        Assert.Equal("boom: x1", recorded.Error.Message);

        var copy = await CopyRunAsync(run.RunId);
        var second = new Probe();
        var engine2 = await NewEngineAsync(second, definitions: FailureWorkflow.Definition);
        var replay = await engine2.ResumeAsync(copy);
        await replay.Completion;

        Assert.Equal(0, second.Calls("explode"));
        Assert.Equal(0, second.Calls("after"));
        var rethrown = Assert.Single(second.Seen<StepFailedException>("caught"));
        Assert.Equal("explode", rethrown.StepName);
        Assert.Equal(1, rethrown.Sequence);
        Assert.Equal(1, rethrown.Attempts);
        Assert.Equal(ErrorKind.StepFailed, rethrown.Error.Kind);
        Assert.Equal(typeof(InvalidOperationException).FullName, rethrown.Error.Type);
        Assert.Equal("boom: x1", rethrown.Error.Message);
        Assert.Contains("boom: x1", rethrown.Message);
        Assert.Equal(recorded.Error, rethrown.Error);
        Assert.Equal([1, 2], (await replay.GetReportAsync()).Replayed);
    }

    [Fact]
    public async Task A_forged_failed_record_is_rethrown_without_running_the_body()
    {
        var run = await CreateRunAsync(FailureWorkflow.Definition, "\"y\"");
        var error = new ErrorInfo(ErrorKind.StepFailed, "card declined — 残高不足", "Payments.CardDeclinedException", "   at Payments.Charge()");
        await InsertAsync(RecordedStep(run, 1, "explode", null, StepStatus.Failed, error));

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: FailureWorkflow.Definition);
        await (await engine.ResumeAsync(run.Id)).Completion;

        Assert.Equal(0, probe.Calls("explode"));
        Assert.Equal(1, probe.Calls("after"));
        var rethrown = Assert.Single(probe.Seen<StepFailedException>("caught"));
        Assert.Equal(error, rethrown.Error);
    }

    // ---- retries ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_step_that_fails_twice_then_succeeds_records_attempt_three_and_success()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var run = await engine.StartAsync(RetryWorkflow.Definition, "flaky");

        Assert.Equal(3, await run.GetResultAsync());
        Assert.Equal(3, probe.Calls("flaky"));
        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal("flaky", step.Name);
        Assert.Equal(StepStatus.Succeeded, step.Status);
        Assert.Equal(3, step.Attempt);
        Assert.Equal("3", step.Output);
        Assert.Null(step.Error);
        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(run.RunId)).Status);
    }

    [Fact]
    public async Task A_step_that_always_fails_ends_failed_after_its_last_attempt_and_fails_the_run()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var run = await engine.StartAsync(RetryWorkflow.Definition, "hopeless");

        var failure = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.GetResultAsync());
        Assert.Equal(ErrorKind.StepFailed, failure.Error.Kind);
        Assert.Equal(run.RunId, failure.RunId);
        Assert.Equal(2, probe.Calls("hopeless"));

        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(2, step.Attempt);
        Assert.Equal(typeof(ArgumentOutOfRangeException).FullName, step.Error!.Type);
        Assert.Contains("never works", step.Error.Message);
        Assert.NotNull(step.CompletedAt);

        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Failed, stored.Status);
        Assert.Equal(ErrorKind.StepFailed, stored.Error!.Kind);
        Assert.Contains("hopeless", stored.Error.Message);
        Assert.NotNull(stored.CompletedAt);
        Assert.Null(stored.Output);
    }

    [Fact]
    public async Task A_crash_between_attempts_does_not_reset_the_attempt_count()
    {
        // The journal of a run that crashed while "flaky" waited out its backoff after failing its second attempt (of
        // three): the third attempt is scheduled (Pending, its start time recorded) but had not begun.
        var run = await CreateRunAsync(RetryWorkflow.Definition, "\"flaky\"", RunStatus.Running);
        var transient = new ErrorInfo(ErrorKind.StepFailed, "transient failure 2", typeof(TimeoutException).FullName);
        var scheduled = RecordedStep(run, 1, "flaky", null, StepStatus.Pending, transient) with
        {
            Attempt = 3,
            FailedAttempts = 2,
            StartedAt = DateTimeOffset.UtcNow.AddSeconds(-1), // the backoff had run out while the process was down
        };
        await InsertAsync(scheduled);

        var probe = new Probe(); // in this process the first body call fails, as the step's first attempt always does
        var engine = await NewEngineAsync(probe, definitions: RetryWorkflow.Definition);
        var error = await Assert.ThrowsAsync<WorkflowRunFailedException>(async () => await (await engine.ResumeAsync(run.Id)).Completion);

        Assert.Equal(ErrorKind.StepFailed, error.Error.Kind);
        Assert.Equal(1, probe.Calls("flaky")); // only the third and last attempt ran
        var step = Assert.Single(await GetStepsAsync(run.Id));
        Assert.Equal(scheduled.Id, step.Id);
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(3, step.Attempt);
        Assert.Equal(3, step.FailedAttempts);
        Assert.Equal(0, step.InterruptedAttempts); // the crash came between attempts: none was cut short
        Assert.Equal("transient failure 1", step.Error!.Message);
        Assert.Equal(RunStatus.Failed, (await GetRunAsync(run.Id)).Status);
    }

    [Fact]
    public async Task An_attempt_cut_short_by_a_crash_counts_as_interrupted_and_does_not_use_up_the_attempts()
    {
        // The journal of a run that crashed during the second attempt of "flaky" (the first had failed): the record is
        // Running. That attempt neither failed nor succeeded, so two of the three allowed failures are still left.
        var run = await CreateRunAsync(RetryWorkflow.Definition, "\"flaky\"", RunStatus.Running);
        var transient = new ErrorInfo(ErrorKind.StepFailed, "transient failure 1", typeof(TimeoutException).FullName);
        var interrupted = RecordedStep(run, 1, "flaky", null, StepStatus.Running, transient) with { Attempt = 2, FailedAttempts = 1 };
        await InsertAsync(interrupted);

        var probe = new Probe(); // here the first two body calls fail and the third succeeds
        var engine = await NewEngineAsync(probe, definitions: RetryWorkflow.Definition);
        var error = await Assert.ThrowsAsync<WorkflowRunFailedException>(async () => await (await engine.ResumeAsync(run.Id)).Completion);

        // Attempt 3 (the re-run of the interrupted one) failed, attempt 4 failed: three failures in all, the limit.
        Assert.Equal(ErrorKind.StepFailed, error.Error.Kind);
        Assert.Equal(2, probe.Calls("flaky"));
        var step = Assert.Single(await GetStepsAsync(run.Id));
        Assert.Equal(interrupted.Id, step.Id);
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(4, step.Attempt);
        Assert.Equal(3, step.FailedAttempts);
        Assert.Equal(1, step.InterruptedAttempts);
        Assert.Equal("transient failure 2", step.Error!.Message);
    }

    [Fact]
    public async Task A_step_result_that_cannot_be_written_fails_the_run_and_leaves_no_step_running()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var run = await engine.StartAsync(FragileWorkflow.Definition, "x");

        var error = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.Completion);

        Assert.Equal(ErrorKind.Serialization, error.Error.Kind);
        Assert.Contains("Fragile", error.Error.Message);
        Assert.Contains("never loaded", error.Error.Message);
        Assert.Equal(1, probe.Calls("break"));
        Assert.Equal(RunStatus.Failed, (await GetRunAsync(run.RunId)).Status);
        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.True(StatusTransitions.IsFinal(step.Status), $"the run ended Failed but its step was left {step.Status}");
        Assert.Equal(ErrorKind.Serialization, step.Error?.Kind);
    }

    [Fact]
    public async Task Lone_surrogates_are_either_refused_when_written_or_replayed_exactly()
    {
        var first = new Probe();
        var engine = await NewEngineAsync(first);
        var run = await engine.StartAsync(LoneSurrogateWorkflow.Definition, "x");
        try
        {
            await run.Completion;
        }
        catch (WorkflowRunFailedException error)
        {
            // Refused when written: the run fails with a serialization error and the step is not left running.
            Assert.Equal(ErrorKind.Serialization, error.Error.Kind);
            Assert.All(await GetStepsAsync(run.RunId), step => Assert.True(StatusTransitions.IsFinal(step.Status), $"the run ended Failed but step {step.Name} was left {step.Status}"));
            return;
        }

        // Accepted when written: then a replay must hand the workflow the very same values.
        Assert.Equal('\ud800', Assert.Single(first.Seen<char>("char")));
        Assert.Equal("x\udc00y", Assert.Single(first.Seen<string>("text")));
        var written = await GetStepsAsync(run.RunId);
        var copy = await CopyRunAsync(run.RunId);
        var replay = new Probe();
        var engine2 = await NewEngineAsync(replay, definitions: LoneSurrogateWorkflow.Definition);
        await (await engine2.ResumeAsync(copy)).Completion;
        var replayed = Assert.Single(replay.Seen<char>("char"));
        Assert.True(replayed == '\ud800',
            $"the step returned U+D800, which was journaled as {written[0].Output} without any error, but the replay got U+{(int)replayed:X4}");
        var text = Assert.Single(replay.Seen<string>("text"));
        Assert.True(text == "x\udc00y",
            $"the step returned \"x\\udc00y\", which was journaled as {written[1].Output} without any error, but the replay got {string.Join(" ", text.Select(ch => $"U+{(int)ch:X4}"))}");
    }

    // ---- non-determinism and schema changes ------------------------------------------------------------------

    [Fact]
    public async Task A_journal_naming_another_step_stops_the_run_with_non_determinism_naming_both_steps()
    {
        var run = await CreateRunAsync(GreeterWorkflow.Definition, "\"ada\"");
        await InsertAsync(RecordedStep(run, 1, "charge-card", "\"receipt-1\""));
        var before = await GetStepsAsync(run.Id);

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: GreeterWorkflow.Definition);
        var handle = await engine.ResumeAsync(run.Id);
        var (parked, error) = await AssertParkedAsync<NonDeterminismException>(() => handle.Completion);

        Assert.Equal(run.Id, parked.RunId);
        Assert.Equal(ErrorKind.NonDeterminism, parked.Error.Kind);
        Assert.Equal("charge-card", error.RecordedName);
        Assert.Equal("greet", error.CurrentName);
        Assert.Equal(1, error.Sequence);
        Assert.Contains("'charge-card'", error.Message);
        Assert.Contains("'greet'", error.Message);
        Assert.Equal(0, probe.TotalCalls);

        var stored = await AssertParkedRecordAsync(run.Id, ErrorKind.NonDeterminism);
        Assert.Contains("charge-card", stored.Error!.Message);
        Assert.Contains("greet", stored.Error.Message);
        Assert.Equal(parked.Error, stored.Error);
        Assert.Equal(before, await GetStepsAsync(run.Id));
    }

    [Fact]
    public async Task A_journal_recording_another_kind_at_a_sequence_is_non_deterministic()
    {
        var run = await CreateRunAsync(GreeterWorkflow.Definition, "\"ada\"");
        await InsertAsync(RecordedStep(run, 1, "greet", "null", kind: StepKind.Sleep));
        var before = await GetStepsAsync(run.Id);

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: GreeterWorkflow.Definition);
        var handle = await engine.ResumeAsync(run.Id);
        var (_, error) = await AssertParkedAsync<NonDeterminismException>(() => handle.Completion);

        Assert.Contains("Sleep 'greet'", error.Message);
        Assert.Contains("Step 'greet'", error.Message);
        Assert.Equal(0, probe.TotalCalls);
        Assert.Equal(before, await GetStepsAsync(run.Id));
        await AssertParkedRecordAsync(run.Id, ErrorKind.NonDeterminism);
    }

    [Fact]
    public async Task Non_determinism_stops_the_run_even_when_workflow_code_catches_it()
    {
        var run = await CreateRunAsync(SwallowingWorkflow.Definition, "\"in\"");
        await InsertAsync(RecordedStep(run, 1, "something-else", "\"x\""));
        var before = await GetStepsAsync(run.Id);

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: SwallowingWorkflow.Definition);
        var handle = await engine.ResumeAsync(run.Id);
        var (_, error) = await AssertParkedAsync<NonDeterminismException>(() => handle.Completion);

        var swallowed = Assert.IsType<NonDeterminismException>(Assert.Single(probe.Seen<Exception>("swallowed")));
        Assert.Same(swallowed, error);
        Assert.Equal("something-else", error.RecordedName);
        await AssertParkedRecordAsync(run.Id, ErrorKind.NonDeterminism); // not Succeeded with "swallowed", not Failed
        Assert.Equal(before, await GetStepsAsync(run.Id));
    }

    [Fact]
    public async Task A_run_recorded_under_another_schema_version_is_not_resumed()
    {
        var run = await CreateRunAsync(GreeterWorkflow.Definition, "\"ada\"", schemaVersion: "old");
        await InsertAsync(RecordedStep(run, 1, "greet", "\"hello ada\""));
        var stepsBefore = await GetStepsAsync(run.Id);
        var runBefore = await GetRunAsync(run.Id);

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: GreeterWorkflow.Definition);
        var handle = await engine.ResumeAsync(run.Id);
        var (parked, error) = await AssertParkedAsync<SchemaMismatchException>(() => handle.Completion);

        Assert.Equal(ErrorKind.SchemaMismatch, parked.Error.Kind);
        Assert.Equal("old", error.RecordedVersion);
        Assert.Equal(GreeterWorkflow.Definition.SchemaVersion, error.CurrentVersion);
        Assert.Contains("acceptSchemaChange", error.Message);
        Assert.Equal(0, probe.TotalCalls);

        var runAfter = await AssertParkedRecordAsync(run.Id, ErrorKind.SchemaMismatch);
        Assert.Contains("old", runAfter.Error!.Message);
        // Only the status (Parked), the error and the bookkeeping times changed (the claim taken to look at the run sets
        // StartedAt; it is given up again): schema, input and the rest are as they were.
        Assert.NotNull(runAfter.StartedAt);
        Assert.Equal(runBefore with { Status = RunStatus.Parked, Error = runAfter.Error, StartedAt = runAfter.StartedAt, UpdatedAt = runAfter.UpdatedAt }, runAfter);
        Assert.Equal(stepsBefore, await GetStepsAsync(run.Id));
    }

    [Fact]
    public async Task A_run_recorded_under_another_schema_version_resumes_when_the_change_is_accepted()
    {
        var run = await CreateRunAsync(GreeterWorkflow.Definition, "\"ada\"", schemaVersion: "old");
        await InsertAsync(RecordedStep(run, 1, "greet", "\"hello ada\""));

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: GreeterWorkflow.Definition);
        var refused = await engine.ResumeAsync(run.Id);
        await AssertParkedAsync<SchemaMismatchException>(() => refused.Completion);
        await AssertParkedRecordAsync(run.Id, ErrorKind.SchemaMismatch);
        var handle = await engine.ResumeAsync(run.Id, acceptSchemaChange: true);
        await handle.Completion;

        Assert.Equal(0, probe.Calls("greet"));
        Assert.Equal(1, probe.Calls("shout"));
        var stored = await GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Equal("\"HELLO ADA!\"", stored.Output);
        Assert.Equal(GreeterWorkflow.Definition.SchemaVersion, stored.SchemaVersion);
        Assert.Null(stored.Error);
    }

    // ---- starting, identity and results ----------------------------------------------------------------------

    [Fact]
    public async Task Starting_twice_with_the_same_idempotency_key_returns_the_first_run()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var options = new StartOptions { IdempotencyKey = "order-42" };

        var first = await engine.StartAsync(GreeterWorkflow.Definition, "ada", options);
        Assert.Equal("HELLO ADA!", await first.GetResultAsync());
        var second = await engine.StartAsync(GreeterWorkflow.Definition, "ada", options);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.RunId, second.RunId);
        Assert.Equal("HELLO ADA!", await second.GetResultAsync());
        Assert.Equal(1, probe.Calls("greet"));
        Assert.Single(await Store.ListRunsAsync(new RunQuery()));
    }

    [Fact]
    public async Task Starting_with_a_used_idempotency_key_and_another_input_is_a_conflict_unless_the_existing_run_is_asked_for()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var first = await engine.StartAsync(GreeterWorkflow.Definition, "ada", new StartOptions { IdempotencyKey = "order-44" });
        Assert.Equal("HELLO ADA!", await first.GetResultAsync());
        var recorded = await GetRunAsync(first.RunId);

        var conflict = await Assert.ThrowsAsync<IdempotencyConflictException>(() =>
            engine.StartAsync(GreeterWorkflow.Definition, "someone else", new StartOptions { IdempotencyKey = "order-44" }));
        Assert.Equal("order-44", conflict.Key);
        Assert.Equal(first.RunId, conflict.ExistingRunId);
        Assert.Contains("order-44", conflict.Message);
        Assert.Contains(first.RunId.ToString(), conflict.Message);

        var existing = await engine.StartAsync(GreeterWorkflow.Definition, "someone else",
            new StartOptions { IdempotencyKey = "order-44", IdempotencyConflict = IdempotencyConflictBehavior.ReturnExisting });
        Assert.False(existing.Created);
        Assert.Equal(first.RunId, existing.RunId);
        Assert.Equal("HELLO ADA!", await existing.GetResultAsync());

        Assert.Equal(1, probe.Calls("greet"));
        Assert.Equal(recorded, Assert.Single(await Store.ListRunsAsync(new RunQuery())));
    }

    [Fact]
    public async Task Starting_twice_with_the_same_idempotency_key_while_the_first_is_running_returns_it_as_not_created()
    {
        var probe = new Probe { Hold = true };
        var engine = await NewEngineAsync(probe);
        var options = new StartOptions { IdempotencyKey = "order-43" };

        var first = await engine.StartAsync(GreeterWorkflow.Definition, "ada", options);
        await probe.Entered.Task; // the first run is inside its first step
        var second = await engine.StartAsync(GreeterWorkflow.Definition, "ada", options);
        probe.Gate.SetResult();

        Assert.True(first.Created);
        Assert.Equal(first.RunId, second.RunId);
        Assert.False(second.Created);
        Assert.Equal("HELLO ADA!", await second.GetResultAsync());
        Assert.Equal("HELLO ADA!", await first.GetResultAsync());
        Assert.Equal(1, probe.Calls("greet"));
    }

    [Fact]
    public async Task Starting_again_with_the_key_of_a_failed_run_returns_it_with_its_failure()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var options = new StartOptions { IdempotencyKey = "doomed" };
        var first = await engine.StartAsync(RetryWorkflow.Definition, "hopeless", options);
        var failure = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => first.Completion);

        var second = await engine.StartAsync(RetryWorkflow.Definition, "hopeless", options);

        Assert.Equal(first.RunId, second.RunId);
        Assert.False(second.Created);
        var again = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => second.GetResultAsync());
        Assert.Equal(failure.Error.Kind, again.Error.Kind);
        Assert.Equal(failure.Error.Message, again.Error.Message);
        Assert.Equal(2, probe.Calls("hopeless"));
    }

    [Fact]
    public async Task Resuming_a_failed_run_gives_its_failed_step_one_new_attempt()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var run = await engine.StartAsync(RetryWorkflow.Definition, "hopeless");
        await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.Completion);
        Assert.Equal(2, probe.Calls("hopeless"));
        var failedStep = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal(2, failedStep.FailedAttempts);

        var resumed = await engine.ResumeAsync(run.RunId);

        // The step failed again on its one new attempt (it keeps its failures: a resume does not grant MaxAttempts anew).
        Assert.False(resumed.Created);
        var error = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => resumed.Completion);
        Assert.Equal(ErrorKind.StepFailed, error.Error.Kind);
        Assert.Equal(3, probe.Calls("hopeless"));
        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal(failedStep.Id, step.Id);
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(3, step.Attempt);
        Assert.Equal(3, step.FailedAttempts);
        Assert.Equal(RunStatus.Failed, (await GetRunAsync(run.RunId)).Status);
    }

    [Fact]
    public async Task Resuming_a_succeeded_run_returns_its_result_without_running_anything()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var run = await engine.StartAsync(GreeterWorkflow.Definition, "ada");
        await run.Completion;

        var resumed = await engine.ResumeAsync(run.RunId);
        await resumed.Completion;

        Assert.False(resumed.Created);
        Assert.Equal(ExecutionReport.None, await resumed.GetReportAsync());
        Assert.Equal(1, probe.Calls("greet"));
    }

    [Fact]
    public async Task Workflow_run_id_and_tenant_inside_a_run_are_the_handles()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var run = await engine.StartAsync(GreeterWorkflow.Definition, "ada", new StartOptions { TenantId = "tenant-7" });
        await run.Completion;

        Assert.Equal("tenant-7", run.TenantId);
        Assert.Equal(run.RunId, probe.Facts["run.RunId"]);
        Assert.Equal(run.TenantId, probe.Facts["run.TenantId"]);
        Assert.Equal(true, probe.Facts["run.IsRunning"]);
        Assert.Equal(run.RunId, probe.Facts["step.RunId"]);
        Assert.Equal(run.TenantId, probe.Facts["step.TenantId"]);
        Assert.Equal("greeter", run.Workflow);
    }

    [Fact]
    public async Task A_start_with_an_explicit_run_id_uses_it()
    {
        var engine = await NewEngineAsync(new Probe());
        var id = Guid.CreateVersion7();
        var run = await engine.StartAsync(GreeterWorkflow.Definition, "ada", new StartOptions { RunId = id });
        await run.Completion;

        Assert.Equal(id, run.RunId);
        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(id)).Status);
    }

    [Fact]
    public async Task A_step_called_outside_any_run_just_runs_its_body()
    {
        var probe = new Probe();
        var workflow = new GreeterWorkflow(probe);

        Assert.False(Workflow.IsRunning);
        Assert.Equal("hello ada", await workflow.GreetDirectlyAsync("ada"));
        Assert.Equal("HELLO BOB!", await workflow.RunAsync("bob")); // the run method itself, outside the engine

        Assert.Equal(2, probe.Calls("greet"));
        Assert.Equal(1, probe.Calls("shout"));
        Assert.Equal(false, probe.Facts["step.IsRunning"]);
        Assert.Empty(await Store.ListRunsAsync(new RunQuery()));
        Assert.Throws<InvalidOperationException>(() => Workflow.RunId);
    }

    [Fact]
    public async Task A_step_called_on_another_instance_during_a_run_is_not_journaled()
    {
        // Simulated by calling the direct path from the test while another run is active: the wrapper only journals
        // calls on the workflow object the run owns.
        var probe = new Probe { Hold = true };
        var engine = await NewEngineAsync(probe);
        var run = await engine.StartAsync(GreeterWorkflow.Definition, "ada");
        await probe.Entered.Task;

        var other = new Probe();
        Assert.Equal("hello x", await new GreeterWorkflow(other).GreetDirectlyAsync("x"));
        probe.Gate.SetResult();
        await run.Completion;

        Assert.Equal(1, other.Calls("greet"));
        Assert.Equal(2, (await GetStepsAsync(run.RunId)).Count);
    }

    [Fact]
    public async Task Steps_started_together_get_distinct_sequence_numbers_and_the_same_position()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var run = await engine.StartAsync(FanOutWorkflow.Definition, 0);

        Assert.Equal(["A", "B", "C", "D"], await run.GetResultAsync());
        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(4, steps.Count);
        Assert.Equal([1, 2, 3, 4], steps.Select(s => s.Sequence));
        Assert.All(steps, s => Assert.Equal("part", s.Name));
        Assert.Equal(["\"A\"", "\"B\"", "\"C\"", "\"D\""], steps.Select(s => s.Output));
        Assert.Equal(["{\"name\":\"a\"}", "{\"name\":\"b\"}", "{\"name\":\"c\"}", "{\"name\":\"d\"}"], steps.Select(s => s.Input));
        var wave = steps[0].Position;
        Assert.All(steps.Take(3), s => Assert.Equal(wave, s.Position));
        Assert.True(steps[3].Position > wave);

        // The concurrent steps replay too.
        var copy = await CopyRunAsync(run.RunId);
        var replayProbe = new Probe();
        var engine2 = await NewEngineAsync(replayProbe, definitions: FanOutWorkflow.Definition);
        await (await engine2.ResumeAsync(copy)).Completion;
        Assert.Equal(0, replayProbe.TotalCalls);
        Assert.Equal("[\"A\",\"B\",\"C\",\"D\"]", (await GetRunAsync(copy)).Output);
    }

    [Fact]
    public async Task The_run_output_is_journaled_as_json_and_read_back_typed()
    {
        var engine = await NewEngineAsync(new Probe());
        var run = await engine.StartAsync(CatalogWorkflow.Definition, "tea");

        var item = await run.GetResultAsync();
        Assert.Equal(new Item("tea", 2, 1.50m, Color.Blue, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), null), item);
        Assert.Equal(2, decimal.GetBits(item.Price)[3] >> 16 & 0xff); // scale 2

        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Equal("\"tea\"", stored.Input);
        Assert.Equal("{\"name\":\"tea\",\"quantity\":2,\"price\":1.50,\"color\":\"Blue\",\"at\":\"2025-01-02T03:04:05.0000000+02:00\",\"note\":null}", stored.Output);
        Assert.NotNull(stored.StartedAt);
        Assert.NotNull(stored.CompletedAt);

        var timeline = await engine.GetTimelineAsync(run.RunId);
        Assert.Equal(stored, timeline.Run);
        Assert.Equal("make", Assert.Single(timeline.Steps).Name);
    }

    [Fact]
    public async Task A_run_of_one_tenant_is_not_visible_from_another()
    {
        var engine = await NewEngineAsync(new Probe());
        var run = await engine.StartAsync(GreeterWorkflow.Definition, "ada", new StartOptions { TenantId = "a" });
        await run.Completion;

        Assert.Equal(run.RunId, (await engine.GetTimelineAsync(run.RunId, "a")).Run.Id);
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetTimelineAsync(run.RunId, "b"));
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetTimelineAsync(run.RunId)); // the default tenant
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ResumeAsync(run.RunId, "b"));
        Assert.Null(await Store.GetRunAsync("b", run.RunId));
        Assert.Empty(await Store.GetStepsAsync("b", run.RunId));
    }

    [Fact]
    public async Task The_same_idempotency_key_in_two_tenants_makes_two_runs()
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);
        var a = await engine.StartAsync(GreeterWorkflow.Definition, "ada", new StartOptions { TenantId = "a", IdempotencyKey = "k" });
        var b = await engine.StartAsync(GreeterWorkflow.Definition, "bob", new StartOptions { TenantId = "b", IdempotencyKey = "k" });

        Assert.NotEqual(a.RunId, b.RunId);
        Assert.True(b.Created);
        Assert.Equal("HELLO ADA!", await a.GetResultAsync());
        Assert.Equal("HELLO BOB!", await b.GetResultAsync());
    }

    [Fact]
    public async Task A_missing_constructor_service_fails_construction_naming_the_parameter()
    {
        var engine = await NewEngineAsync(options: new WorkflowEngineOptions { Services = new TestServices(new Probe()) });
        var run = await engine.StartAsync(NeedsServiceWorkflow.Definition, "x");

        var (parked, error) = await AssertParkedAsync<WorkflowConstructionException>(() => run.GetResultAsync());
        Assert.Equal(ErrorKind.MissingService, parked.Error.Kind);
        Assert.Equal("needs-service", error.Workflow);
        Assert.Contains("missingService", error.Message);
        Assert.Contains(nameof(IMissingService), error.Message);
        Assert.Empty(await GetStepsAsync(run.RunId));
        var stored = await AssertParkedRecordAsync(run.RunId, ErrorKind.MissingService);
        Assert.Contains("missingService", stored.Error!.Message);
        Assert.Contains(nameof(IMissingService), stored.Error.Message);
    }

    [Fact]
    public async Task A_constructor_service_without_any_service_provider_names_the_parameter()
    {
        var engine = await NewEngineAsync(options: new WorkflowEngineOptions());
        var run = await engine.StartAsync(NeedsServiceWorkflow.Definition, "x");

        var (_, error) = await AssertParkedAsync<WorkflowConstructionException>(() => run.Completion);
        Assert.Contains("missingService", error.Message);
        Assert.Contains("Services", error.Message);
        var stored = await AssertParkedRecordAsync(run.RunId, ErrorKind.MissingService);
        Assert.Contains("missingService", stored.Error!.Message);
    }

    // ---- resuming unfinished runs ----------------------------------------------------------------------------

    [Fact]
    public async Task Resume_unfinished_runs_only_the_steps_that_are_not_recorded()
    {
        var run = await CreateRunAsync(PipelineWorkflow.Definition, "\"in\"", RunStatus.Running);
        await InsertAsync(RecordedStep(run, 1, "first", "\"journal>1\""));

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: PipelineWorkflow.Definition);
        var resumed = Assert.Single(await engine.ResumeUnfinishedAsync());
        Assert.Equal(run.Id, resumed.RunId);
        Assert.False(resumed.Created);
        await resumed.Completion;

        Assert.Equal(0, probe.Calls("first"));
        Assert.Equal(1, probe.Calls("second"));
        Assert.Equal(1, probe.Calls("third"));
        var stored = await GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Equal("\"journal>1>2>3\"", stored.Output);
        var report = await resumed.GetReportAsync();
        Assert.Equal([1], report.Replayed);
        Assert.Equal([2, 3], report.Executed);
    }

    [Fact]
    public async Task A_run_stopped_mid_step_by_its_engine_resumes_in_a_new_engine_where_it_left_off()
    {
        var first = new Probe { Hold = true };
        var engine1 = await NewEngineAsync(first);
        var run = await engine1.StartAsync(PipelineWorkflow.Definition, "in");
        await first.Entered.Task; // inside "second", waiting for the engine to stop
        await StopEngineAsync(engine1);

        var stopped = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Running, stopped.Status);
        Assert.Null(stopped.Owner); // the stopping engine gave its claim up: the next engine need not wait for the lease
        Assert.Null(stopped.LeaseExpiresAt);
        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(2, steps.Count);
        Assert.Equal(StepStatus.Succeeded, steps[0].Status);
        Assert.Equal(StepStatus.Running, steps[1].Status);
        Assert.Equal(1, steps[1].Attempt);

        var second = new Probe();
        var engine2 = await NewEngineAsync(second, definitions: PipelineWorkflow.Definition);
        var resumed = Assert.Single(await engine2.ResumeUnfinishedAsync());
        await resumed.Completion;

        Assert.Equal(0, second.Calls("first"));
        Assert.Equal(1, second.Calls("second"));
        Assert.Equal(1, second.Calls("third"));
        var finished = await GetStepsAsync(run.RunId);
        Assert.Equal(3, finished.Count);
        Assert.All(finished, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal(steps[0], finished[0]);
        Assert.Equal(2, finished[1].Attempt); // every start of the body counts as an attempt...
        Assert.Equal(1, finished[1].InterruptedAttempts); // ...the stopped one as interrupted,
        Assert.Equal(0, finished[1].FailedAttempts); // not as failed
        Assert.Equal(steps[1].Id, finished[1].Id);
        Assert.Equal("\"in>1>2>3\"", (await GetRunAsync(run.RunId)).Output);
    }

    [Fact]
    public async Task Resume_unfinished_leaves_runs_of_unregistered_workflows_and_finished_runs_alone()
    {
        var engine1 = await NewEngineAsync(new Probe());
        var done = await engine1.StartAsync(GreeterWorkflow.Definition, "ada");
        await done.Completion;
        await StopEngineAsync(engine1); // engine1 runs greeter too: from here on only engine2 may touch the journal
        var pendingGreeter = await CreateRunAsync(GreeterWorkflow.Definition, "\"bob\"");
        var pendingPipeline = await CreateRunAsync(PipelineWorkflow.Definition, "\"in\"");

        var probe = new Probe();
        var engine2 = await NewEngineAsync(probe, definitions: PipelineWorkflow.Definition);
        var resumed = await engine2.ResumeUnfinishedAsync();

        Assert.Equal([pendingPipeline.Id], resumed.Select(r => r.RunId));
        await resumed[0].Completion;
        Assert.Equal(RunStatus.Pending, (await GetRunAsync(pendingGreeter.Id)).Status);
        Assert.Null((await GetRunAsync(pendingGreeter.Id)).Owner);
        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(done.RunId)).Status);
        Assert.Equal(0, probe.Calls("greet"));
    }

    // ---- bad input -------------------------------------------------------------------------------------------

    public static TheoryData<string> InvalidTenants => new()
    {
        "",
        " ",
        "a\u0000b",
        "line\nbreak",
        "tab\there",
        "\u001f",
        "del\u007f",
        "c1\u0085",
        new string('x', 101),
    };

    [Theory]
    [MemberData(nameof(InvalidTenants))]
    public async Task Starting_with_an_invalid_tenant_is_refused_naming_it(string tenant)
    {
        var probe = new Probe();
        var engine = await NewEngineAsync(probe);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.StartAsync(GreeterWorkflow.Definition, "ada", new StartOptions { TenantId = tenant }));

        Assert.Equal("tenantId", error.ParamName);
        Assert.Contains("Tenant id", error.Message);
        Assert.Contains(tenant, error.Message);
        Assert.Empty(await Store.ListRunsAsync(new RunQuery()));
        Assert.Equal(0, probe.TotalCalls);
    }

    [Theory]
    [MemberData(nameof(InvalidTenants))]
    public async Task Reading_with_an_invalid_tenant_is_refused(string tenant)
    {
        var engine = await NewEngineAsync(new Probe());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.GetTimelineAsync(Guid.CreateVersion7(), tenant));
        Assert.Equal("tenantId", error.ParamName);
    }

    [Fact]
    public void An_engine_with_an_invalid_default_tenant_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new WorkflowEngine(Store, new WorkflowEngineOptions { DefaultTenantId = "bad\ntenant" }));
        Assert.Equal("tenantId", error.ParamName);
    }

    [Fact]
    public async Task Empty_or_overlong_idempotency_keys_are_refused()
    {
        var engine = await NewEngineAsync(new Probe());
        await Assert.ThrowsAsync<ArgumentException>(() => engine.StartAsync(GreeterWorkflow.Definition, "a", new StartOptions { IdempotencyKey = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => engine.StartAsync(GreeterWorkflow.Definition, "a", new StartOptions { IdempotencyKey = new string('k', 201) }));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery()));
    }

    [Fact]
    public async Task A_corrupt_step_output_parks_the_run_with_a_serialization_error_naming_the_type()
    {
        var run = await CreateRunAsync(GreeterWorkflow.Definition, "\"ada\"");
        await InsertAsync(RecordedStep(run, 1, "greet", "{not json"));
        var before = await GetStepsAsync(run.Id);

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: GreeterWorkflow.Definition);
        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<JournalPayloadException>(() => handle.Completion);

        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Contains("string", parked.Error.Message);
        Assert.Contains("{not json", parked.Error.Message);
        Assert.Equal(1, cause.Sequence);
        Assert.Equal("greet", cause.StepName);
        var unreadable = Assert.IsType<WorkflowSerializationException>(cause.InnerException);
        Assert.Equal("string", unreadable.TypeName);
        Assert.Equal("{not json", unreadable.Payload);
        Assert.Equal(0, probe.TotalCalls);

        var stored = await AssertParkedRecordAsync(run.Id, ErrorKind.Serialization);
        Assert.Equal(typeof(JournalPayloadException).FullName, stored.Error!.Type);
        Assert.Contains("{not json", stored.Error.Message);
        Assert.Equal(before, await GetStepsAsync(run.Id));
    }

    [Theory]
    [InlineData("{\"name\":5}")]
    [InlineData("[1,2]")]
    [InlineData("{\"name\":\"x\",\"color\":\"Purple\"}")]
    [InlineData("{\"name\":\"x\",\"at\":\"yesterday\"}")]
    [InlineData("{\"name\":\"x\"} trailing")]
    [InlineData("")]
    public async Task A_step_output_that_does_not_fit_its_record_type_parks_the_run_naming_the_type(string payload)
    {
        var run = await CreateRunAsync(CatalogWorkflow.Definition, "\"tea\"");
        await InsertAsync(RecordedStep(run, 1, "make", payload));
        var before = await GetStepsAsync(run.Id);

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: CatalogWorkflow.Definition);
        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<JournalPayloadException>(() => handle.Completion);

        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Contains("Item", parked.Error.Message);
        Assert.Equal("Item", Assert.IsType<WorkflowSerializationException>(cause.InnerException).TypeName);
        Assert.Equal(0, probe.Calls("make"));
        await AssertParkedRecordAsync(run.Id, ErrorKind.Serialization);
        Assert.Equal(before, await GetStepsAsync(run.Id));
    }

    [Fact]
    public async Task A_corrupt_run_input_parks_the_run_with_a_serialization_error()
    {
        var run = await CreateRunAsync(GreeterWorkflow.Definition, "{\"not\":\"a string\"}");

        var probe = new Probe();
        var engine = await NewEngineAsync(probe, definitions: GreeterWorkflow.Definition);
        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<JournalPayloadException>(() => handle.Completion);

        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Contains("string", parked.Error.Message);
        Assert.Equal(0, cause.Sequence); // the run's input, not a step
        Assert.Equal("string", Assert.IsType<WorkflowSerializationException>(cause.InnerException).TypeName);
        Assert.Equal(0, probe.TotalCalls);
        Assert.Empty(await GetStepsAsync(run.Id));
        var stored = await AssertParkedRecordAsync(run.Id, ErrorKind.Serialization);
        Assert.Equal(run.Input, stored.Input);
    }
}

public sealed class InMemoryReplaySemanticsTests : ReplaySemanticsTests
{
    protected override IJournalHarness CreateJournal() => new InMemoryJournal();
}

public sealed class SqliteReplaySemanticsTests : ReplaySemanticsTests
{
    protected override IJournalHarness CreateJournal() => new SqliteJournal();
}

public sealed class PostgreSqlReplaySemanticsTests : ReplaySemanticsTests
{
    protected override IJournalHarness CreateJournal() => new PostgreSqlJournal();
}
