using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.BadInput;

/// <summary>
/// Two engines on one journal (two stores on one SQLite file or PostgreSQL schema; one in-memory store): every run is run
/// once and every step body once, whichever engine starts or claims it, and a run one engine holds is refused to the other.
/// The cross-process form (two processes, kills) is tests/Workflows.CrashTests/TwoEngineProcessTests.cs.
/// </summary>
public abstract class SharedJournalTests : BadInputTestBase
{
    [Fact]
    public async Task Two_engines_on_one_journal_run_every_run_once_and_no_step_body_twice()
    {
        var (probeA, probeB) = (new ExecutionProbe("a"), new ExecutionProbe("b"));
        var a = await EngineAsync(probeA, [DoublingWorkflow.Definition], workerId: "engine-a");
        var b = await EngineAsync(probeB, [DoublingWorkflow.Definition], workerId: "engine-b");

        // Half started by each; then as many again left Pending in the journal for either scheduler to claim.
        var handles = new List<WorkflowRun<int>>();
        for (var i = 1; i <= 10; i++) handles.Add(await (i % 2 == 0 ? a : b).StartAsync(DoublingWorkflow.Definition, i));
        for (var i = 11; i <= 20; i++) handles.Add(await a.GetRunAsync(DoublingWorkflow.Definition, (await CreateRunAsync(DoublingWorkflow.Definition, $"{i}")).Id));
        for (var i = 1; i <= 20; i++) Assert.Equal(2 * i, await handles[i - 1].GetResultAsync().WaitAsync(Guard));

        for (var i = 1; i <= 20; i++) Assert.Equal(1, probeA.Calls($"double:{i}") + probeB.Calls($"double:{i}"));
        var journal = await ReadJournalAsync();
        Assert.Equal(20, journal.Runs.Count);
        Assert.All(journal.Runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal(20, journal.Steps.Count);
        Assert.All(journal.Steps, s => Assert.Equal((1, StepStatus.Succeeded), (s.Attempt, s.Status)));
    }

    [Fact]
    public async Task A_claim_of_a_run_another_engine_holds_is_refused_and_a_write_under_a_claim_it_does_not_hold_is_RunOwnershipLostException_naming_both()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21");
        var now = DateTimeOffset.UtcNow;
        var held = await Store.ClaimRunAsync(new RunClaim(run.Id, Tenant, "engine-a", now, now + TimeSpan.FromMinutes(5)));
        Assert.Equal("engine-a", held?.Owner);
        var before = await ReadJournalAsync();

        Assert.Null(await Store.ClaimRunAsync(new RunClaim(run.Id, Tenant, "engine-b", now, now + TimeSpan.FromMinutes(5))));
        var refused = await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.CommitAsync(
            [JournalWrite.RequireClaim(run.Id, Tenant, "engine-b"), JournalWrite.Insert(RecordedStep(run, 1, "double", "42"))]).AsTask());

        Assert.Equal((run.Id, "engine-b", "engine-a"), (refused.RunId, refused.ExpectedOwner, refused.CurrentOwner));
        Assert.Contains(run.Id.ToString(), refused.Message);
        Assert.Contains("'engine-b'", refused.Message);
        Assert.Contains("'engine-a'", refused.Message);
        await AssertJournalUnchangedAsync(before);
    }
}

public sealed class InMemorySharedJournalTests : SharedJournalTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteSharedJournalTests : SharedJournalTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlSharedJournalTests : SharedJournalTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
