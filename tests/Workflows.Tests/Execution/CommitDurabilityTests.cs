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
    public void StepStartDurability_must_be_a_durability()
    {
        var options = new WorkflowEngineOptions { StepStartDurability = (CommitDurability)7 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WorkflowEngine(new InMemoryWorkflowStore(), options));
        Assert.Contains("StepStartDurability", error.Message);
    }
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
