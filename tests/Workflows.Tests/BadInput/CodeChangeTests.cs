using Workflows.Journal;
using Workflows.Tests.BadInput.Booking;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.BadInput;

/// <summary>
/// The code changed between a crash and the resume: a step renamed, retyped, steps called in another order, or the run
/// recorded under another schema version. The run is parked with an error naming the run, the step or version, and the
/// recorded entries are unchanged (as is the recorded schema version), so the old code can still resume it.
/// </summary>
public abstract class CodeChangeTests : BadInputTestBase
{
    /// <summary>A run of <see cref="BookingV1"/> whose process died after "reserve" was recorded.</summary>
    private async Task<RunRecord> CrashedAfterReserveAsync()
    {
        var run = await CreateRunAsync(BookingV1.Definition, "\"lisbon\"", RunStatus.Running);
        await InsertAsync(RecordedStep(run, 1, "reserve", "\"seat-lisbon\""));
        return run;
    }

    [Fact]
    public void Versions_differ_where_the_code_changed_and_not_where_only_the_order_of_calls_did()
    {
        Assert.NotEqual(BookingV1.Definition.SchemaVersion, BookingRenamed.Definition.SchemaVersion);
        Assert.NotEqual(BookingV1.Definition.SchemaVersion, BookingRetyped.Definition.SchemaVersion);
        Assert.Equal(BookingV1.Definition.SchemaVersion, BookingReordered.Definition.SchemaVersion);
    }

    [Fact]
    public async Task A_renamed_step_parks_the_run_as_a_schema_mismatch_naming_the_recorded_step_and_both_versions()
    {
        var run = await CrashedAfterReserveAsync();
        var before = await ReadJournalAsync();
        var engine = await EngineAsync(definitions: [BookingRenamed.Definition]);

        var handle = await engine.ResumeAsync(run.Id);
        var (parked, mismatch) = await AssertParkedAsync<SchemaMismatchException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.SchemaMismatch, parked.Error.Kind);
        Assert.Equal(run.Id, mismatch.RunId);
        Assert.Equal((BookingV1.Definition.SchemaVersion, BookingRenamed.Definition.SchemaVersion), (mismatch.RecordedVersion, mismatch.CurrentVersion));
        Assert.Contains("'reserve'", mismatch.Message);
        Assert.Contains(BookingV1.Definition.SchemaVersion, mismatch.Message);
        await AssertJournalUnchangedButParkedAsync(before, run.Id);
    }

    [Fact]
    public async Task A_renamed_step_resumed_with_the_change_accepted_is_non_deterministic_naming_both_names_and_the_version_is_not_adopted()
    {
        var run = await CrashedAfterReserveAsync();
        var before = await ReadJournalAsync();
        var engine = await EngineAsync(definitions: [BookingRenamed.Definition]);

        var handle = await engine.ResumeAsync(run.Id, acceptSchemaChange: true);
        var (parked, cause) = await AssertParkedAsync<NonDeterminismException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.NonDeterminism, parked.Error.Kind);
        Assert.Equal((run.Id, 1, "reserve", "hold"), (cause.RunId, cause.Sequence, cause.RecordedName, cause.CurrentName));
        Assert.Contains("'reserve'", cause.Message);
        Assert.Contains("'hold'", cause.Message);
        await AssertJournalUnchangedButParkedAsync(before, run.Id); // the schema version too: the replay never passed "reserve"
    }

    [Fact]
    public async Task A_retyped_step_parks_the_run_as_a_schema_mismatch_and_accepted_it_cannot_read_the_recorded_output_naming_the_step()
    {
        var run = await CrashedAfterReserveAsync();
        var before = await ReadJournalAsync();
        var engine = await EngineAsync(definitions: [BookingRetyped.Definition]);

        var first = await engine.ResumeAsync(run.Id);
        var (_, mismatch) = await AssertParkedAsync<SchemaMismatchException>(() => first.Completion.WaitAsync(Guard));
        Assert.Equal(run.Id, mismatch.RunId);
        await AssertJournalUnchangedButParkedAsync(before, run.Id);

        var accepted = await engine.ResumeAsync(run.Id, acceptSchemaChange: true);
        var (parked, unreadable) = await AssertParkedAsync<JournalPayloadException>(() => accepted.Completion.WaitAsync(Guard));
        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Equal((run.Id, 1, "reserve"), (unreadable.RunId, unreadable.Sequence, unreadable.StepName));
        Assert.Contains("\"seat-lisbon\"", unreadable.Message); // the recorded text an int cannot be read from
        await AssertJournalUnchangedButParkedAsync(before, run.Id);
    }

    [Fact]
    public async Task Steps_called_in_another_order_are_non_deterministic_naming_both_steps_at_the_sequence()
    {
        var run = await CrashedAfterReserveAsync();
        var before = await ReadJournalAsync();
        var engine = await EngineAsync(definitions: [BookingReordered.Definition]);

        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<NonDeterminismException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.NonDeterminism, parked.Error.Kind);
        Assert.Equal((run.Id, 1, "reserve", "pay"), (cause.RunId, cause.Sequence, cause.RecordedName, cause.CurrentName));
        Assert.Contains($"Run {run.Id}", cause.Message);
        Assert.Contains("sequence 1", cause.Message);
        await AssertJournalUnchangedButParkedAsync(before, run.Id);
    }

    [Fact]
    public async Task A_run_recorded_under_another_schema_version_is_parked_naming_both_versions_and_its_version_is_kept()
    {
        const string recorded = "0123456789abcdef";
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21", schemaVersion: recorded);
        var before = await ReadJournalAsync();
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);

        var handle = await engine.ResumeAsync(run.Id);
        var (parked, mismatch) = await AssertParkedAsync<SchemaMismatchException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.SchemaMismatch, parked.Error.Kind);
        Assert.Equal((run.Id, recorded, DoublingWorkflow.Definition.SchemaVersion), (mismatch.RunId, mismatch.RecordedVersion, mismatch.CurrentVersion));
        Assert.Contains(recorded, mismatch.Message);
        Assert.Contains(DoublingWorkflow.Definition.SchemaVersion, mismatch.Message);
        Assert.Contains(run.Id.ToString(), mismatch.Message);
        Assert.Empty(probe.AllCalls);
        await AssertJournalUnchangedButParkedAsync(before, run.Id);
    }

    [Fact]
    public async Task The_old_code_resumes_a_run_that_a_changed_deploy_parked()
    {
        // The point of leaving the journal unchanged: rolled back, the run completes as recorded.
        var run = await CrashedAfterReserveAsync();
        var broken = await EngineAsync(definitions: [BookingRenamed.Definition]);
        var parked = await broken.ResumeAsync(run.Id, acceptSchemaChange: true);
        await AssertParkedAsync<NonDeterminismException>(() => parked.Completion.WaitAsync(Guard));
        await StopAsync(broken);

        var original = await EngineAsync(definitions: [BookingV1.Definition]);
        var resumed = await original.ResumeAsync(BookingV1.Definition, run.Id);
        Assert.Equal("paid-seat-lisbon", await resumed.GetResultAsync().WaitAsync(Guard));
    }
}

public sealed class InMemoryCodeChangeTests : CodeChangeTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteCodeChangeTests : CodeChangeTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlCodeChangeTests : CodeChangeTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
