using System.Collections.Concurrent;
using System.Globalization;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>
/// One owner per run: engines sharing a journal never execute a step body twice, an engine that lost its claim cannot
/// write any more, and an attempt cut short by a crash or stop does not count as a failure.
/// </summary>
public abstract class OwnershipTests : ExecutionTestBase
{
    [Fact]
    public async Task Two_engines_resuming_the_same_fifty_runs_complete_each_once_and_run_every_step_body_once()
    {
        var ledger = new ExecutionProbe("ledger"); // shared by both engines: one count per step body run
        var runs = new List<RunRecord>();
        for (var i = 0; i < 50; i++)
        {
            runs.Add(await CreateRunAsync(CountedWorkflow.Definition, i.ToString(CultureInfo.InvariantCulture)));
        }
        string Expected(Guid runId)
        {
            var input = int.Parse(runs.Single(r => r.Id == runId).Input!, CultureInfo.InvariantCulture);
            return $"{input}->{(input + 1) * 10 + 3}";
        }
        var committed = new ConcurrentQueue<(string Worker, Guid RunId, int Sequence)>();
        // Leases long enough that no claim lapses on a loaded machine: here a takeover would be a real one, and would rerun a body.
        var a = await EngineAsync(ledger, [CountedWorkflow.Definition], workerId: "engine-a", maxConcurrentRuns: 4, leaseDuration: TimeSpan.FromSeconds(5), logCommits: true,
            onStepCommitted: s => committed.Enqueue(("engine-a", s.RunId, s.Sequence)));
        var b = await EngineAsync(ledger, [CountedWorkflow.Definition], workerId: "engine-b", maxConcurrentRuns: 4, leaseDuration: TimeSpan.FromSeconds(5), logCommits: true,
            onStepCommitted: s => committed.Enqueue(("engine-b", s.RunId, s.Sequence)));

        var resumed = await Task.WhenAll(a.ResumeUnfinishedAsync(), b.ResumeUnfinishedAsync()).WaitAsync(Guard);
        var handles = resumed.SelectMany(h => h).ToList();
        Assert.Subset(runs.Select(r => r.Id).ToHashSet(), handles.Select(h => h.RunId).ToHashSet());
        Assert.NotEmpty(handles);
        foreach (var handle in handles)
        {
            // Each engine's handles complete whichever engine ran the run.
            Assert.Equal(Expected(handle.RunId), await handle.As<string>().GetResultAsync().WaitAsync(Guard));
        }
        foreach (var run in runs)
        {
            Assert.Equal(Expected(run.Id), await (await a.GetRunAsync(CountedWorkflow.Definition, run.Id)).GetResultAsync().WaitAsync(Guard));
        }

        // No run changed hands: every commit of both engines went through its fence.
        var refused = Commits.All.Where(c => !c.Applied).ToList();
        Assert.True(refused.Count == 0, $"{refused.Count} commits were refused: " +
            string.Join(" | ", refused.Select(c => $"{c.Store}: {c.Error!.GetType().Name}: {c.Error.Message}").Distinct().Take(5)));
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(run.Id)).Status);
            var steps = await GetStepsAsync(run.Id);
            Assert.Equal(["add-one", "times-ten", "add-three"], steps.Select(s => s.Name));
            Assert.Equal([1, 2, 3], steps.Select(s => s.Sequence));
            Assert.All(steps, s => Assert.Equal((StepStatus.Succeeded, 1, 0), (s.Status, s.Attempt, s.InterruptedAttempts)));
            foreach (var step in steps)
            {
                Assert.Equal(1, ledger.Calls($"{run.Id}/{step.Name}"));
            }
        }
        Assert.Equal(150, ledger.AllCalls.Values.Sum());

        var completions = Commits.All.Where(c => c.Applied).SelectMany(c => c.RunUpdates).Where(r => r.Status == RunStatus.Succeeded).ToList();
        Assert.Equal(runs.Select(r => r.Id).Order(), completions.Select(r => r.Id).Order()); // each run completed exactly once
        var outcomes = committed.ToList();
        Assert.Equal(150, outcomes.Count);
        Assert.Equal(150, outcomes.Select(c => (c.RunId, c.Sequence)).Distinct().Count());
        Assert.Equal(["engine-a", "engine-b"], outcomes.Select(c => c.Worker).Distinct().Order()); // both took part
    }

    [Fact]
    public async Task An_engine_whose_claim_lapsed_mid_step_is_fenced_out_and_the_journal_is_the_new_owners()
    {
        // Engine A's clock is frozen (its timers never fire, so it never renews): the lease it writes ends a second after
        // that instant, so its claim lapses in real time while its step body is blocked, and A does not notice.
        var probeA = new ExecutionProbe("A").Set("hold-work");
        var errorsA = new ConcurrentQueue<Exception>();
        var a = await EngineAsync(probeA, workerId: "engine-a", clock: new FrozenClock(DateTimeOffset.UtcNow), leaseDuration: TimeSpan.FromSeconds(1),
            logCommits: true, onBackgroundError: errorsA.Enqueue);
        var run = await a.StartAsync(TakeoverWorkflow.Definition, "job");
        await Raised(probeA, "work-entered");
        Assert.Equal("engine-a", (await GetRunAsync(run.RunId)).Owner);

        var probeB = new ExecutionProbe("B");
        var b = await EngineAsync(probeB, [TakeoverWorkflow.Definition], workerId: "engine-b", logCommits: true);
        var handleB = await b.GetRunAsync(TakeoverWorkflow.Definition, run.RunId);
        Assert.Equal("job>prepare@A>work@B>finish@B", await handleB.GetResultAsync().WaitAsync(Guard));

        // A's body now returns; its commit must not land.
        probeA.Raise("release-work");
        await WaitUntilAsync(() => a.RunsInMemory == 0, "engine A to abandon the run");

        var log = Commits.Of(run.RunId);
        var takeover = log.First(c => c.Store == "engine-b").Order;
        var late = log.Where(c => c.Store == "engine-a" && c.Order > takeover).ToList();
        // A did try to journal its step's outcome, and the store's fence refused it.
        var refusal = Assert.Single(late);
        Assert.False(refusal.Applied, "The commit of the engine that lost the run was applied.");
        var lost = Assert.IsType<RunOwnershipLostException>(refusal.Error);
        Assert.Equal(run.RunId, lost.RunId);
        Assert.Equal("engine-a", lost.ExpectedOwner);
        Assert.True(lost.CurrentOwner is null or "engine-b", $"The refusal names '{lost.CurrentOwner}' as the owner.");
        Assert.Contains(refusal.StepWrites, s => s.Name == "work" && s.Output == "\"job>prepare@A>work@A\"");
        // A says so: the loss, naming the run and both owners, reaches its background-error callback.
        var reported = Assert.Single(errorsA.OfType<RunOwnershipLostException>(), e => e.RunId == run.RunId);
        Assert.Equal("engine-a", reported.ExpectedOwner);
        Assert.Equal(lost.CurrentOwner, reported.CurrentOwner);

        // The journal is B's execution of the run.
        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal(["prepare", "work", "finish"], steps.Select(s => s.Name));
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal("\"job>prepare@A\"", steps[0].Output);
        Assert.Equal("\"job>prepare@A>work@B\"", steps[1].Output);
        Assert.Equal((2, 1, 0), (steps[1].Attempt, steps[1].InterruptedAttempts, steps[1].FailedAttempts));
        Assert.Equal("\"job>prepare@A>work@B>finish@B\"", steps[2].Output);
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Equal("\"job>prepare@A>work@B>finish@B\"", stored.Output);
        Assert.Null(stored.Owner);
        Assert.Equal((1, 1, 0), (probeA.Calls("prepare"), probeA.Calls("work"), probeA.Calls("finish")));
        Assert.Equal((0, 1, 1), (probeB.Calls("prepare"), probeB.Calls("work"), probeB.Calls("finish")));
    }

    [Fact]
    public async Task A_step_cut_short_more_often_than_allowed_parks_the_run_and_a_resume_gives_it_one_new_attempt()
    {
        // Processes died twice in the body of "fragile" (attempt 3 was running when the last one died): with
        // MaxInterruptedAttempts = 2 the next start would be a third interruption, so the run is parked, its body not run.
        var run = await CreateRunAsync(InterruptibleWorkflow.Definition, "\"parcel\"", RunStatus.Running);
        await InsertAsync(RecordedStep(run, 1, "fragile", null, StepStatus.Running) with { Attempt = 3, InterruptedAttempts = 2, CompletedAt = null });

        var probe = new ExecutionProbe("fixed");
        var engine = await EngineAsync(probe, [InterruptibleWorkflow.Definition], maxInterruptedAttempts: 2);
        var handle = await engine.ResumeAsync(run.Id);
        var parked = await Assert.ThrowsAsync<WorkflowRunParkedException>(() => handle.Completion.WaitAsync(Guard));
        Assert.Equal(ErrorKind.Interrupted, parked.Error.Kind);
        var cause = Assert.IsType<StepInterruptedException>(parked.InnerException);
        Assert.Equal((1, "fragile", 3), (cause.Sequence, cause.StepName, cause.Interruptions));
        Assert.Equal(0, probe.Calls("fragile"));
        var stored = await GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Parked, stored.Status);
        Assert.Null(stored.Owner);
        Assert.Contains(run.Id, (await engine.ListParkedRunsAsync()).Runs.Select(r => r.Id));
        var untouched = Assert.Single(await GetStepsAsync(run.Id));
        Assert.Equal((StepStatus.Running, 3, 2), (untouched.Status, untouched.Attempt, untouched.InterruptedAttempts));

        // Once the cause is fixed, a resume counts the cut-short attempt and begins one new one.
        var resumed = await engine.ResumeAsync(InterruptibleWorkflow.Definition, run.Id);
        Assert.Equal("parcel: ok on call 1 @fixed", await resumed.GetResultAsync().WaitAsync(Guard));
        var step = Assert.Single(await GetStepsAsync(run.Id));
        Assert.Equal((StepStatus.Succeeded, 4, 3, 0), (step.Status, step.Attempt, step.InterruptedAttempts, step.FailedAttempts));
        Assert.Equal(1, probe.Calls("fragile"));
    }

    [Fact]
    public async Task Attempts_cut_short_by_a_crash_or_a_stop_do_not_use_up_max_attempts()
    {
        // A crashed process left attempt 1 of the step Running.
        var run = await CreateRunAsync(InterruptibleWorkflow.Definition, "\"parcel\"", RunStatus.Running);
        await InsertAsync(RecordedStep(run, 1, "fragile", null, StepStatus.Running) with { CompletedAt = null });

        // The next engine begins attempt 2 and is stopped while its body runs.
        var first = new ExecutionProbe("first").Set("block");
        var engine1 = await EngineAsync(first, [InterruptibleWorkflow.Definition]);
        var handle1 = await engine1.ResumeAsync(run.Id);
        await Raised(first, "fragile-entered");
        var during = Assert.Single(await GetStepsAsync(run.Id));
        Assert.Equal((StepStatus.Running, 2, 1, 0), (during.Status, during.Attempt, during.InterruptedAttempts, during.FailedAttempts));
        await StopAsync(engine1);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle1.Completion.WaitAsync(Guard));
        var stopped = Assert.Single(await GetStepsAsync(run.Id));
        Assert.Equal((StepStatus.Running, 2, 1, 0), (stopped.Status, stopped.Attempt, stopped.InterruptedAttempts, stopped.FailedAttempts));
        var released = await GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Running, released.Status);
        Assert.Null(released.Owner);

        // Interrupted twice, then two real failures: with MaxAttempts = 3 the third real attempt still runs, and succeeds.
        var second = new ExecutionProbe("second").Set("fail-twice");
        var engine2 = await EngineAsync(second, [InterruptibleWorkflow.Definition]);
        var handle2 = await engine2.ResumeAsync(InterruptibleWorkflow.Definition, run.Id);
        Assert.Equal("parcel: ok on call 3 @second", await handle2.GetResultAsync().WaitAsync(Guard));

        var step = Assert.Single(await GetStepsAsync(run.Id));
        Assert.Equal(StepStatus.Succeeded, step.Status);
        Assert.Equal(2, step.InterruptedAttempts);
        Assert.Equal(2, step.FailedAttempts);
        Assert.Equal(5, step.Attempt);
        Assert.Null(step.Error);
        Assert.Equal(3, second.Calls("fragile"));
        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(run.Id)).Status);
    }
}

public sealed class InMemoryOwnershipTests : OwnershipTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteOwnershipTests : OwnershipTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlOwnershipTests : OwnershipTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
