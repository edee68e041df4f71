using System.Collections.Concurrent;
using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>OnJournalCommitted sees every record a durable commit wrote: step starts, failures, retries, successes, run changes.</summary>
public abstract class JournalObserverTests : ExecutionTestBase
{
    [Fact]
    public async Task The_observer_sees_every_record_of_a_retried_step_and_every_status_of_its_run_in_order()
    {
        var seen = new ConcurrentQueue<JournalCommitted>();
        var probe = new ExecutionProbe().Set("fail-twice");
        var engine = await EngineAsync(probe, onJournalCommitted: seen.Enqueue);
        var run = await engine.StartAsync(InterruptibleWorkflow.Definition, "parcel");
        Assert.Equal("parcel: ok on call 3 @probe", await run.GetResultAsync().WaitAsync(Guard));

        var commits = seen.ToList();
        Assert.All(commits, c => Assert.Equal((run.RunId, "default", "exec-interruptible"), (c.RunId, c.TenantId, c.Workflow)));
        var steps = commits.SelectMany(c => c.Steps).ToList();
        Assert.Equal(
            [(StepStatus.Running, 1, 0), (StepStatus.Pending, 2, 1), (StepStatus.Running, 2, 1), (StepStatus.Pending, 3, 2), (StepStatus.Running, 3, 2), (StepStatus.Succeeded, 3, 2)],
            steps.Select(s => (s.Status, s.Attempt, s.FailedAttempts)));
        Assert.Equal("transient failure on call 1", steps[1].Error?.Message); // the failure travels with the scheduled retry
        var runs = commits.Where(c => c.Run is not null).Select(c => c.Run!.Status).ToList();
        // Created: already claimed by this engine (Running), or, when the start raced a claim pass of the scheduler that held
        // the free slots, Pending for that scheduler to claim at once (a claim writes no journal record).
        Assert.Contains(runs[0], new[] { RunStatus.Running, RunStatus.Pending });
        Assert.Equal(RunStatus.Succeeded, runs[^1]);
        Assert.Equal("\"parcel: ok on call 3 @probe\"", commits[^1].Run!.Output);
    }

    [Fact]
    public async Task An_observer_that_throws_is_reported_and_does_not_change_what_happens_to_the_run()
    {
        var errors = new ConcurrentQueue<Exception>();
        var engine = await EngineAsync(new ExecutionProbe(), onJournalCommitted: _ => throw new InvalidOperationException("observer broke"),
            onBackgroundError: errors.Enqueue);
        var run = await engine.StartAsync(InterruptibleWorkflow.Definition, "parcel");

        Assert.Equal("parcel: ok on call 1 @probe", await run.GetResultAsync().WaitAsync(Guard));
        Assert.Contains(errors, e => e is InvalidOperationException { Message: "observer broke" });
        Assert.Equal(StepStatus.Succeeded, Assert.Single(await GetStepsAsync(run.RunId)).Status);
    }
}

public sealed class InMemoryJournalObserverTests : JournalObserverTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteJournalObserverTests : JournalObserverTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlJournalObserverTests : JournalObserverTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
