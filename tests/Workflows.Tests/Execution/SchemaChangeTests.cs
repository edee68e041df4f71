using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Evolution;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>A run recorded under another schema is parked with an error that says which step or type changed, and where.</summary>
public abstract class SchemaChangeTests : ExecutionTestBase
{
    [Fact]
    public async Task A_schema_mismatch_names_the_step_whose_type_changed_and_the_member_from_the_kept_shapes()
    {
        // Another build recorded the run, and kept its shape; this build's "fragile" result type renamed a member.
        // The generator's line format: one line per signature, run type and step; a step name may hold spaces.
        const string recordedShape = "workflow:exec-interruptible\nrun:input string\nrun:output string\n" +
            "step:fragile Step(string)->string in:string out:object(R{\"name\"!:string;\"total\"!:decimal;})\n" +
            "step:pack it Step(string)->string in:string out:string\n";
        const string currentShape = "workflow:exec-interruptible\nrun:input string\nrun:output string\n" +
            "step:fragile Step(string)->string in:string out:object(R{\"name\"!:string;\"amount\"!:decimal;})\n" +
            "step:pack it Step(string)->string in:string out:string\n";
        var current = InterruptibleWorkflow.Definition.WithSchema("v-now", currentShape);
        await Store.SaveSchemaAsync(new SchemaRecord(current.Name, "v-then", recordedShape, DateTimeOffset.UtcNow));
        var run = await CreateRunAsync(current, "\"parcel\"", RunStatus.Pending, schemaVersion: "v-then");

        var engine = await EngineAsync(new ExecutionProbe(), [current]);
        var handle = await engine.ResumeAsync(run.Id);
        var parked = await Assert.ThrowsAsync<WorkflowRunParkedException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.SchemaMismatch, parked.Error.Kind);
        var mismatch = Assert.IsType<SchemaMismatchException>(parked.InnerException);
        Assert.Contains("step:fragile changed", mismatch.Message);
        Assert.Contains("\"total\"!:decimal", mismatch.Message);
        Assert.Contains("\"amount\"!:decimal", mismatch.Message);
        Assert.DoesNotContain("run:input", mismatch.Message);
        Assert.DoesNotContain("step:pack it", mismatch.Message); // a step whose name holds a space, unchanged
        Assert.Equal(("v-then", "v-now"), (mismatch.RecordedVersion, mismatch.CurrentVersion));
    }

    /// <summary>
    /// Version 1 of "evolving" charges (recording a Receipt) and holds in "ship"; the engine stops, as a deploy does. The
    /// run is left Running with "charge" recorded and "ship" cut short, and the journal keeps version 1's shape.
    /// </summary>
    private async Task<(RunRecord Run, IReadOnlyList<StepRecord> Steps)> RecordUnderVersion1Async()
    {
        var probe = new EvolutionProbe { HoldShip = true };
        var engine = await EngineAsync(services: [probe], definitions: [EvolvingV1.Definition]);
        var handle = await engine.StartAsync(EvolvingV1.Definition, "o-1");
        await probe.ShipEntered.Task.WaitAsync(Guard);
        await StopAsync(engine);
        var run = await GetRunAsync(handle.RunId);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal(EvolvingV1.Definition.SchemaVersion, run.SchemaVersion);
        var steps = await GetStepsAsync(run.Id);
        Assert.Equal(["charge", "ship"], steps.Select(s => s.Name));
        Assert.Equal("{\"id\":\"r-o-1\",\"amount\":12.5}", steps[0].Output);
        return (run, steps);
    }

    private async Task<WorkflowEngine> Version2EngineAsync(WorkflowDefinition definition, EvolutionProbe probe, SchemaChangePolicy policy) =>
        await EngineAsync(services: [probe], definitions: [definition], schemaChanges: policy);

    [Fact]
    public async Task An_added_optional_member_is_a_compatible_change_that_an_AcceptCompatible_engine_resumes_without_rerunning_steps()
    {
        var (recorded, before) = await RecordUnderVersion1Async();
        Assert.NotEqual(EvolvingV1.Definition.SchemaVersion, EvolvingWithNote.Definition.SchemaVersion);
        var probe = new EvolutionProbe();
        var engine = await Version2EngineAsync(EvolvingWithNote.Definition, probe, SchemaChangePolicy.AcceptCompatible);

        var handle = await engine.ResumeAsync(recorded.Id);
        await handle.Completion.WaitAsync(Guard);
        Assert.Equal("\"r-o-1:12.5:no note\"", (await GetRunAsync(handle.RunId)).Output);

        Assert.Equal((0, 1), (probe.Charges, probe.Ships)); // the recorded charge replayed; the cut-short ship ran again
        var done = await GetRunAsync(recorded.Id);
        Assert.Equal(RunStatus.Succeeded, done.Status);
        Assert.Equal(EvolvingWithNote.Definition.SchemaVersion, done.SchemaVersion);
        Assert.Equal(before[0], (await GetStepsAsync(recorded.Id))[0]); // the recorded receipt is as version 1 wrote it
    }

    [Fact]
    public async Task A_removed_member_is_a_compatible_change_that_an_AcceptCompatible_engine_resumes()
    {
        var (recorded, before) = await RecordUnderVersion1Async();
        var probe = new EvolutionProbe();
        var engine = await Version2EngineAsync(EvolvingWithoutAmount.Definition, probe, SchemaChangePolicy.AcceptCompatible);

        var handle = await engine.ResumeAsync(recorded.Id);
        await handle.Completion.WaitAsync(Guard);
        Assert.Equal("\"r-o-1\"", (await GetRunAsync(handle.RunId)).Output);
        Assert.Equal(0, probe.Charges);
        Assert.Equal(EvolvingWithoutAmount.Definition.SchemaVersion, (await GetRunAsync(recorded.Id)).SchemaVersion);
        Assert.Equal(before[0], (await GetStepsAsync(recorded.Id))[0]);
    }

    [Fact]
    public async Task An_engine_that_requires_the_same_version_parks_a_compatible_change_and_says_it_is_compatible()
    {
        var (recorded, before) = await RecordUnderVersion1Async();
        var probe = new EvolutionProbe();
        var engine = await Version2EngineAsync(EvolvingWithNote.Definition, probe, SchemaChangePolicy.Exact);

        var (_, mismatch) = await AssertParkedAsync<SchemaMismatchException>(async () => await (await engine.ResumeAsync(recorded.Id)).Completion.WaitAsync(Guard));
        Assert.Empty(mismatch.IncompatibleChanges);
        Assert.Contains("step:charge changed", mismatch.Message);
        Assert.Contains("Every change is compatible", mismatch.Message);
        Assert.Contains("SchemaChangePolicy.AcceptCompatible", mismatch.Message);
        var parked = await AssertParkedRecordAsync(recorded.Id, ErrorKind.SchemaMismatch);
        Assert.Equal(EvolvingV1.Definition.SchemaVersion, parked.SchemaVersion);
        Assert.Equal(before, await GetStepsAsync(recorded.Id));
        Assert.Equal((0, 0), (probe.Charges, probe.Ships));
    }

    [Theory]
    [InlineData("currency", "step:charge out $.currency: a required member was added")]
    [InlineData("total", "step:charge out $.total: a required member was added")]
    public async Task An_added_required_member_or_a_renamed_one_is_not_compatible_and_parks_the_run_naming_the_step_and_member(string variant, string expected)
    {
        var (recorded, before) = await RecordUnderVersion1Async();
        var probe = new EvolutionProbe();
        var definition = variant == "currency" ? (WorkflowDefinition)EvolvingWithCurrency.Definition : EvolvingWithTotal.Definition;
        var engine = await Version2EngineAsync(definition, probe, SchemaChangePolicy.AcceptCompatible);

        var (_, mismatch) = await AssertParkedAsync<SchemaMismatchException>(async () => await (await engine.ResumeAsync(recorded.Id)).Completion.WaitAsync(Guard));
        Assert.Equal([expected], mismatch.IncompatibleChanges);
        Assert.Contains("Not compatible: " + expected, mismatch.Message);
        var parked = await AssertParkedRecordAsync(recorded.Id, ErrorKind.SchemaMismatch);
        Assert.Equal(EvolvingV1.Definition.SchemaVersion, parked.SchemaVersion);
        Assert.Equal(before, await GetStepsAsync(recorded.Id));
        Assert.Equal((0, 0), (probe.Charges, probe.Ships));
    }

    [Fact]
    public async Task Accepting_a_change_that_the_replay_then_cannot_read_leaves_the_recorded_version_so_the_old_code_still_resumes_the_run()
    {
        var (recorded, before) = await RecordUnderVersion1Async();
        var probe = new EvolutionProbe();
        var engine = await Version2EngineAsync(EvolvingWithTotal.Definition, probe, SchemaChangePolicy.Exact);

        // Accepted by hand, but the recorded receipt has no "total": the replay cannot read it, and the run is parked.
        var handle = await engine.ResumeAsync(recorded.Id, acceptSchemaChange: true);
        var (_, unreadable) = await AssertParkedAsync<JournalPayloadException>(() => handle.Completion.WaitAsync(Guard));
        Assert.Contains("'charge'", unreadable.Message);
        Assert.Contains("ReceiptWithTotal.Total is missing", unreadable.Message);
        var parked = await AssertParkedRecordAsync(recorded.Id, ErrorKind.Serialization);
        Assert.Equal(EvolvingV1.Definition.SchemaVersion, parked.SchemaVersion); // not rewritten: the run never passed "charge"
        Assert.Equal(before[0], (await GetStepsAsync(recorded.Id))[0]);
        await StopAsync(engine);

        // Rolled back: version 1's code resumes it as it was recorded.
        var original = new EvolutionProbe();
        var rollback = await EngineAsync(services: [original], definitions: [EvolvingV1.Definition]);
        var resumed = await rollback.ResumeAsync(recorded.Id);
        await resumed.Completion.WaitAsync(Guard);
        Assert.Equal("\"r-o-1:12.5\"", (await GetRunAsync(resumed.RunId)).Output);
        Assert.Equal((0, 1), (original.Charges, original.Ships));
        Assert.Equal(EvolvingV1.Definition.SchemaVersion, (await GetRunAsync(recorded.Id)).SchemaVersion);
    }

    [Fact]
    public async Task An_accepted_change_is_recorded_with_the_first_commit_after_the_replay_passed_the_recorded_steps()
    {
        var (recorded, _) = await RecordUnderVersion1Async();
        var probe = new EvolutionProbe();
        var versions = new System.Collections.Concurrent.ConcurrentQueue<(int? Sequence, string Version)>();
        var engine = await EngineAsync(services: [probe], definitions: [EvolvingWithCurrency.Definition],
            onJournalCommitted: commit => { if (commit.Run is { } run) versions.Enqueue((commit.Steps.FirstOrDefault()?.Sequence, run.SchemaVersion)); });

        // Accepted by hand although not compatible: the recorded receipt lacks "currency", so the replay of "charge"
        // cannot read it; the version stays.
        var handle = await engine.ResumeAsync(recorded.Id, acceptSchemaChange: true);
        await AssertParkedAsync<JournalPayloadException>(() => handle.Completion.WaitAsync(Guard));
        Assert.All(versions, v => Assert.Equal(EvolvingV1.Definition.SchemaVersion, v.Version));
        Assert.Equal(EvolvingV1.Definition.SchemaVersion, (await GetRunAsync(recorded.Id)).SchemaVersion);

        // A compatible version accepted by hand: the first commit after the replay (the new attempt of "ship") carries it.
        await StopAsync(engine);
        versions.Clear();
        var compatible = await EngineAsync(services: [probe], definitions: [EvolvingWithNote.Definition],
            onJournalCommitted: commit => { if (commit.Run is { } run) versions.Enqueue((commit.Steps.FirstOrDefault()?.Sequence, run.SchemaVersion)); });
        await (await compatible.ResumeAsync(recorded.Id, acceptSchemaChange: true)).Completion.WaitAsync(Guard);
        var commits = versions.ToList();
        Assert.Equal(EvolvingV1.Definition.SchemaVersion, commits[0].Version); // the reopening, before any replay
        var first = commits.FindIndex(c => c.Version == EvolvingWithNote.Definition.SchemaVersion);
        Assert.True(first > 0, string.Join(", ", commits));
        Assert.Equal(2, commits[first].Sequence); // with the new attempt of "ship", after "charge" replayed
        Assert.All(commits.Skip(first), c => Assert.Equal(EvolvingWithNote.Definition.SchemaVersion, c.Version));
        Assert.Equal(EvolvingWithNote.Definition.SchemaVersion, (await GetRunAsync(recorded.Id)).SchemaVersion);
    }

    [Fact]
    public async Task Starting_a_run_keeps_its_definitions_shape_in_the_journal()
    {
        var current = InterruptibleWorkflow.Definition.WithSchema("v-kept", "step:fragile result{x!:int}");
        var engine = await EngineAsync(new ExecutionProbe(), [current]);
        await (await engine.StartAsync(current, "parcel")).GetResultAsync().WaitAsync(Guard);

        var kept = await Store.GetSchemaAsync(current.Name, "v-kept");
        Assert.Equal("step:fragile result{x!:int}", kept?.Shape);
    }
}

public sealed class InMemorySchemaChangeTests : SchemaChangeTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteSchemaChangeTests : SchemaChangeTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlSchemaChangeTests : SchemaChangeTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
