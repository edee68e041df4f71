using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>A durable sleep past the engine's threshold suspends the run: journaled as waiting, released, out of memory, woken by replay.</summary>
public abstract class SuspensionTests : ExecutionTestBase
{
    [Fact]
    public async Task A_run_sleeping_past_the_threshold_waits_out_of_memory_and_wakes_no_earlier_than_its_recorded_wake_up_time()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe);
        var run = await engine.StartAsync(SleepingWorkflow.Definition, 2000); // SuspendThreshold is the default 1 s

        // RunsInMemory is read before the record: a 0 followed by a still-Waiting record means nothing was in memory while it waited.
        RunRecord? waiting = null;
        await WaitUntilAsync(async () => engine.RunsInMemory == 0 && (waiting = await GetRunAsync(run.RunId)).Status == RunStatus.Waiting,
            "the run to be suspended and out of memory");
        Assert.NotNull(waiting!.WakeAt);
        Assert.Equal("sleep:2", waiting.WaitingFor);
        Assert.Null(waiting.Owner);
        Assert.Null(waiting.LeaseExpiresAt);
        Assert.Equal(0, probe.Calls("after"));

        Assert.Equal("before@probe|after@probe", await run.GetResultAsync().WaitAsync(Guard));

        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["before", "sleep", "after"], steps.Select(s => s.Name));
        var sleep = steps[1];
        Assert.Equal(StepKind.Sleep, sleep.Kind);
        Assert.Equal(StepStatus.Succeeded, sleep.Status);
        var wakeAt = ReadWakeAt(sleep);
        Assert.Equal(waiting.WakeAt, wakeAt);
        var completedAt = ReadSleepCompletion(sleep);
        Assert.True(completedAt >= wakeAt, $"The sleep completed at {completedAt:O}, before its recorded wake-up time {wakeAt:O}.");
        Assert.True(sleep.CompletedAt >= wakeAt, $"The sleep record's CompletedAt {sleep.CompletedAt:O} is before its wake-up time {wakeAt:O}.");

        // Woken by replay: the run method ran again, the step before the sleep did not.
        Assert.Equal(2, probe.Calls("run"));
        Assert.Equal(1, probe.Calls("before"));
        Assert.Equal(1, probe.Calls("after"));
        var done = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Succeeded, done.Status);
        Assert.Null(done.WakeAt);
        Assert.Null(done.WaitingFor);
        Assert.Equal(0, engine.RunsInMemory);
    }

    [Fact]
    public async Task A_retry_backoff_past_the_threshold_suspends_the_run_until_the_next_attempt_is_due()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe);
        var run = await engine.StartAsync(SlowRetryWorkflow.Definition, "job"); // 2 s backoff, SuspendThreshold 1 s

        RunRecord? waiting = null;
        await WaitUntilAsync(async () => engine.RunsInMemory == 0 && (waiting = await GetRunAsync(run.RunId)).Status == RunStatus.Waiting,
            "the run to be suspended for its retry");
        Assert.Equal("retry:1", waiting!.WaitingFor);
        Assert.Null(waiting.Owner);
        var scheduled = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal((StepStatus.Pending, 2, 1, 0), (scheduled.Status, scheduled.Attempt, scheduled.FailedAttempts, scheduled.InterruptedAttempts));
        Assert.Equal(waiting.WakeAt, scheduled.StartedAt); // due when the next attempt may begin
        Assert.Equal("the first attempt times out", scheduled.Error?.Message);
        Assert.Equal(1, probe.Calls("flaky"));

        Assert.Equal("job@probe", await run.GetResultAsync().WaitAsync(Guard));
        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal((StepStatus.Succeeded, 2, 1, 0), (step.Status, step.Attempt, step.FailedAttempts, step.InterruptedAttempts));
        Assert.True(step.StartedAt >= scheduled.StartedAt, $"Attempt 2 began at {step.StartedAt:O}, before its scheduled start {scheduled.StartedAt:O}.");
        Assert.Equal(2, probe.Calls("flaky"));
    }

    [Fact]
    public async Task A_waiting_run_whose_engine_was_disposed_wakes_and_completes_in_a_new_engine()
    {
        var first = new ExecutionProbe("first");
        var engine1 = await EngineAsync(first);
        var run = await engine1.StartAsync(SleepingWorkflow.Definition, 3000); // long enough to stop the engine before it is due
        await WaitUntilAsync(async () => engine1.RunsInMemory == 0 && (await GetRunAsync(run.RunId)).Status == RunStatus.Waiting,
            "the run to be suspended");

        await StopAsync(engine1);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Completion.WaitAsync(Guard));
        var left = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Waiting, left.Status);
        Assert.Null(left.Owner);

        var second = new ExecutionProbe("second");
        var engine2 = await EngineAsync(second, [SleepingWorkflow.Definition]);
        var handle = await engine2.GetRunAsync(SleepingWorkflow.Definition, run.RunId);

        Assert.Equal("before@first|after@second", await handle.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(0, second.Calls("before"));
        Assert.Equal(1, second.Calls("after"));
        Assert.Equal(0, first.Calls("after"));
        var sleep = (await GetStepsAsync(run.RunId))[1];
        Assert.Equal(StepStatus.Succeeded, sleep.Status);
        Assert.True(ReadSleepCompletion(sleep) >= ReadWakeAt(sleep), "The sleep completed before its recorded wake-up time.");
        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(run.RunId)).Status);
    }

    [Fact]
    public async Task A_sleep_under_the_threshold_never_makes_the_run_waiting()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, logCommits: true);
        var run = await engine.StartAsync(SleepingWorkflow.Definition, 300);

        Assert.Equal("before@probe|after@probe", await run.GetResultAsync().WaitAsync(Guard));

        var written = Commits.Of(run.RunId).Where(c => c.Applied).SelectMany(c => c.RunUpdates).ToList();
        Assert.Contains(written, r => r.Status == RunStatus.Succeeded); // the log saw this run's writes
        Assert.DoesNotContain(written, r => r.Status == RunStatus.Waiting);
        Assert.Equal(1, probe.Calls("run")); // one execution: it never left memory
        var sleep = (await GetStepsAsync(run.RunId))[1];
        Assert.Equal(StepStatus.Succeeded, sleep.Status);
        Assert.True(ReadSleepCompletion(sleep) >= ReadWakeAt(sleep), "The sleep completed before its recorded wake-up time.");
    }

    [Fact]
    public async Task Sleep_timers_that_fire_early_never_complete_a_sleep_before_its_wake_up_time()
    {
        // Timers fire after half their time (see EarlyTimersClock): in memory and suspended alike, the clock decides.
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, clock: new EarlyTimersClock());
        var inMemory = await engine.StartAsync(SleepingWorkflow.Definition, 400);
        var suspended = await engine.StartAsync(SleepingWorkflow.Definition, 1500);

        await inMemory.GetResultAsync().WaitAsync(Guard);
        await suspended.GetResultAsync().WaitAsync(Guard);

        foreach (var run in new[] { inMemory, suspended })
        {
            var sleep = (await GetStepsAsync(run.RunId))[1];
            Assert.Equal(StepStatus.Succeeded, sleep.Status);
            var wakeAt = ReadWakeAt(sleep);
            Assert.True(ReadSleepCompletion(sleep) >= wakeAt, $"The sleep completed at {ReadSleepCompletion(sleep):O}, before its wake-up time {wakeAt:O}.");
            Assert.True(sleep.CompletedAt >= wakeAt, $"The sleep record's CompletedAt {sleep.CompletedAt:O} is before its wake-up time {wakeAt:O}.");
        }
        Assert.Equal(3, probe.Calls("run")); // the 1.5 s sleep did suspend (two executions), the 0.4 s one did not
    }

    [Fact]
    public async Task A_sleep_started_beside_a_running_step_suspends_only_after_the_steps_outcome_is_committed()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, logCommits: true);
        var run = await engine.StartAsync(SleepBesideStepWorkflow.Definition, 2000);
        await Raised(probe, "held-entered");
        await Raised(probe, "sleep-called");

        // The sleep has asked to suspend, but the step is still in flight: the run keeps its claim.
        var during = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Running, during.Status);
        Assert.Equal(engine.WorkerId, during.Owner);

        probe.Raise("release-held");
        Assert.Equal("held@probe", await run.GetResultAsync().WaitAsync(Guard));

        var commits = Commits.Of(run.RunId);
        Assert.All(commits, c => Assert.True(c.Applied, $"A commit of the run was refused: {c.Error}"));
        var stepDone = commits.ToList().FindIndex(c => c.StepWrites.Any(s => s.Name == "held" && s.Status == StepStatus.Succeeded));
        var suspended = commits.ToList().FindIndex(c => c.RunUpdates.Any(r => r.Status == RunStatus.Waiting));
        Assert.True(stepDone >= 0, "The step's outcome was never committed.");
        Assert.True(suspended >= 0, "The run never suspended.");
        Assert.True(stepDone <= suspended, $"The run was suspended (commit {suspended}) before the running step's outcome was committed (commit {stepDone}).");

        var held = (await GetStepsAsync(run.RunId)).Single(s => s.Name == "held");
        Assert.Equal(StepStatus.Succeeded, held.Status);
        Assert.Equal(1, held.Attempt);
        Assert.Equal(0, held.InterruptedAttempts);
        Assert.Equal(1, probe.Calls("held"));
        Assert.Equal(2, probe.Calls("run")); // it did suspend, and was woken by replay
    }
}

public sealed class InMemorySuspensionTests : SuspensionTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteSuspensionTests : SuspensionTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlSuspensionTests : SuspensionTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
