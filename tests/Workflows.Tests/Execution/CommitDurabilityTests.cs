using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows;
using Workflows.Tests.TestWorkflows.Execution;
using Waves = Workflows.Tests.TestWorkflows.Waves;
using Messaging = Workflows.Tests.TestWorkflows.Messaging;

namespace Workflows.Tests.Execution;

/// <summary>
/// One fsync'd commit per step: the marker that an attempt began is committed <see cref="CommitDurability.Buffered"/>, its
/// outcome and the run's end <see cref="CommitDurability.Flushed"/>; a durable value is never only buffered; and
/// <see cref="WorkflowEngineOptions.StepStartDurability"/> can flush every marker. Counted from the commits the engine made.
/// </summary>
public abstract class CommitDurabilityTests : ExecutionTestBase
{
    [Fact]
    public async Task Without_an_outcome_window_each_step_start_is_buffered_and_each_outcome_and_the_runs_end_are_flushed()
    {
        var engine = await EngineAsync(definitions: [CountedWorkflow.Definition], logCommits: true, stepOutcomeWindow: TimeSpan.Zero);

        var run = await engine.StartAsync(CountedWorkflow.Definition, 4);
        Assert.Equal("4->53", await run.GetResultAsync().WaitAsync(Guard));

        var commits = Commits.Of(run.RunId).Where(c => c.Applied).ToList();
        var starts = commits.Where(c => c.StepWrites.Any(s => s.Status == StepStatus.Running)).ToList();
        var outcomes = commits.Where(c => c.StepWrites.Any(s => s.Status == StepStatus.Succeeded)).ToList();
        var end = Assert.Single(commits, c => c.RunUpdates.Any(r => r.Status == RunStatus.Succeeded));
        Assert.Equal(3, starts.Count);
        Assert.Equal(3, outcomes.Count);
        Assert.All(starts, c => Assert.Equal(CommitDurability.Buffered, c.Durability));
        Assert.All(outcomes, c => Assert.Equal(CommitDurability.Flushed, c.Durability));
        Assert.Equal(CommitDurability.Flushed, end.Durability);
        Assert.Equal(4, commits.Count(c => c.Durability == CommitDurability.Flushed)); // one per step, and the end
        Assert.Equal(commits.Count, starts.Count + outcomes.Count + 1); // nothing else was committed

        // Buffered or not, what was committed is the journal.
        var steps = await Store.GetStepsAsync(Tenant, run.RunId);
        Assert.Equal([StepStatus.Succeeded, StepStatus.Succeeded, StepStatus.Succeeded], steps.Select(s => s.Status));
    }

    [Fact]
    public async Task With_StepStartDurability_Flushed_every_commit_is_flushed()
    {
        var engine = await EngineAsync(definitions: [CountedWorkflow.Definition], logCommits: true, stepStartDurability: CommitDurability.Flushed,
            stepOutcomeWindow: TimeSpan.Zero);

        var run = await engine.StartAsync(CountedWorkflow.Definition, 1);
        Assert.Equal("1->23", await run.GetResultAsync().WaitAsync(Guard));

        var commits = Commits.Of(run.RunId).Where(c => c.Applied).ToList();
        Assert.Equal(7, commits.Count); // three starts, three outcomes, the end
        Assert.All(commits, c => Assert.Equal(CommitDurability.Flushed, c.Durability));
    }

    [Fact]
    public async Task A_steps_outcome_commits_with_the_next_steps_start_and_the_last_one_with_the_runs_end_one_fsync_per_step()
    {
        var engine = await EngineAsync(definitions: [CountedWorkflow.Definition], logCommits: true, stepOutcomeWindow: TimeSpan.FromSeconds(1));

        var run = await engine.StartAsync(CountedWorkflow.Definition, 4);
        Assert.Equal("4->53", await run.GetResultAsync().WaitAsync(Guard));

        var commits = Commits.Of(run.RunId).Where(c => c.Applied).ToList();
        // The first start alone (buffered); then each outcome with the next start; the last outcome with the run's end.
        Assert.Equal(
            [
                (CommitDurability.Buffered, "add-one:Running", ""),
                (CommitDurability.Flushed, "add-one:Succeeded times-ten:Running", ""),
                (CommitDurability.Flushed, "times-ten:Succeeded add-three:Running", ""),
                (CommitDurability.Flushed, "add-three:Succeeded", "Succeeded"),
            ],
            commits.Select(c => (c.Durability, string.Join(" ", c.StepWrites.Select(s => $"{s.Name}:{s.Status}")), string.Join(" ", c.RunUpdates.Select(r => r.Status)))));
        Assert.Equal(3, commits.Count(c => c.Durability == CommitDurability.Flushed)); // one fsync per step, the end included

        var steps = await Store.GetStepsAsync(Tenant, run.RunId);
        Assert.Equal([StepStatus.Succeeded, StepStatus.Succeeded, StepStatus.Succeeded], steps.Select(s => s.Status));
    }

    [Fact]
    public async Task Outcomes_of_a_wave_whose_other_step_still_runs_are_committed_when_the_window_ends()
    {
        var probe = new ExecutionProbe();
        probe.Set("hold-a");
        var engine = await EngineAsync(probe, definitions: [Waves.ThreeStepWaveWorkflow.Definition], logCommits: true,
            stepOutcomeWindow: TimeSpan.FromMilliseconds(20));

        var run = await engine.StartAsync(Waves.ThreeStepWaveWorkflow.Definition, "x");
        await probe.WhenRaised("a-entered").WaitAsync(Guard);
        // No write of the run comes while a is held: only the window's end can commit b's and c's outcomes.
        await WaitUntilAsync(async () => (await Store.GetStepsAsync(Tenant, run.RunId)).Count(s => s.Status == StepStatus.Succeeded) == 2,
            "b and c recorded Succeeded while a is still held");
        var during = await Store.GetStepsAsync(Tenant, run.RunId);
        Assert.Equal([("a", StepStatus.Running), ("b", StepStatus.Succeeded), ("c", StepStatus.Succeeded)], during.Select(s => (s.Name, s.Status)));
        Assert.Contains(Commits.Of(run.RunId), c => c.Applied && c.Durability == CommitDurability.Flushed
            && c.StepWrites.All(s => s.Status == StepStatus.Succeeded) && c.RunUpdates.Count() == 0);

        probe.Raise("release-a");
        Assert.Equal("[A(x),B(x),C(x)]", await run.GetResultAsync().WaitAsync(Guard));
        Assert.All(Commits.Of(run.RunId), c => Assert.True(c.Applied, $"A commit of the run was refused: {c.Error}"));
    }

    [Fact]
    public async Task A_child_is_started_only_after_the_outcome_its_input_came_from_is_committed()
    {
        var seen = new List<StepStatus?>();
        var engine = await EngineAsync(definitions: [StepThenChildWorkflow.Definition, Messaging.ChildWorkflow.Definition], logCommits: true,
            stepOutcomeWindow: TimeSpan.FromSeconds(1), wrapStore: store => new ChildCreationWatch(store, seen));

        var run = await engine.StartAsync(StepThenChildWorkflow.Definition, 20);
        Assert.Equal(42, await run.GetResultAsync().WaitAsync(Guard));

        // When the child's run was created, the parent's "prepare" was already Succeeded in the journal.
        Assert.Equal([StepStatus.Succeeded], seen);
    }

    [Fact]
    public async Task A_durable_value_rides_with_the_next_step_start_and_makes_it_flushed()
    {
        var engine = await EngineAsync(definitions: [GuidThenStepWorkflow.Definition], logCommits: true);

        var run = await engine.StartAsync(GuidThenStepWorkflow.Definition, 7);
        var output = await run.GetResultAsync().WaitAsync(Guard);

        var commits = Commits.Of(run.RunId).Where(c => c.Applied).ToList();
        var start = Assert.Single(commits, c => c.StepWrites.Any(s => s.Name == "use-key" && s.Status == StepStatus.Running));
        // The guid's record is in the same commit as the start marker, ahead of it, and that commit is flushed.
        var guid = Assert.Single(start.StepWrites, s => s.Kind != StepKind.Step);
        Assert.Equal(CommitDurability.Flushed, start.Durability);
        Assert.StartsWith(System.Text.Json.JsonSerializer.Deserialize<string>(guid.Output!)!, output);
    }

    [Fact]
    public async Task Start_markers_the_database_lost_are_committed_again_with_the_steps_outcomes_and_the_run_succeeds()
    {
        // The database crashes after each buffered commit returned and before it was flushed: none of them is kept.
        var losing = new List<LosingStore>();
        var engine = await EngineAsync(definitions: [CountedWorkflow.Definition], logCommits: true, stepOutcomeWindow: TimeSpan.Zero,
            wrapStore: store => { var l = new LosingStore(store); losing.Add(l); return l; });

        var run = await engine.StartAsync(CountedWorkflow.Definition, 4);
        Assert.Equal("4->53", await run.GetResultAsync().WaitAsync(Guard));

        Assert.Equal(3, losing.Sum(l => l.Lost));
        var steps = await Store.GetStepsAsync(Tenant, run.RunId);
        Assert.Equal([(1, StepStatus.Succeeded, 1), (2, StepStatus.Succeeded, 1), (3, StepStatus.Succeeded, 1)],
            steps.Select(s => (s.Sequence, s.Status, s.Attempt)));
        // Each outcome was refused once (its marker missing), then committed with its marker put back ahead of it.
        var outcomes = Commits.Of(run.RunId).Where(c => c.StepWrites.Any(s => s.Status == StepStatus.Succeeded)).ToList();
        Assert.Equal(3, outcomes.Count(c => !c.Applied));
        Assert.All(outcomes.Where(c => c.Applied), c => Assert.Equal([StepStatus.Running, StepStatus.Succeeded],
            c.Writes.OfType<UpdateStep>().Select(w => w.Step.Status).Concat(c.Writes.OfType<InsertStep>().Select(w => w.Step.Status)).Order()));
    }

    [Fact]
    public async Task A_lost_marker_of_a_retried_attempt_is_committed_again_with_its_outcome()
    {
        var probe = new Probe();
        var engine = await EngineAsync(definitions: [RetryWorkflow.Definition], services: [probe], wrapStore: store => new LosingStore(store));

        var run = await engine.StartAsync(RetryWorkflow.Definition, "flaky");
        Assert.Equal(3, await run.GetResultAsync().WaitAsync(Guard));

        var step = Assert.Single(await Store.GetStepsAsync(Tenant, run.RunId));
        Assert.Equal((StepStatus.Succeeded, 3, 2), (step.Status, step.Attempt, step.FailedAttempts));
        Assert.Equal(3, probe.Calls("flaky"));
    }

    [Fact]
    public async Task Of_a_waves_markers_only_those_the_database_lost_are_committed_again_with_the_outcomes_that_follow_them_up()
    {
        // The database keeps a's marker and loses b's and c's (a crash between their buffered commits and the next flush);
        // the three outcomes then commit together with the next step's start: only b's and c's markers are put back.
        var losing = (LosingStore?)null;
        var engine = await EngineAsync(new ExecutionProbe(), definitions: [Waves.ThreeStepWaveWorkflow.Definition], stepOutcomeWindow: TimeSpan.FromSeconds(1),
            wrapStore: store => losing = new LosingStore(store, writes => writes.OfType<InsertStep>().Any(w => w.Step.Name is "b" or "c")));

        var run = await engine.StartAsync(Waves.ThreeStepWaveWorkflow.Definition, "x");
        Assert.Equal("[A(x),B(x),C(x)]", await run.GetResultAsync().WaitAsync(Guard));
        Assert.InRange(losing!.Lost, 1, 2); // b's and c's markers, in one buffered commit or two
        Assert.Equal([("a", StepStatus.Succeeded), ("b", StepStatus.Succeeded), ("c", StepStatus.Succeeded), ("after", StepStatus.Succeeded)],
            (await Store.GetStepsAsync(Tenant, run.RunId)).Select(s => (s.Name, s.Status)));
    }

    [Fact]
    public void StepStartDurability_must_be_a_durability()
    {
        var options = new WorkflowEngineOptions { StepStartDurability = (CommitDurability)7 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WorkflowEngine(new InMemoryWorkflowStore(), options));
        Assert.Contains("StepStartDurability", error.Message);
    }
}

/// <summary>When a child run is created (a run with a parent), what the parent's "prepare" step is in the journal.</summary>
public sealed class ChildCreationWatch(IWorkflowStore inner, List<StepStatus?> seen) : DelegatingWorkflowStore(inner)
{
    public override async ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, IReadOnlyList<StepRecord>? steps = null, CancellationToken cancellationToken = default)
    {
        if (run.ParentRunId is { } parent)
        {
            var parentSteps = await Inner.GetStepsAsync(run.TenantId, parent, cancellationToken);
            lock (seen) seen.Add(parentSteps.SingleOrDefault(s => s.Name == "prepare")?.Status);
        }
        return await Inner.CreateRunAsync(run, steps, cancellationToken);
    }

    /// <summary>The harness owns the inner store and disposes it.</summary>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// A store whose database "crashes" after every buffered commit, losing it: the commit returns as applied (it was, until the
/// crash), and nothing of it is kept. Flushed commits go through. What a power loss or a database crash does to a buffered
/// commit, without one; the PostgreSQL chaos test (pg_ctl restart -m immediate) does it for real.
/// </summary>
public sealed class LosingStore(IWorkflowStore inner, Func<IReadOnlyList<JournalWrite>, bool>? loses = null) : DelegatingWorkflowStore(inner)
{
    private int _lost;

    public int Lost => Volatile.Read(ref _lost);

    public override ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        if (durability == CommitDurability.Buffered && (loses is null || loses(writes)))
        {
            Interlocked.Increment(ref _lost);
            return ValueTask.CompletedTask;
        }
        return Inner.CommitAsync(writes, durability, cancellationToken);
    }

    /// <summary>The harness owns the inner store and disposes it.</summary>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class InMemoryCommitDurabilityTests : CommitDurabilityTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteCommitDurabilityTests : CommitDurabilityTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlCommitDurabilityTests : CommitDurabilityTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
