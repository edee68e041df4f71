using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>
/// One fsync'd commit per step: the marker that an attempt began is committed <see cref="CommitDurability.Buffered"/>, its
/// outcome and the run's end <see cref="CommitDurability.Flushed"/>; a durable value is never only buffered; and
/// <see cref="WorkflowEngineOptions.StepStartDurability"/> can flush every marker. Counted from the commits the engine made.
/// </summary>
public abstract class CommitDurabilityTests : ExecutionTestBase
{
    [Fact]
    public async Task Each_step_start_is_buffered_and_each_outcome_and_the_runs_end_are_flushed()
    {
        var engine = await EngineAsync(definitions: [CountedWorkflow.Definition], logCommits: true);

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
        var engine = await EngineAsync(definitions: [CountedWorkflow.Definition], logCommits: true, stepStartDurability: CommitDurability.Flushed);

        var run = await engine.StartAsync(CountedWorkflow.Definition, 1);
        Assert.Equal("1->23", await run.GetResultAsync().WaitAsync(Guard));

        var commits = Commits.Of(run.RunId).Where(c => c.Applied).ToList();
        Assert.Equal(7, commits.Count); // three starts, three outcomes, the end
        Assert.All(commits, c => Assert.Equal(CommitDurability.Flushed, c.Durability));
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
        var engine = await EngineAsync(definitions: [CountedWorkflow.Definition], logCommits: true,
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
    public void StepStartDurability_must_be_a_durability()
    {
        var options = new WorkflowEngineOptions { StepStartDurability = (CommitDurability)7 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WorkflowEngine(new InMemoryWorkflowStore(), options));
        Assert.Contains("StepStartDurability", error.Message);
    }
}

/// <summary>
/// A store whose database "crashes" after every buffered commit, losing it: the commit returns as applied (it was, until the
/// crash), and nothing of it is kept. Flushed commits go through. What a power loss or a database crash does to a buffered
/// commit, without one; the PostgreSQL chaos test (pg_ctl restart -m immediate) does it for real.
/// </summary>
public sealed class LosingStore(IWorkflowStore inner) : DelegatingWorkflowStore(inner)
{
    private int _lost;

    public int Lost => Volatile.Read(ref _lost);

    public override ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        if (durability == CommitDurability.Buffered)
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
