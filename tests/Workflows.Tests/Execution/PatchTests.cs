using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Patching;

namespace Workflows.Tests.Execution;

/// <summary>
/// <see cref="Workflow.Patched(string)"/>: a code change guarded by a patch runs for new runs, is skipped by runs recorded
/// before it (their replay matches what they recorded), and is taken again by the replay of a run that took it.
/// </summary>
public abstract class PatchTests : ExecutionTestBase
{
    /// <summary>Runs <paramref name="definition"/> until "ship" holds, then stops the engine (a deploy).</summary>
    private async Task<Guid> RecordUntilShipAsync(WorkflowDefinition definition, Func<WorkflowEngine, Task<Guid>> start, PatchProbe probe)
    {
        probe.HoldShip = true;
        var engine = await EngineAsync(services: [probe], definitions: [definition]);
        var runId = await start(engine);
        await probe.ShipEntered.Task.WaitAsync(Guard);
        await StopAsync(engine);
        return runId;
    }

    private async Task<string?> ResumeAsync(WorkflowDefinition definition, Guid runId, PatchProbe probe)
    {
        var engine = await EngineAsync(services: [probe], definitions: [definition], schemaChanges: SchemaChangePolicy.AcceptCompatible);
        var handle = await engine.ResumeAsync(runId);
        await handle.Completion.WaitAsync(Guard);
        var run = await GetRunAsync(runId);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        return run.Output;
    }

    [Fact]
    public async Task A_new_run_takes_the_patch_and_journals_it_and_its_replay_takes_it_again_without_running_recorded_steps()
    {
        var first = new PatchProbe();
        var runId = await RecordUntilShipAsync(PatchingV2.Definition, async e => (await e.StartAsync(PatchingV2.Definition, "o-1")).RunId, first);
        Assert.True(first.Took);
        var steps = await GetStepsAsync(runId);
        Assert.Equal(["charge", "patch:audit", "audit", "ship"], steps.Select(s => s.Name));
        Assert.Equal((StepKind.Patch, StepStatus.Succeeded, "true"), (steps[1].Kind, steps[1].Status, steps[1].Output));

        var second = new PatchProbe();
        Assert.Equal("\"charged-o-1+audited\"", await ResumeAsync(PatchingV2.Definition, runId, second));
        Assert.True(second.Took);
        Assert.Equal((0, 0, 1), (second.Charges, second.Audits, second.Ships)); // replayed; only the cut-short ship again
        Assert.Equal(["charge", "patch:audit", "audit", "ship"], (await GetStepsAsync(runId)).Select(s => s.Name));
    }

    [Fact]
    public async Task A_run_recorded_before_the_patch_takes_the_old_branch_under_the_new_code_and_journals_no_patch()
    {
        var old = new PatchProbe();
        var runId = await RecordUntilShipAsync(PatchingV1.Definition, async e => (await e.StartAsync(PatchingV1.Definition, "o-2")).RunId, old);
        var before = await GetStepsAsync(runId);

        var probe = new PatchProbe();
        Assert.Equal("\"charged-o-2\"", await ResumeAsync(PatchingV2.Definition, runId, probe));
        Assert.False(probe.Took);
        Assert.Equal((0, 0, 1), (probe.Charges, probe.Audits, probe.Ships));
        var after = await GetStepsAsync(runId);
        Assert.Equal(["charge", "ship"], after.Select(s => s.Name));
        Assert.Equal(before[0], after[0]); // the recorded charge is as version 1 wrote it
    }

    [Fact]
    public async Task Once_the_old_branch_is_removed_a_run_that_took_the_patch_replays_under_the_code_that_keeps_the_call()
    {
        var first = new PatchProbe();
        var runId = await RecordUntilShipAsync(PatchingV2.Definition, async e => (await e.StartAsync(PatchingV2.Definition, "o-3")).RunId, first);

        var probe = new PatchProbe();
        Assert.Equal("\"charged-o-3+audited\"", await ResumeAsync(PatchingV3.Definition, runId, probe));
        Assert.True(probe.Took);
        Assert.Equal((0, 0, 1), (probe.Charges, probe.Audits, probe.Ships));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad\u0001id")]
    public async Task A_change_id_that_is_empty_or_has_control_characters_fails_the_run_naming_the_rule(string changeId)
    {
        var engine = await EngineAsync(definitions: [PatchingBadId.Definition]);
        var handle = await engine.StartAsync(PatchingBadId.Definition, changeId);
        var failed = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => handle.GetResultAsync().WaitAsync(Guard));
        Assert.Contains("changeId", failed.Message, StringComparison.Ordinal);
        Assert.Empty(await GetStepsAsync(handle.RunId));
    }
}

public sealed class InMemoryPatchTests : PatchTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqlitePatchTests : PatchTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlPatchTests : PatchTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
