using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Sqlite;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.BadInput;

/// <summary>
/// A journal whose payloads cannot be read back (forged through the store API, so on every store): the run is parked with
/// the cause naming the run and the step, and the recorded entries are left exactly as they were. A step's recorded input
/// is read only where the replay needs it (a waiting sleep's wake-up time); elsewhere a corrupt one stops nothing.
/// </summary>
public abstract class JournalCorruptionTests : BadInputTestBase
{
    [Theory]
    [InlineData("{not json")]
    [InlineData("\"twenty\"")]
    [InlineData("")]
    public async Task A_corrupt_step_output_parks_the_run_naming_the_run_the_step_and_the_payload(string output)
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21", RunStatus.Running);
        await InsertAsync(RecordedStep(run, 1, "double", output));
        var before = await ReadJournalAsync();

        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);
        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<JournalPayloadException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Equal((run.Id, 1, "double"), (cause.RunId, cause.Sequence, cause.StepName));
        Assert.Contains(run.Id.ToString(), cause.Message);
        Assert.Contains("step 1 'double'", cause.Message);
        Assert.Equal(output, Assert.IsType<WorkflowSerializationException>(cause.InnerException).Payload);
        Assert.Equal(0, probe.Calls("double")); // the body did not run in place of the unreadable record
        await AssertJournalUnchangedButParkedAsync(before, run.Id);
    }

    [Fact]
    public async Task A_corrupt_run_input_parks_the_run_naming_the_run_and_its_input()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "{\"not\":\"an int\"}");
        var before = await ReadJournalAsync();

        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);
        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<JournalPayloadException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Equal((run.Id, 0), (cause.RunId, cause.Sequence));
        Assert.Contains($"input of run {run.Id}", cause.Message);
        Assert.Contains("{\"not\":\"an int\"}", cause.Message);
        Assert.Empty(probe.AllCalls);
        await AssertJournalUnchangedButParkedAsync(before, run.Id);
    }

    [Fact]
    public async Task A_corrupt_input_of_a_recorded_step_is_not_read_by_the_replay_the_run_completes_and_the_input_stays_as_recorded()
    {
        // A step's input comes from the code on every replay; the recorded one is for people and tools, so it cannot stop a run.
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21", RunStatus.Running);
        await InsertAsync(RecordedStep(run, 1, "double", "42") with { Input = "{not json" });
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);

        var handle = await engine.ResumeAsync(DoublingWorkflow.Definition, run.Id);

        Assert.Equal(42, await handle.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(0, probe.Calls("double"));
        Assert.Equal(("{not json", "42"), (Assert.Single(await GetStepsAsync(run.Id)).Input, Assert.Single(await GetStepsAsync(run.Id)).Output));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"wakeAt\":\"not a time\"}")]
    [InlineData("{\"other\":1}")]
    public async Task A_corrupt_wake_up_time_of_a_waiting_sleep_parks_the_run_naming_the_run_and_the_sleep_entry(string input)
    {
        // The one step input the replay reads: a suspended sleep's wake-up time.
        var run = await CreateRunAsync(SleepingWorkflow.Definition, "60000", RunStatus.Running);
        await InsertAsync(
            RecordedStep(run, 1, "before", "\"before@earlier\""),
            RecordedStep(run, 2, "sleep", null, StepStatus.Running, kind: StepKind.Sleep) with { Input = input, CompletedAt = null });
        var before = await ReadJournalAsync();
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [SleepingWorkflow.Definition]);

        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<JournalPayloadException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Equal((run.Id, 2, "sleep"), (cause.RunId, cause.Sequence, cause.StepName));
        Assert.Contains($"step 2 'sleep' of run {run.Id}", cause.Message);
        Assert.Equal((0, 0), (probe.Calls("before"), probe.Calls("after")));
        await AssertJournalUnchangedButParkedAsync(before, run.Id);
    }
}

public sealed class InMemoryJournalCorruptionTests : JournalCorruptionTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();

    [Fact]
    public async Task A_record_with_a_status_outside_its_enum_is_refused_at_write_naming_the_value_as_the_SQL_stores_do()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21", RunStatus.Running);
        var before = await ReadJournalAsync();
        var status = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => InsertAsync(RecordedStep(run, 1, "double", "42", (StepStatus)99)));
        Assert.Contains("99 is not a defined StepStatus", status.Message);
        await AssertJournalUnchangedAsync(before);
    }
}

public sealed class SqliteJournalCorruptionTests : JournalCorruptionTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlJournalCorruptionTests : JournalCorruptionTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}

/// <summary>
/// Rows no store writes, forged in the database itself (an unknown status, a malformed error, an unreadable time): the
/// store's read raises <see cref="JournalCorruptException"/> naming the table, the row and the column; an engine that
/// meets one parks the run (or refuses the call) and writes nothing to the unreadable rows.
/// </summary>
public abstract class SqlJournalCorruptionTests : BadInputTestBase
{
    protected abstract RawJournal Raw { get; }

    /// <summary>How this database names itself in errors: the SQLite file's path, the PostgreSQL schema.</summary>
    protected abstract string DatabaseName { get; }

    /// <summary>Records a migration this version of the store does not know, as a later version of the package would have.</summary>
    protected abstract Task RecordFutureMigrationAsync(int version);

    [Fact]
    public async Task A_journal_at_a_newer_store_schema_version_is_refused_at_open_naming_the_database_and_both_versions_and_nothing_is_migrated()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21");
        await RecordFutureMigrationAsync(999);
        var before = await RowsAsync();
        var migrations = await Raw.RowsAsync("workflow_migrations");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EngineAsync(definitions: [DoublingWorkflow.Definition]));

        Assert.Contains(DatabaseName, error.Message);
        Assert.Contains("schema version 999, newer than this version", error.Message);
        Assert.Contains("Upgrade the package", error.Message);
        Assert.Equal(before, await RowsAsync());
        Assert.Equal(migrations, await Raw.RowsAsync("workflow_migrations"));
        Assert.Equal(RunStatus.Pending, (await GetRunAsync(run.Id)).Status);
    }

    /// <summary>Every run row, then every step row, as text.</summary>
    private async Task<IReadOnlyList<string>> RowsAsync() =>
        [.. await Raw.RowsAsync("workflow_runs"), .. await Raw.RowsAsync("workflow_steps")];

    [Fact]
    public async Task A_record_with_a_status_or_kind_outside_its_enum_is_refused_at_write_naming_the_value_and_nothing_is_written()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21", RunStatus.Running);
        var before = await ReadJournalAsync();

        var status = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => InsertAsync(RecordedStep(run, 1, "double", "42", (StepStatus)99)));
        var kind = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => InsertAsync(RecordedStep(run, 1, "double", "42", kind: (StepKind)77)));
        var runStatus = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => CreateRunAsync(DoublingWorkflow.Definition, "1", (RunStatus)55));

        Assert.Contains("99 is not a defined StepStatus", status.Message);
        Assert.Contains("77 is not a defined StepKind", kind.Message);
        Assert.Contains("55 is not a defined RunStatus", runStatus.Message);
        await AssertJournalUnchangedAsync(before);
    }

    [Theory]
    [InlineData("status", "'Bogus'")]
    [InlineData("kind", "'Teleport'")]
    [InlineData("error", "'{not json'")]
    public async Task A_corrupt_step_row_parks_the_run_with_an_error_naming_the_table_the_row_and_the_column_and_leaves_the_rows_as_they_were(
        string column, string value)
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21", RunStatus.Running);
        var step = RecordedStep(run, 1, "double", "42");
        await InsertAsync(step);
        await Raw.ExecuteAsync($"UPDATE workflow_steps SET {column} = {value} WHERE id = @id", ("id", Raw.Id(step.Id)));
        var steps = await Raw.RowsAsync("workflow_steps");

        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);
        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<JournalCorruptException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Contains("workflow_steps", cause.Message);
        Assert.Contains(step.Id.ToString("D"), cause.Message);
        Assert.Contains($"'{column}'", cause.Message);
        Assert.Contains($"'{column}'", (await GetRunAsync(run.Id)).Error!.Message); // the parked record says it too
        Assert.Equal(0, probe.Calls("double"));
        Assert.Equal(steps, await Raw.RowsAsync("workflow_steps"));
        var stored = await AssertParkedRecordAsync(run.Id, ErrorKind.Serialization);
        Assert.Equal((run.Input, run.SchemaVersion), (stored.Input, stored.SchemaVersion));
    }

    [Theory]
    [InlineData("status", "'Bogus'")]
    [InlineData("error", "'{\"kind\":\"Exploded\",\"message\":\"x\"}'")]
    public async Task A_corrupt_run_row_makes_resume_and_reads_fail_naming_the_table_the_run_and_the_column_and_nothing_is_written(
        string column, string value)
    {
        // Ended, so no scheduler claims it (a claimed row that cannot be read is parked: the test below).
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21", RunStatus.Succeeded);
        var other = await CreateRunAsync(DoublingWorkflow.Definition, "4", RunStatus.Succeeded);
        await Raw.ExecuteAsync($"UPDATE workflow_runs SET {column} = {value} WHERE id = @id", ("id", Raw.Id(run.Id)));
        var before = await RowsAsync();

        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);
        var resume = await Assert.ThrowsAsync<JournalCorruptException>(() => engine.ResumeAsync(run.Id));
        var timeline = await Assert.ThrowsAsync<JournalCorruptException>(() => engine.GetTimelineAsync(run.Id));

        foreach (var error in new[] { resume, timeline })
        {
            Assert.Contains("workflow_runs", error.Message);
            Assert.Contains(run.Id.ToString("D"), error.Message);
            Assert.Contains($"'{column}'", error.Message);
        }
        Assert.Empty(probe.AllCalls);
        Assert.Equal(before, await RowsAsync());
        Assert.Equal(other, await GetRunAsync(other.Id)); // the readable run is readable still
    }

    [Fact]
    public async Task A_pending_run_whose_row_cannot_be_read_is_parked_by_the_scheduler_naming_the_column_and_other_runs_go_on()
    {
        var broken = await CreateRunAsync(DoublingWorkflow.Definition, "21");
        await Raw.ExecuteAsync("UPDATE workflow_runs SET error = '{not json' WHERE id = @id", ("id", Raw.Id(broken.Id)));
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);
        Assert.Equal(10, await engine.RunAsync(DoublingWorkflow.Definition, 5).WaitAsync(Guard));

        // Claimed rows that cannot be read are parked (JournalRows.ReadClaimed): found by a raw read, since the store cannot read it.
        async Task<string> RowAsync() => (await Raw.RowsAsync("workflow_runs")).Single(r => r.StartsWith($"id={broken.Id:D}|", StringComparison.Ordinal));
        await WaitUntilAsync(async () => (await RowAsync()).Contains("|status=Parked|"), $"the unreadable run {broken.Id} to be parked");
        var row = await RowAsync();
        Assert.Contains("'error'", row); // the parking error names the column that could not be read
        Assert.Contains("workflow_runs", row);
        Assert.Equal(0, probe.Calls("double:21"));
        Assert.DoesNotContain(await Raw.RowsAsync("workflow_steps"), r => r.Contains($"run_id={broken.Id:D}|", StringComparison.Ordinal));
    }
}

public sealed class SqliteSqlJournalCorruptionTests : SqlJournalCorruptionTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();

    protected override RawJournal Raw => new RawSqliteJournal(DatabaseName);

    protected override string DatabaseName => ((SqliteWorkflowStore)Store).DataSource;

    protected override Task RecordFutureMigrationAsync(int version) =>
        Raw.ExecuteAsync("INSERT INTO workflow_migrations (version, name, applied_at) VALUES (@v, 'from-the-future', '2030-01-01T00:00:00.0000000+00:00')", ("v", version));
}

public sealed class PostgreSqlSqlJournalCorruptionTests : SqlJournalCorruptionTests
{
    private PostgreSqlJournal? _journal;

    protected override IJournalHarness CreateHarness() => _journal = new PostgreSqlJournal();

    protected override RawJournal Raw => new RawPostgreSqlJournal(_journal!.ConnectionString, _journal.Schema);

    protected override string DatabaseName => _journal!.Schema;

    protected override Task RecordFutureMigrationAsync(int version) =>
        Raw.ExecuteAsync("INSERT INTO workflow_migrations (version, name) VALUES (@v, 'from-the-future')", ("v", version));
}
