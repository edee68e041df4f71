using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;
using Workflows.Tests.TestWorkflows.Waves;

namespace Workflows.Tests.Execution;

/// <summary>Parallel waves (steps started while others are in flight), Task.WhenAny over steps, and Workflow.Random, on replay.</summary>
public abstract class WaveTests : ExecutionTestBase
{
    private static readonly WorkflowDefinition[] All =
        [ThreeStepWaveWorkflow.Definition, WhenAnyWorkflow.Definition, StepAndSleepWaveWorkflow.Definition, RandomWorkflow.Definition];

    [Fact]
    public async Task Three_steps_in_one_WhenAll_take_sequences_in_call_order_share_one_position_and_replay_in_place()
    {
        var probe = new ExecutionProbe("first");
        var engine = await EngineAsync(probe, All);
        var run = await engine.StartAsync(ThreeStepWaveWorkflow.Definition, "x");

        Assert.Equal("[A(x),B(x),C(x)]", await run.GetResultAsync().WaitAsync(Guard));

        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["a", "b", "c", "after"], steps.Select(s => s.Name));
        Assert.Equal([1, 2, 3, 4], steps.Select(s => s.Sequence));
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        var wave = steps[0].Position;
        Assert.All(steps.Take(3), s => Assert.True(s.Position == wave, $"Step {s.Sequence} '{s.Name}' is at position {s.Position}, not the wave's {wave}."));
        Assert.True(steps[3].Position >= wave, $"The step after the wave is at position {steps[3].Position}, before the wave's {wave}.");
        Assert.Equal(["\"A(x)\"", "\"B(x)\"", "\"C(x)\"", "\"[A(x),B(x),C(x)]\""], steps.Select(s => s.Output));
        Assert.Equal(1, probe.Calls("a"));
        Assert.Equal(1, probe.Calls("b"));
        Assert.Equal(1, probe.Calls("c"));

        // A second execution over the same journal (a copy, replayed by a new engine): nothing runs again, nothing moves.
        await StopAsync(engine); // CopyRunAsync stops only the base harness's engines: this one must not claim the copy
        var copy = await CopyRunAsync(run.RunId);
        var second = new ExecutionProbe("second");
        var engine2 = await EngineAsync(second, All);
        var replayed = await engine2.ResumeAsync(ThreeStepWaveWorkflow.Definition, copy);
        Assert.Equal("[A(x),B(x),C(x)]", await replayed.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(1, second.Calls("run"));
        Assert.Equal(0, second.Calls("a") + second.Calls("b") + second.Calls("c") + second.Calls("after"));
        var again = await GetStepsAsync(copy);
        Assert.Equal(steps.Select(s => (s.Sequence, s.Position, s.Name, s.Status, s.Output)),
            again.Select(s => (s.Sequence, s.Position, s.Name, s.Status, s.Output)));
    }

    [Fact]
    public async Task A_crash_mid_wave_runs_only_the_unfinished_step_again_and_ends_as_a_crash_free_run()
    {
        // The crash-free output, for comparison.
        var referenceEngine = await EngineAsync(new ExecutionProbe("reference"), All);
        var reference = await referenceEngine.RunAsync(ThreeStepWaveWorkflow.Definition, "y").WaitAsync(Guard);
        await StopAsync(referenceEngine); // so that only the engines below may claim the run

        var first = new ExecutionProbe("first").Set("hold-a");
        var engine1 = await EngineAsync(first, All);
        var run = await engine1.StartAsync(ThreeStepWaveWorkflow.Definition, "y");
        await Raised(first, "a-entered");
        await WaitUntilAsync(async () => (await GetStepsAsync(run.RunId)).Count(s => s.Name is "b" or "c" && s.Status == StepStatus.Succeeded) == 2,
            "b and c to be committed as succeeded while a holds");

        await StopAsync(engine1);
        var left = await GetStepsAsync(run.RunId);
        Assert.Equal(["a", "b", "c"], left.Select(s => s.Name));
        Assert.Equal(StepStatus.Running, left[0].Status);
        Assert.Equal(RunStatus.Running, (await GetRunAsync(run.RunId)).Status);

        var second = new ExecutionProbe("second");
        var engine2 = await EngineAsync(second, All);
        var resumed = await engine2.ResumeAsync(ThreeStepWaveWorkflow.Definition, run.RunId);

        Assert.Equal(reference, await resumed.GetResultAsync().WaitAsync(Guard));
        Assert.Equal("[A(y),B(y),C(y)]", reference);
        Assert.Equal((1, 1, 1), (first.Calls("a"), first.Calls("b"), first.Calls("c")));
        Assert.Equal((1, 0, 0, 1), (second.Calls("a"), second.Calls("b"), second.Calls("c"), second.Calls("after")));
        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["a", "b", "c", "after"], steps.Select(s => s.Name));
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal(1, steps[0].InterruptedAttempts);
        Assert.Equal(left[1].Output, steps[1].Output);
        Assert.Equal(left[2].Output, steps[2].Output);
        Assert.Equal(steps[0].Position, steps[1].Position);
        Assert.Equal(steps[0].Position, steps[2].Position);
        Assert.True(steps[3].Position > steps[0].Position);
    }

    [Fact]
    public async Task Workflow_WhenAnyAsync_over_two_steps_journals_the_winner_and_a_replay_returns_it()
    {
        var probe = new ExecutionProbe("first");
        var engine = await EngineAsync(probe, All);
        var run = await engine.StartAsync(WhenAnyWorkflow.Definition, "z");

        Assert.Equal("fast:z", await run.GetResultAsync().WaitAsync(Guard)); // slow waits until the race is decided
        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["slow", "fast", "when-any"], steps.Select(s => s.Name));
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal((StepKind.WhenAny, "1"), (steps[2].Kind, steps[2].Output)); // the second task, "fast", finished first

        // Replayed: both entries are already there, so timing cannot decide; the journal must.
        await StopAsync(engine); // CopyRunAsync stops only the base harness's engines: this one must not claim the copy
        var copy = await CopyRunAsync(run.RunId);
        var second = new ExecutionProbe("second");
        var engine2 = await EngineAsync(second, All);
        var replayed = await engine2.ResumeAsync(WhenAnyWorkflow.Definition, copy);
        var again = await replayed.GetResultAsync().WaitAsync(Guard);
        Assert.Equal(0, second.Calls("slow") + second.Calls("fast")); // a replay: no body ran
        Assert.Equal(steps.Select(s => s.Output), (await GetStepsAsync(copy)).Select(s => s.Output));
        Assert.Equal("fast:z", again);
    }

    [Fact]
    public async Task A_wave_of_a_step_and_a_long_sleep_suspends_only_after_the_steps_outcome_is_committed()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, All, logCommits: true); // SuspendThreshold 1 s
        var run = await engine.StartAsync(StepAndSleepWaveWorkflow.Definition, 2000);
        await Raised(probe, "held-entered");
        await Raised(probe, "sleep-called");

        var during = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Running, during.Status); // the sleep asked to suspend; the step is still in flight
        Assert.Equal(engine.WorkerId, during.Owner);

        probe.Raise("release-held");
        var waiting = await WaitForStatusAsync(run.RunId, RunStatus.Waiting);
        Assert.Equal("sleep:2", waiting.WaitingFor);
        var atSuspension = await GetStepsAsync(run.RunId);
        Assert.Equal(StepStatus.Succeeded, atSuspension.Single(s => s.Name == "held").Status);

        Assert.Equal("held>after", await run.GetResultAsync().WaitAsync(Guard));

        var commits = Commits.Of(run.RunId).ToList();
        Assert.All(commits, c => Assert.True(c.Applied, $"A commit of the run was refused: {c.Error}"));
        var stepDone = commits.FindIndex(c => c.StepWrites.Any(s => s.Name == "held" && s.Status == StepStatus.Succeeded));
        var suspended = commits.FindIndex(c => c.RunUpdates.Any(r => r.Status == RunStatus.Waiting));
        Assert.True(stepDone >= 0, "The step's outcome was never committed.");
        Assert.True(suspended >= 0, "The run never suspended.");
        // The outcome is committed before the suspension, or with it (the outcome window holds it for the run's next write).
        Assert.True(stepDone <= suspended, $"The run was suspended (commit {suspended}) before the step's outcome was committed (commit {stepDone}).");

        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["held", "sleep", "after"], steps.Select(s => s.Name));
        Assert.Equal(steps[0].Position, steps[1].Position);
        Assert.Equal((1, 0), (steps[0].Attempt, steps[0].InterruptedAttempts));
        Assert.Equal(1, probe.Calls("held")); // woken by replay: the committed step is not run again
        Assert.Equal(1, probe.Calls("after"));
        Assert.Equal(2, probe.Calls("run"));
    }

    [Fact]
    public async Task Workflow_Random_draws_the_same_numbers_when_a_failed_run_is_resumed_and_journals_one_seed()
    {
        var probe = new ExecutionProbe().Set("refuse");
        var engine = await EngineAsync(probe, All);
        var run = await engine.StartAsync(RandomWorkflow.Definition, 1_000_000);
        await Assert.ThrowsAnyAsync<Exception>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(RunStatus.Failed, (await GetRunAsync(run.RunId)).Status);

        var failed = await GetStepsAsync(run.RunId);
        Assert.Equal([StepKind.Random, StepKind.Step], failed.Select(s => s.Kind));
        var message = failed[1].Error?.Message;
        Assert.NotNull(message);
        Assert.StartsWith("refused ", message);
        var drawn = message!["refused ".Length..];
        Assert.Equal(3, drawn.Split(',').Length);

        probe.Set("refuse", false);
        var resumed = await engine.ResumeAsync(RandomWorkflow.Definition, run.RunId);
        Assert.Equal(drawn, await resumed.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(2, probe.Calls("run"));

        var steps = await GetStepsAsync(run.RunId);
        var random = Assert.Single(steps, s => s.Kind == StepKind.Random);
        Assert.Equal(failed[0].Output, random.Output); // the seed, as first recorded
        Assert.Equal(2, steps.Count);

        // A fork that keeps the seed draws the same numbers too, in a new engine.
        await StopAsync(engine);
        var second = new ExecutionProbe("second");
        var engine2 = await EngineAsync(second, All);
        var fork = await engine2.ForkAsync(run.RunId, fromSequence: 2);
        Assert.Equal(drawn, await fork.As<string>().GetResultAsync().WaitAsync(Guard));
        Assert.Equal(1, second.Calls("check"));
        Assert.Single(await GetStepsAsync(fork.RunId), s => s.Kind == StepKind.Random);
    }
}

public sealed class InMemoryWaveTests : WaveTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteWaveTests : WaveTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlWaveTests : WaveTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
