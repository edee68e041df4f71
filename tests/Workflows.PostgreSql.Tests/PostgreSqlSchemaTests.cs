using Microsoft.Data.Sqlite;
using Npgsql;
using Workflows.Sqlite;

namespace Workflows.PostgreSql.Tests;

public sealed class PostgreSqlSchemaTests : PostgresTestDatabase
{
    private static readonly string[] Tables =
        ["workflow_claims", "workflow_events", "workflow_migrations", "workflow_runs", "workflow_schemas", "workflow_snapshots", "workflow_steps"];

    private static readonly HashSet<string> UuidColumns =
        ["workflow_runs.id", "workflow_runs.parent_run_id", "workflow_runs.forked_from_run_id", "workflow_steps.id",
         "workflow_steps.run_id", "workflow_events.id", "workflow_events.run_id", "workflow_snapshots.run_id", "workflow_claims.run_id"];

    [Fact]
    public async Task A_new_database_is_migrated_to_the_sqlite_data_model_in_postgresql_types()
    {
        await PostgreSqlSchema.MigrateAsync(DataSource, Schema);

        var actual = (await RowsAsync("""
            SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
            WHERE table_schema = $1 ORDER BY table_name, column_name
            """, Schema))
            .Select(r => $"{r[0]}.{r[1]} {r[2]} {((string)r[3]! == "YES" ? "NULL" : "NOT NULL")}")
            .ToList();

        // The reference: the SQLite store's final schema, mapped by the rules PostgreSqlSchema's comment gives.
        var expected = new List<string>();
        foreach (var (table, column, type, notNull) in await SqliteColumnsAsync())
        {
            var nullability = notNull ? "NOT NULL" : "NULL";
            var key = $"{table}.{column}";
            if (table == "workflow_migrations" && column == "applied_at")
            {
                expected.Add($"{key} timestamp with time zone NOT NULL");
            }
            else if (column.EndsWith("_at", StringComparison.Ordinal))
            {
                Assert.Equal("TEXT", type);
                expected.Add($"{key} bigint {nullability}");
                expected.Add($"{key}_offset smallint {nullability}");
            }
            else if (UuidColumns.Contains(key))
            {
                expected.Add($"{key} uuid NOT NULL".Replace("NOT NULL", nullability, StringComparison.Ordinal));
            }
            else if (column == "cost_usd")
            {
                expected.Add($"{key} numeric {nullability}");
            }
            else if (column == "duration_ms")
            {
                expected.Add($"{key} bigint {nullability}");
            }
            else
            {
                expected.Add($"{key} {(type == "INTEGER" ? "integer" : "text")} {nullability}");
            }
        }
        expected.Add("workflow_events.seq bigint NOT NULL"); // SQLite's implicit rowid (the sending order), explicit here
        expected.Sort(StringComparer.Ordinal);
        actual.Sort(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
        Assert.Equal(Tables, actual.Select(c => c[..c.IndexOf('.', StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_new_database_has_sqlites_indexes_and_cascading_foreign_keys()
    {
        await PostgreSqlSchema.MigrateAsync(DataSource, Schema);
        var indexes = (await RowsAsync("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1", Schema))
            .ToDictionary(r => (string)r[0]!, r => ((string)r[1]!).Replace($" ON {Schema}.", " ON ", StringComparison.Ordinal));

        foreach (var name in await SqliteIndexNamesAsync())
        {
            Assert.True(indexes.ContainsKey(name), $"SQLite's index {name} is missing; PostgreSQL has {string.Join(", ", indexes.Keys)}.");
        }
        // Idempotency per tenant and workflow; events' idempotency per run; the ready-run lookups; the parent lookup.
        Assert.Equal("CREATE UNIQUE INDEX ux_workflow_runs_idempotency ON workflow_runs USING btree (tenant_id, workflow, idempotency_key) WHERE (idempotency_key IS NOT NULL)",
            indexes["ux_workflow_runs_idempotency"]);
        Assert.Equal("CREATE UNIQUE INDEX ux_workflow_events_idempotency ON workflow_events USING btree (run_id, idempotency_key) WHERE (idempotency_key IS NOT NULL)",
            indexes["ux_workflow_events_idempotency"]);
        Assert.Equal("CREATE INDEX ix_workflow_runs_status ON workflow_runs USING btree (status, id)", indexes["ix_workflow_runs_status"]);
        Assert.Equal("CREATE INDEX ix_workflow_runs_tenant_status ON workflow_runs USING btree (tenant_id, status, id)", indexes["ix_workflow_runs_tenant_status"]);
        Assert.Equal("CREATE INDEX ix_workflow_runs_waiting ON workflow_runs USING btree (status, wake_at) WHERE (status = 'Waiting'::text)", indexes["ix_workflow_runs_waiting"]);
        Assert.Equal("CREATE INDEX ix_workflow_runs_wake_requested ON workflow_runs USING btree (status) WHERE (wake_requested_at IS NOT NULL)", indexes["ix_workflow_runs_wake_requested"]);
        Assert.Equal("CREATE INDEX ix_workflow_runs_parent ON workflow_runs USING btree (parent_run_id) WHERE (parent_run_id IS NOT NULL)", indexes["ix_workflow_runs_parent"]);
        Assert.Equal("CREATE INDEX ix_workflow_runs_owner ON workflow_runs USING btree (owner) WHERE (owner IS NOT NULL)", indexes["ix_workflow_runs_owner"]);
        Assert.Equal("CREATE INDEX ix_workflow_events_pending ON workflow_events USING btree (tenant_id, run_id, name, id) WHERE (consumed_at IS NULL)", indexes["ix_workflow_events_pending"]);
        Assert.Equal("CREATE INDEX ix_workflow_events_run ON workflow_events USING btree (run_id, tenant_id)", indexes["ix_workflow_events_run"]);
        Assert.Equal("CREATE UNIQUE INDEX ux_workflow_steps_run_sequence ON workflow_steps USING btree (run_id, sequence)", indexes["ux_workflow_steps_run_sequence"]);
        Assert.Equal("CREATE UNIQUE INDEX workflow_snapshots_pkey ON workflow_snapshots USING btree (run_id, sequence)", indexes["workflow_snapshots_pkey"]);
        Assert.Equal("CREATE UNIQUE INDEX workflow_schemas_pkey ON workflow_schemas USING btree (workflow, schema_version)", indexes["workflow_schemas_pkey"]);

        var foreignKeys = (await RowsAsync("""
            SELECT tc.table_name, kcu.column_name, rc.delete_rule
            FROM information_schema.table_constraints tc
            JOIN information_schema.key_column_usage kcu ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name
            JOIN information_schema.referential_constraints rc ON rc.constraint_schema = tc.constraint_schema AND rc.constraint_name = tc.constraint_name
            WHERE tc.constraint_schema = $1 AND tc.constraint_type = 'FOREIGN KEY' ORDER BY tc.table_name
            """, Schema)).Select(r => $"{r[0]}.{r[1]} {r[2]}");
        Assert.Equal(["workflow_claims.run_id CASCADE", "workflow_events.run_id CASCADE", "workflow_snapshots.run_id CASCADE", "workflow_steps.run_id CASCADE"], foreignKeys);
    }

    [Fact]
    public async Task Timestamps_keep_ticks_and_offset_payloads_keep_their_bytes_and_money_keeps_its_scale()
    {
        await PostgreSqlSchema.MigrateAsync(DataSource, Schema);
        var id = Guid.CreateVersion7();
        var created = new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.FromMinutes(5 * 60 + 45)).AddTicks(5_897_937);
        var updated = DateTimeOffset.MaxValue.ToOffset(TimeSpan.FromHours(-14));
        const string input = """{ "b": 1,"a":[2, 3],"a": "dup ä \u00e9" }""";
        await ExecuteAsync($"""
            INSERT INTO {Schema}.workflow_runs (id, tenant_id, workflow, schema_version, status, input,
                created_at, created_at_offset, updated_at, updated_at_offset)
            VALUES ($1, 't', 'w', 'v1', 'Pending', $2, $3, $4, $5, $6)
            """, id, input, created.UtcTicks, (short)created.Offset.TotalMinutes, updated.UtcTicks, (short)updated.Offset.TotalMinutes);
        await ExecuteAsync($"""
            INSERT INTO {Schema}.workflow_steps (id, run_id, tenant_id, sequence, position, name, kind, status, attempt,
                created_at, created_at_offset, updated_at, updated_at_offset, cost_usd)
            VALUES ($1, $2, 't', 1, 0, 's', 'Step', 'Succeeded', 1, 0, 0, 0, 0, 1.50)
            """, Guid.CreateVersion7(), id);

        var row = (await RowsAsync($"SELECT input, created_at, created_at_offset, updated_at, updated_at_offset FROM {Schema}.workflow_runs WHERE id = $1", id)).Single();
        Assert.Equal(input, row[0]);
        var readCreated = new DateTimeOffset((long)row[1]!, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes((short)row[2]!));
        var readUpdated = new DateTimeOffset((long)row[3]!, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes((short)row[4]!));
        Assert.Equal((created.Ticks, created.Offset), (readCreated.Ticks, readCreated.Offset));
        Assert.Equal((updated.Ticks, updated.Offset), (readUpdated.Ticks, readUpdated.Offset));
        Assert.Equal("1.50", (await ScalarAsync<decimal>($"SELECT cost_usd FROM {Schema}.workflow_steps")).ToString(System.Globalization.CultureInfo.InvariantCulture));

        // An instant without its offset (or an offset past ±14 h) is refused by the schema itself.
        var unpaired = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"UPDATE {Schema}.workflow_runs SET wake_at = 1 WHERE id = $1", id));
        Assert.Equal(PostgresErrorCodes.CheckViolation, unpaired.SqlState);
        var farOffset = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"UPDATE {Schema}.workflow_runs SET wake_at = 1, wake_at_offset = 841 WHERE id = $1", id));
        Assert.Equal(PostgresErrorCodes.CheckViolation, farOffset.SqlState);
    }

    [Fact]
    public async Task Migrating_twice_is_harmless_and_records_each_migration_once()
    {
        // The schema may exist already (created by an administrator): migrating fills it.
        await ExecuteAsync($"CREATE SCHEMA {Schema}");
        await PostgreSqlSchema.MigrateAsync(DataSource, Schema);
        await ExecuteAsync($"""
            INSERT INTO {Schema}.workflow_schemas (workflow, schema_version, shape, created_at, created_at_offset)
            VALUES ('w', 'v1', '[]', 0, 0)
            """);
        await PostgreSqlSchema.MigrateAsync(DataSource, Schema);

        Assert.Equal(Migrations(), await RecordedAsync(Schema));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT COUNT(*) FROM {Schema}.workflow_schemas"));
    }

    [Fact]
    public async Task Eight_concurrent_migrations_of_a_fresh_schema_migrate_once()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var migrations = Enumerable.Range(0, 8).Select(async _ =>
        {
            await gate.Task;
            await PostgreSqlSchema.MigrateAsync(DataSource, Schema);
        }).ToList();
        gate.SetResult();
        await Task.WhenAll(migrations);

        Assert.Equal(Migrations(), await RecordedAsync(Schema));
        Assert.Equal(Tables.Length, (int)await ScalarAsync<long>(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1", Schema));
    }

    [Fact]
    public async Task A_schema_newer_than_known_is_refused_naming_both_versions()
    {
        await PostgreSqlSchema.MigrateAsync(DataSource, Schema);
        await ExecuteAsync($"INSERT INTO {Schema}.workflow_migrations (version, name) VALUES (42, 'from a newer package')");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgreSqlSchema.MigrateAsync(DataSource, Schema));
        Assert.Contains("schema version 42", e.Message, StringComparison.Ordinal);
        Assert.Contains($"knows ({PostgreSqlSchema.KnownVersion})", e.Message, StringComparison.Ordinal);
        Assert.Contains(Schema, e.Message, StringComparison.Ordinal);

        // Also when the newer database lacks a migration this package would apply: nothing is applied, nothing changes.
        var other = NewSchema();
        await ExecuteAsync($"CREATE SCHEMA {other}; CREATE TABLE {other}.workflow_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO {other}.workflow_migrations (version, name) VALUES (7, 'x')");
        var partial = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgreSqlSchema.MigrateAsync(DataSource, other));
        Assert.Contains("schema version 7", partial.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'workflow_runs'", other));
    }

    [Fact]
    public async Task The_schema_name_keeps_two_stores_tables_apart()
    {
        var second = NewSchema();
        await PostgreSqlSchema.MigrateAsync(DataSource, Schema);
        await PostgreSqlSchema.MigrateAsync(DataSource, second);
        await ExecuteAsync($"""
            INSERT INTO {Schema}.workflow_runs (id, tenant_id, workflow, schema_version, status, idempotency_key,
                created_at, created_at_offset, updated_at, updated_at_offset)
            VALUES ($1, 't', 'w', 'v1', 'Pending', 'k', 0, 0, 0, 0)
            """, Guid.CreateVersion7());
        // The same idempotency key in the other schema is no conflict: each schema has its own tables and indexes.
        await ExecuteAsync($"""
            INSERT INTO {second}.workflow_runs (id, tenant_id, workflow, schema_version, status, idempotency_key,
                created_at, created_at_offset, updated_at, updated_at_offset)
            VALUES ($1, 't', 'w', 'v1', 'Pending', 'k', 0, 0, 0, 0)
            """, Guid.CreateVersion7());

        Assert.Equal(1L, await ScalarAsync<long>($"SELECT COUNT(*) FROM {Schema}.workflow_runs"));
        await ExecuteAsync($"DROP SCHEMA {Schema} CASCADE");
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT COUNT(*) FROM {second}.workflow_runs"));
        Assert.Equal(Migrations(), await RecordedAsync(second));
        // The lock keys differ too: migrating one schema never waits for another's migration.
        Assert.NotEqual(PostgreSqlSchema.LockKey(Schema), PostgreSqlSchema.LockKey(second));
    }

    private static List<string> Migrations() => PostgreSqlSchema.Migrations.Select(m => $"{m.Version} {m.Name}").ToList();

    private async Task<List<string>> RecordedAsync(string schema) =>
        (await RowsAsync($"SELECT version, name FROM {schema}.workflow_migrations ORDER BY version")).Select(r => $"{r[0]} {r[1]}").ToList();

    private static async Task<List<(string Table, string Column, string Type, bool NotNull)>> SqliteColumnsAsync()
    {
        var columns = new List<(string, string, string, bool)>();
        await WithSqliteJournalAsync(connection =>
        {
            foreach (var table in SqliteNames(connection, "table"))
            {
                using var info = connection.CreateCommand();
                info.CommandText = $"SELECT name, type, \"notnull\" FROM pragma_table_info('{table}')";
                using var reader = info.ExecuteReader();
                while (reader.Read())
                {
                    columns.Add((table, reader.GetString(0), reader.GetString(1), reader.GetInt64(2) == 1));
                }
            }
        });
        return columns;
    }

    private static async Task<List<string>> SqliteIndexNamesAsync()
    {
        var names = new List<string>();
        await WithSqliteJournalAsync(connection => names.AddRange(SqliteNames(connection, "index")));
        return names;
    }

    private static List<string> SqliteNames(SqliteConnection connection, string type)
    {
        using var command = connection.CreateCommand();
        // sql IS NOT NULL leaves out SQLite's automatic indexes (primary keys, UNIQUE constraints).
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = $type AND name LIKE 'workflow%' AND sql IS NOT NULL ORDER BY name";
        command.Parameters.AddWithValue("$type", type);
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    /// <summary>A SQLite journal as the SQLite store creates it (all its migrations applied).</summary>
    private static async Task WithSqliteJournalAsync(Action<SqliteConnection> read)
    {
        var folder = Directory.CreateTempSubdirectory("wf-pg-schema-");
        try
        {
            var path = Path.Combine(folder.FullName, "journal.db");
            await using (var store = new SqliteWorkflowStore(path))
            {
                _ = await store.GetRunAsync("t", Guid.NewGuid());
            }
            using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            connection.Open();
            read(connection);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
