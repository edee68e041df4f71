using System.Text.Json;
using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;
using Workflows.Tests.TestWorkflows.Waves;

namespace Workflows.Tests.Execution;

/// <summary>What a step body tells the journal through <see cref="CurrentStep"/> (usage, debug, skip, keys), and attempt history.</summary>
public abstract class StepOutcomeTests : ExecutionTestBase
{
    private static readonly WorkflowDefinition[] All =
    [
        UsageWorkflow.Definition, RetryUsageWorkflow.Definition, FlakyThriceWorkflow.Definition, SkipWorkflow.Definition,
        IdempotencyKeyWorkflow.Definition, SuspendedRetryUsageWorkflow.Definition,
    ];

    private static string[] ReadDebug(string? json)
    {
        Assert.NotNull(json);
        using var document = JsonDocument.Parse(json!);
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        return [.. document.RootElement.EnumerateArray().Select(e => e.GetString()!)];
    }

    [Fact]
    public async Task Usage_reported_twice_in_one_body_is_summed_and_debug_messages_are_a_JSON_array()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, All);
        var run = await engine.StartAsync(UsageWorkflow.Definition, "hi");
        Assert.Equal("ok:hi", await run.GetResultAsync().WaitAsync(Guard));

        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal(StepStatus.Succeeded, step.Status);
        Assert.Equal(107, step.InputTokens);
        Assert.Equal(23, step.OutputTokens);
        Assert.Equal(0.375m, step.CostUsd);
        Assert.Equal(["prompt: hi", "reply: \"ok\"\nline two"], ReadDebug(step.DebugMessages));
        Assert.Null(step.AttemptHistory);
    }

    [Fact]
    public async Task Usage_adds_up_over_a_failed_and_a_successful_attempt()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, All);
        var run = await engine.StartAsync(RetryUsageWorkflow.Definition, "q");
        Assert.Equal("ok:q", await run.GetResultAsync().WaitAsync(Guard));

        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal((StepStatus.Succeeded, 2, 1), (step.Status, step.Attempt, step.FailedAttempts));
        Assert.Equal(2, probe.Calls("call-model"));
        Assert.Equal(10 + 20, step.InputTokens);
        Assert.Equal(1 + 2, step.OutputTokens);
        Assert.Equal(0.5m + 1.0m, step.CostUsd);
        Assert.Equal(["attempt 1", "attempt 2"], ReadDebug(step.DebugMessages));
        var failed = Assert.Single(step.AttemptHistory ?? []);
        Assert.Equal(1, failed.Attempt);
        Assert.Equal("the model timed out", failed.Error.Message);
        Assert.Null(step.Error);
    }

    [Fact]
    public async Task Usage_and_debug_add_up_over_a_failed_attempt_whose_retry_suspended_the_run()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, All); // SuspendThreshold 1 s, backoff 1.5 s
        var run = await engine.StartAsync(SuspendedRetryUsageWorkflow.Definition, "s");
        var waiting = await WaitForStatusAsync(run.RunId, RunStatus.Waiting);
        Assert.Equal("retry:1", waiting.WaitingFor);
        var scheduled = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal((StepStatus.Pending, 10, 1, 0.5m), (scheduled.Status, scheduled.InputTokens, scheduled.OutputTokens, scheduled.CostUsd));

        Assert.Equal("ok:s", await run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(2, probe.Calls("run")); // the second attempt ran in a new execution
        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal((StepStatus.Succeeded, 2, 1), (step.Status, step.Attempt, step.FailedAttempts));
        Assert.Equal((30, 3, 1.5m), (step.InputTokens, step.OutputTokens, step.CostUsd));
        Assert.Equal(["attempt 1", "attempt 2"], ReadDebug(step.DebugMessages));
        var failed = Assert.Single(step.AttemptHistory ?? []);
        Assert.Equal((1, "the model timed out"), (failed.Attempt, failed.Error.Message));
        Assert.Null(step.Error);
    }

    [Fact]
    public async Task A_step_failing_twice_then_succeeding_keeps_both_failed_attempts_in_its_history()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, All);
        var run = await engine.StartAsync(FlakyThriceWorkflow.Definition, "job");
        Assert.Equal("job@3", await run.GetResultAsync().WaitAsync(Guard));

        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal((StepStatus.Succeeded, 3, 2, 0), (step.Status, step.Attempt, step.FailedAttempts, step.InterruptedAttempts));
        Assert.Null(step.Error);
        Assert.Equal(3, probe.Calls("flaky"));
        var history = step.AttemptHistory;
        Assert.NotNull(history);
        Assert.Equal([1, 2], history!.Select(a => a.Attempt));
        Assert.Equal(["attempt 1 failed", "attempt 2 failed"], history.Select(a => a.Error.Message));
        Assert.All(history, a => Assert.Equal(ErrorKind.StepFailed, a.Error.Kind));
        Assert.All(history, a => Assert.Equal(typeof(InvalidOperationException).FullName, a.Error.Type));
        Assert.All(history, a => Assert.NotNull(a.StartedAt));
        Assert.True(history[0].StartedAt <= history[1].StartedAt, "The attempts' start times are out of order.");
        Assert.True(history[1].StartedAt <= step.StartedAt, "The last failed attempt began after the successful one.");
    }

    [Fact]
    public async Task A_skipped_step_is_recorded_Skipped_with_its_reason_and_replays_its_placeholder_without_running()
    {
        var probe = new ExecutionProbe("first");
        var engine = await EngineAsync(probe, All);
        var run = await engine.StartAsync(SkipWorkflow.Definition, "in");
        Assert.Equal("used:placeholder", await run.GetResultAsync().WaitAsync(Guard));

        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["fetch", "use"], steps.Select(s => s.Name));
        var fetch = steps[0];
        Assert.Equal(StepStatus.Skipped, fetch.Status);
        Assert.NotNull(fetch.Error);
        Assert.Equal(ErrorKind.Skipped, fetch.Error!.Kind);
        Assert.Equal("no data", fetch.Error.Message);
        Assert.Equal("\"placeholder\"", fetch.Output);
        Assert.Equal(StepStatus.Succeeded, steps[1].Status);
        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(run.RunId)).Status);

        await StopAsync(engine); // CopyRunAsync stops only the base harness's engines: this one must not claim the copy
        var copy = await CopyRunAsync(run.RunId);
        var second = new ExecutionProbe("second");
        var engine2 = await EngineAsync(second, All);
        var replayed = await engine2.ResumeAsync(SkipWorkflow.Definition, copy);
        Assert.Equal("used:placeholder", await replayed.GetResultAsync().WaitAsync(Guard));
        Assert.Equal((1, 0, 0), (second.Calls("run"), second.Calls("fetch"), second.Calls("use")));
        Assert.Equal(StepStatus.Skipped, (await GetStepsAsync(copy))[0].Status);
    }

    [Fact]
    public void CurrentStep_outside_a_step_body_throws_InvalidOperationException_naming_the_member()
    {
        Assert.False(CurrentStep.IsRunning);
        Assert.Contains("CurrentStep.Attempt", Assert.Throws<InvalidOperationException>(() => CurrentStep.Attempt).Message);
        Assert.Contains("CurrentStep.Name", Assert.Throws<InvalidOperationException>(() => CurrentStep.Name).Message);
        Assert.Contains("CurrentStep.IdempotencyKey", Assert.Throws<InvalidOperationException>(() => CurrentStep.IdempotencyKey).Message);
        Assert.Contains("CurrentStep.ReportUsage", Assert.Throws<InvalidOperationException>(() => CurrentStep.ReportUsage(1, 1, 0.1m)).Message);
        Assert.Contains("CurrentStep.Debug", Assert.Throws<InvalidOperationException>(() => CurrentStep.Debug("x")).Message);
        Assert.Contains("CurrentStep.Skip", Assert.Throws<InvalidOperationException>(() => CurrentStep.Skip("x")).Message);
    }

    [Fact]
    public async Task CurrentStep_in_the_run_method_throws_and_a_steps_idempotency_key_is_run_sequence_and_attempt()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, All);
        var run = await engine.StartAsync(IdempotencyKeyWorkflow.Definition, "k");
        var result = await run.GetResultAsync().WaitAsync(Guard);

        var parts = result.Split('|');
        Assert.Equal(3, parts.Length);
        Assert.Contains("CurrentStep.IdempotencyKey", parts[0]); // the run method is not a step body
        Assert.StartsWith("CurrentStep.IdempotencyKey is only available", parts[0]);
        Assert.Equal("False", parts[1]);
        Assert.Equal($"keyed#2={run.RunId}:2:2", parts[2]);

        var keyed = (await GetStepsAsync(run.RunId)).Single(s => s.Name == "keyed");
        Assert.Equal(2, keyed.Sequence);
        var failed = Assert.Single(keyed.AttemptHistory ?? []);
        Assert.Equal($"{run.RunId}:2:1", failed.Error.Message); // the first attempt's key
    }
}

public sealed class InMemoryStepOutcomeTests : StepOutcomeTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteStepOutcomeTests : StepOutcomeTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlStepOutcomeTests : StepOutcomeTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
