using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Sqlite.Tests;

/// <summary>What only the SQLite file shows of the durable primitives: migration 4, its columns and indexes, corrupt values.</summary>
public sealed partial class SqliteWorkflowStoreTests
{
    /// <summary>What migration 4 adds: the wake-up request, the events' idempotency key (unique per run), the attempt history.</summary>
    private static void AssertDurablePrimitivesSchema(Func<string, (string Name, object Value)[], object?> scalar)
    {
        Assert.Equal(1L, scalar("SELECT count(*) FROM pragma_table_info('workflow_runs') WHERE name = 'wake_requested_at'", []));
        Assert.Equal(1L, scalar("SELECT count(*) FROM pragma_table_info('workflow_events') WHERE name = 'idempotency_key'", []));
        Assert.Equal(1L, scalar("SELECT count(*) FROM pragma_table_info('workflow_steps') WHERE name = 'attempt_history'", []));
        var unique = (string)scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'ux_workflow_events_idempotency'", [])!;
        Assert.Contains("UNIQUE", unique);
        Assert.Contains("(run_id, idempotency_key)", unique);
        Assert.Contains("idempotency_key IS NOT NULL", unique);
        foreach (var index in new[] { "ix_workflow_events_run", "ix_workflow_runs_wake_requested" })
        {
            Assert.Equal(1L, scalar($"SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '{index}'", []));
        }
    }

    [Fact]
    public async Task A_version_6_database_gets_a_claim_history_that_starts_with_the_claims_held_at_the_migration()
    {
        var path = Path.Combine(_directory, "version-6.db");
        var held = Guid.CreateVersion7();
        var free = Guid.CreateVersion7();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            var migrations = string.Concat(SqliteSchema.Migrations.Skip(1).Take(5).Select(m => m.Sql + $"""
                INSERT INTO workflow_migrations (version, name, applied_at) VALUES ({m.Version}, '{m.Name.Replace("'", "''", StringComparison.Ordinal)}', '2025-01-02T03:04:05.0000000+00:00');
                """));
            command.CommandText = Version1Schema + migrations + $"""
                INSERT INTO workflow_runs (id, tenant_id, workflow, schema_version, status, created_at, updated_at, owner, lease_expires_at)
                VALUES ('{held:D}', '{Tenant}', 'orders', 'schema-1', 'Running', '2025-01-01T00:00:00.0000000+00:00', '2025-01-01T00:00:00.0000000+00:00',
                    'engine-a', '2999-01-01T00:00:00.0000000+00:00');
                INSERT INTO workflow_runs (id, tenant_id, workflow, schema_version, status, created_at, updated_at)
                VALUES ('{free:D}', '{Tenant}', 'orders', 'schema-1', 'Pending', '2025-01-01T00:00:00.0000000+00:00', '2025-01-01T00:00:00.0000000+00:00');
                """;
            command.ExecuteNonQuery();
        }

        await using var store = OpenAnother(path);
        await store.InitializeAsync();

        var claim = Assert.Single(await store.GetClaimsAsync(Tenant, held));
        Assert.Equal((1, "engine-a", (ClaimEnd?)null), (claim.Number, claim.Owner, claim.End));
        Assert.Equal(new DateTimeOffset(2999, 1, 1, 0, 0, 0, TimeSpan.Zero), claim.LeaseExpiresAt);
        Assert.Empty(await store.GetClaimsAsync(Tenant, free));

        // From then on the triggers keep it: the release ends the claim the migration opened.
        await store.CommitAsync([JournalWrite.RequireClaim(held, Tenant, "engine-a"), JournalWrite.ReleaseClaim(held, Tenant, "engine-a")]);
        Assert.Equal(ClaimEnd.Released, Assert.Single(await store.GetClaimsAsync(Tenant, held)).End);
    }

    [Fact]
    public async Task A_version_3_database_is_migrated_to_version_4_and_its_rows_live_under_the_new_contract()
    {
        var path = Path.Combine(_directory, "version-3.db");
        var waitingId = Guid.CreateVersion7();
        var stepId = Guid.CreateVersion7();
        var eventId = Guid.CreateVersion7();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // Migration 1 as it shipped, then 2 and 3 as the store has them (their own test pins 1 -> 2).
            command.CommandText = Version1Schema + SqliteSchema.Migrations[1].Sql + SqliteSchema.Migrations[2].Sql + $"""
                INSERT INTO workflow_migrations (version, name, applied_at) VALUES (2, '{SqliteSchema.Migrations[1].Name}', '2025-01-02T03:04:05.0000000+00:00');
                INSERT INTO workflow_migrations (version, name, applied_at) VALUES (3, '{SqliteSchema.Migrations[2].Name}', '2025-01-02T03:04:05.0000000+00:00');
                INSERT INTO workflow_runs (id, tenant_id, workflow, schema_version, status, created_at, updated_at, wake_at, waiting_for)
                VALUES ('{waitingId:D}', '{Tenant}', 'orders', 'schema-1', 'Waiting', '2025-01-01T00:00:00.0000000+00:00', '2025-01-01T00:00:00.0000000+00:00',
                    '2999-01-01T00:00:00.0000000+00:00', 'event:1');
                INSERT INTO workflow_steps (id, run_id, tenant_id, sequence, position, name, kind, status, attempt, created_at, updated_at, failed_attempts)
                VALUES ('{stepId:D}', '{waitingId:D}', '{Tenant}', 1, 1, 'charge', 'Step', 'Failed', 3, '2025-01-01T00:00:00.0000000+00:00', '2025-01-01T00:00:00.0000000+00:00', 3);
                INSERT INTO workflow_events (id, run_id, tenant_id, name, payload, created_at)
                VALUES ('{eventId:D}', '{waitingId:D}', '{Tenant}', 'scan', '1', '2025-01-01T00:00:01.0000000+00:00');
                """;
            command.ExecuteNonQuery();
        }

        var store = OpenAnother(path);
        await store.InitializeAsync();

        object? ScalarOf(string sql, (string Name, object Value)[] parameters)
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
            return command.ExecuteScalar();
        }
        Assert.Equal(8L, ScalarOf("SELECT max(version) FROM workflow_migrations", [])); // 4, then 5 (trace context), 6 (queues), 7 (claim history), 8 (snapshots)
        Assert.Equal(1L, ScalarOf("SELECT count(*) FROM workflow_migrations WHERE version = 4", []));
        Assert.Equal("2025-01-02T03:04:05.0000000+00:00", ScalarOf("SELECT applied_at FROM workflow_migrations WHERE version = 3", [])); // not re-applied
        AssertExecutionCoreSchema(ScalarOf);
        AssertDurablePrimitivesSchema(ScalarOf);

        // The old rows read with the new fields empty: no wake-up request, no attempt history, an event without key.
        var waiting = await store.GetRunAsync(Tenant, waitingId);
        Assert.Equal((RunStatus.Waiting, "event:1", (DateTimeOffset?)null), (waiting!.Status, waiting.WaitingFor, waiting.WakeRequestedAt));
        var step = Assert.Single(await store.GetStepsAsync(Tenant, waitingId));
        Assert.Equal((stepId, StepStatus.Failed, 3), (step.Id, step.Status, step.FailedAttempts));
        Assert.Null(step.AttemptHistory);
        var old = Assert.Single(await store.GetEventsAsync(new EventQuery(Tenant, waitingId)));
        Assert.Equal((eventId, "scan", "1", (string?)null, (DateTimeOffset?)null), (old.Id, old.Name, old.Payload, old.IdempotencyKey, old.ConsumedAt));
        Assert.Empty(await store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 10, "orders")));

        // New events with keys are delivered, after the old one, and wake the old waiting run.
        var keyed = new EventRecord { Id = Guid.CreateVersion7(), RunId = waitingId, TenantId = Tenant, Name = "scan", Payload = "2", IdempotencyKey = "k", CreatedAt = T0 };
        Assert.Equal(SendEventOutcome.Delivered, (await store.SendEventAsync(keyed)).Outcome);
        Assert.Equal(SendEventOutcome.Duplicate, (await store.SendEventAsync(keyed with { Id = Guid.CreateVersion7() })).Outcome);
        Assert.Equal([eventId, keyed.Id], (await store.GetEventsAsync(new EventQuery(Tenant, waitingId))).Select(e => e.Id));
        Assert.Equal(DateTimeOffset.MinValue, await store.GetNextDueAsync(["orders"], Now));
        var claimed = Assert.Single(await store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 10, "orders")));
        Assert.Equal((waitingId, (DateTimeOffset?)null), (claimed.Id, claimed.WakeRequestedAt));
        Assert.Equal(DBNull.Value, ScalarOf("SELECT wake_requested_at FROM workflow_runs WHERE id = $id", [("$id", waitingId.ToString("D"))]));
    }

    [Fact]
    public async Task The_idempotency_key_of_events_is_unique_per_run_in_the_file_itself()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var other = await CreateAsync(NewRun(RunStatus.Running));
        await Store.SendEventAsync(NewEvent(run, key: "k"));
        await Store.SendEventAsync(NewEvent(other, key: "k"));
        await Store.SendEventAsync(NewEvent(run));
        await Store.SendEventAsync(NewEvent(run));

        var error = Assert.Throws<SqliteException>(() => Execute(
            "INSERT INTO workflow_events (id, run_id, tenant_id, name, created_at, idempotency_key) VALUES ($id, $run, $tenant, 'scan', '2025-01-01T00:00:00.0000000+00:00', 'k')",
            ("$id", Guid.CreateVersion7().ToString("D")), ("$run", run.Id.ToString("D")), ("$tenant", Tenant)));

        Assert.Equal(SQLitePCL.raw.SQLITE_CONSTRAINT, error.SqliteErrorCode);
        Assert.Equal(4L, Scalar("SELECT count(*) FROM workflow_events"));
    }

    [Fact]
    public async Task A_wake_request_is_stored_in_utc_and_an_update_does_not_write_it()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var ev = NewEvent(run, at: new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.FromHours(2)));
        await Store.SendEventAsync(ev);

        await CommitAsync(JournalWrite.Update(run with { Status = RunStatus.Waiting, WakeRequestedAt = null }));

        Assert.Equal("2025-06-01T10:00:00.0000000+00:00", Scalar("SELECT wake_requested_at FROM workflow_runs WHERE id = $id", ("$id", run.Id.ToString("D"))));
    }

    [Theory]
    [InlineData("'{not json'")]
    [InlineData("'{}'")]
    [InlineData("'[{\"error\":{\"kind\":\"StepFailed\",\"message\":\"x\"}}]'")] // no attempt number
    [InlineData("'[{\"attempt\":1}]'")] // no error
    [InlineData("'[{\"attempt\":1,\"error\":{\"kind\":\"Exploded\",\"message\":\"x\"}}]'")]
    [InlineData("'[{\"attempt\":1,\"error\":{\"kind\":\"StepFailed\",\"message\":\"x\"},\"startedAt\":\"yesterday\"}]'")]
    [InlineData("'null'")]
    public async Task A_corrupt_attempt_history_names_the_run_the_step_sequence_and_the_column(string value)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 3) with { AttemptHistory = [new StepAttempt(1, new ErrorInfo(ErrorKind.StepFailed, "x"), null, null)] };
        await CommitAsync(JournalWrite.Insert(step));
        Execute($"UPDATE workflow_steps SET attempt_history = {value} WHERE id = $id", ("$id", step.Id.ToString("D")));

        var error = await Assert.ThrowsAsync<JournalCorruptException>(() => Store.GetStepsAsync(Tenant, run.Id).AsTask());

        Assert.Contains("workflow_steps", error.Message);
        Assert.Contains("'attempt_history'", error.Message);
        Assert.Contains(run.Id.ToString("D"), error.Message);
        Assert.Contains("step 3", error.Message);
    }

    [Fact]
    public async Task A_corrupt_event_row_names_the_table_row_and_column()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var ev = NewEvent(run);
        await Store.SendEventAsync(ev);
        Execute("UPDATE workflow_events SET created_at = 'yesterday' WHERE id = $id", ("$id", ev.Id.ToString("D")));

        var error = await Assert.ThrowsAsync<JournalCorruptException>(() => Store.GetEventsAsync(new EventQuery(Tenant, run.Id)).AsTask());

        Assert.Contains("workflow_events", error.Message);
        Assert.Contains(ev.Id.ToString("D"), error.Message);
        Assert.Contains("'created_at'", error.Message);
    }
}
