using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Workflows.Sqlite;

/// <summary>The store's schema as an ordered list of migrations, applied once each and recorded in <c>workflow_migrations</c>.</summary>
internal static class SqliteSchema
{
    internal readonly record struct Migration(int Version, string Name, string Sql);

    internal const string MigrationsTable = """
        CREATE TABLE IF NOT EXISTS workflow_migrations (
            version    INTEGER PRIMARY KEY NOT NULL,
            name       TEXT    NOT NULL,
            applied_at TEXT    NOT NULL
        );
        """;

    // Ids are lower-case "D" text so that ORDER BY id sorts like Guid.CompareTo (UUIDv7: by creation time).
    // Timestamps are ISO-8601 round-trip text ("O": ticks and offset kept). Enums are stored by name.
    // cost_usd is decimal text (TEXT affinity keeps "1.50" as written: the scale survives).
    internal static readonly Migration[] Migrations =
    [
        new(1, "initial schema", """
            CREATE TABLE workflow_runs (
                id               TEXT    PRIMARY KEY NOT NULL,
                tenant_id        TEXT    NOT NULL,
                workflow         TEXT    NOT NULL,
                schema_version   TEXT    NOT NULL,
                status           TEXT    NOT NULL,
                parent_run_id    TEXT    NULL,
                parent_step      INTEGER NULL,
                input            TEXT    NULL,
                output           TEXT    NULL,
                error            TEXT    NULL,
                idempotency_key  TEXT    NULL,
                created_at       TEXT    NOT NULL,
                started_at       TEXT    NULL,
                completed_at     TEXT    NULL,
                updated_at       TEXT    NOT NULL,
                owner            TEXT    NULL,
                lease_expires_at TEXT    NULL
            );
            CREATE UNIQUE INDEX ux_workflow_runs_idempotency
                ON workflow_runs (tenant_id, workflow, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE INDEX ix_workflow_runs_status ON workflow_runs (status, id);
            CREATE INDEX ix_workflow_runs_tenant_status ON workflow_runs (tenant_id, status, id);
            CREATE INDEX ix_workflow_runs_parent ON workflow_runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

            CREATE TABLE workflow_steps (
                id             TEXT    PRIMARY KEY NOT NULL,
                run_id         TEXT    NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
                tenant_id      TEXT    NOT NULL,
                sequence       INTEGER NOT NULL,
                position       INTEGER NOT NULL,
                name           TEXT    NOT NULL,
                kind           TEXT    NOT NULL,
                status         TEXT    NOT NULL,
                attempt        INTEGER NOT NULL,
                input          TEXT    NULL,
                output         TEXT    NULL,
                error          TEXT    NULL,
                duration_ms    INTEGER NULL,
                created_at     TEXT    NOT NULL,
                started_at     TEXT    NULL,
                completed_at   TEXT    NULL,
                updated_at     TEXT    NOT NULL,
                cost_usd       TEXT    NULL,
                input_tokens   INTEGER NULL,
                output_tokens  INTEGER NULL,
                debug_messages TEXT    NULL,
                UNIQUE (run_id, sequence)
            );

            CREATE TABLE workflow_events (
                id                   TEXT    PRIMARY KEY NOT NULL,
                run_id               TEXT    NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
                tenant_id            TEXT    NOT NULL,
                name                 TEXT    NOT NULL,
                payload              TEXT    NULL,
                created_at           TEXT    NOT NULL,
                consumed_at          TEXT    NULL,
                consumed_by_sequence INTEGER NULL
            );
            CREATE INDEX ix_workflow_events_pending ON workflow_events (tenant_id, run_id, name, id) WHERE consumed_at IS NULL;

            CREATE TABLE workflow_snapshots (
                run_id     TEXT    NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
                tenant_id  TEXT    NOT NULL,
                sequence   INTEGER NOT NULL,
                payload    TEXT    NOT NULL,
                created_at TEXT    NOT NULL,
                PRIMARY KEY (run_id, sequence)
            );
            """),
        new(2, "execution core: waits, deadlines, cancel requests, forks, attempts by cause", """
            ALTER TABLE workflow_runs ADD COLUMN wake_at TEXT NULL;
            ALTER TABLE workflow_runs ADD COLUMN waiting_for TEXT NULL;
            ALTER TABLE workflow_runs ADD COLUMN deadline_at TEXT NULL;
            ALTER TABLE workflow_runs ADD COLUMN cancel_requested_at TEXT NULL;
            ALTER TABLE workflow_runs ADD COLUMN cancel_reason TEXT NULL;
            ALTER TABLE workflow_runs ADD COLUMN forked_from_run_id TEXT NULL;
            ALTER TABLE workflow_steps ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE workflow_steps ADD COLUMN interrupted_attempts INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX ix_workflow_runs_waiting ON workflow_runs (status, wake_at) WHERE status = 'Waiting';
            CREATE INDEX ix_workflow_runs_owner ON workflow_runs (owner) WHERE owner IS NOT NULL;
            """),
        new(3, "schema shapes", """
            CREATE TABLE workflow_schemas (
                workflow       TEXT NOT NULL,
                schema_version TEXT NOT NULL,
                shape          TEXT NOT NULL,
                created_at     TEXT NOT NULL,
                PRIMARY KEY (workflow, schema_version)
            );
            """),
        new(4, "durable primitives: events, wake-up requests, attempt history", """
            ALTER TABLE workflow_runs ADD COLUMN wake_requested_at TEXT NULL;
            ALTER TABLE workflow_events ADD COLUMN idempotency_key TEXT NULL;
            ALTER TABLE workflow_steps ADD COLUMN attempt_history TEXT NULL;
            CREATE UNIQUE INDEX ux_workflow_events_idempotency
                ON workflow_events (run_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE INDEX ix_workflow_events_run ON workflow_events (tenant_id, run_id);
            CREATE INDEX ix_workflow_runs_wake_requested ON workflow_runs (status) WHERE wake_requested_at IS NOT NULL;
            """),
        new(5, "tracing: the W3C trace context of the caller who started a run", """
            ALTER TABLE workflow_runs ADD COLUMN trace_parent TEXT NULL;
            """),
        new(6, "queues: a run's queue and priority", """
            ALTER TABLE workflow_runs ADD COLUMN queue_name TEXT NULL;
            ALTER TABLE workflow_runs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX ix_workflow_runs_queue ON workflow_runs (queue_name, status, priority, id) WHERE queue_name IS NOT NULL;
            """),
        // The claim history, kept by triggers on the run's owner and lease, so that no claim, release or takeover can miss it;
        // its times are the database's clock, in the round-trip format the store reads. Runs claimed at the migration start
        // their history then.
        new(7, "claim history", """
            CREATE TABLE workflow_claims (
                run_id           TEXT    NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
                tenant_id        TEXT    NOT NULL,
                number           INTEGER NOT NULL,
                owner            TEXT    NOT NULL,
                claimed_at       TEXT    NOT NULL,
                lease_expires_at TEXT    NULL,
                ended_at         TEXT    NULL,
                ended            TEXT    NULL CHECK (ended IN ('Released', 'TakenOver')),
                PRIMARY KEY (run_id, number)
            );
            INSERT INTO workflow_claims (run_id, tenant_id, number, owner, claimed_at, lease_expires_at)
                SELECT id, tenant_id, 1, owner, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '0000+00:00', lease_expires_at FROM workflow_runs WHERE owner IS NOT NULL;
            CREATE TRIGGER workflow_claims_on_create AFTER INSERT ON workflow_runs WHEN NEW.owner IS NOT NULL
            BEGIN
                INSERT INTO workflow_claims (run_id, tenant_id, number, owner, claimed_at, lease_expires_at)
                VALUES (NEW.id, NEW.tenant_id, 1, NEW.owner, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '0000+00:00', NEW.lease_expires_at);
            END;
            CREATE TRIGGER workflow_claims_on_owner AFTER UPDATE OF owner ON workflow_runs WHEN OLD.owner IS NOT NEW.owner
            BEGIN
                UPDATE workflow_claims SET ended_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '0000+00:00', ended = CASE WHEN NEW.owner IS NULL THEN 'Released' ELSE 'TakenOver' END
                WHERE run_id = NEW.id AND ended_at IS NULL;
                INSERT INTO workflow_claims (run_id, tenant_id, number, owner, claimed_at, lease_expires_at)
                SELECT NEW.id, NEW.tenant_id, COALESCE((SELECT MAX(number) FROM workflow_claims WHERE run_id = NEW.id), 0) + 1,
                       NEW.owner, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '0000+00:00', NEW.lease_expires_at
                WHERE NEW.owner IS NOT NULL;
            END;
            CREATE TRIGGER workflow_claims_on_lease AFTER UPDATE OF lease_expires_at ON workflow_runs
            WHEN NEW.owner IS NOT NULL AND OLD.owner IS NEW.owner AND OLD.lease_expires_at IS NOT NEW.lease_expires_at
            BEGIN
                UPDATE workflow_claims SET lease_expires_at = NEW.lease_expires_at WHERE run_id = NEW.id AND ended_at IS NULL;
            END;
            """),
        // Snapshots (never written before this version): one per run, replaced by each put, with the schema version of the
        // code that took it. A snapshot is a cache of the journal, so any older rows are dropped rather than reconciled.
        new(8, "snapshots: one per run, with its schema version", """
            DELETE FROM workflow_snapshots;
            ALTER TABLE workflow_snapshots ADD COLUMN schema_version TEXT NOT NULL DEFAULT '';
            CREATE UNIQUE INDEX ux_workflow_snapshots_run ON workflow_snapshots (run_id);
            """),
    ];

    /// <summary>
    /// Applies the missing migrations in one IMMEDIATE transaction: a second process initializing at the same time
    /// waits for the write lock (busy timeout), then finds the migrations recorded and applies nothing. A file that is up to
    /// date is recognized by a read first, which needs no write lock: an engine starts while another process writes.
    /// </summary>
    internal static void Migrate(SqliteConnection connection)
    {
        if (IsUpToDate(connection))
        {
            return;
        }
        using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
        using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = MigrationsTable;
            create.ExecuteNonQuery();
        }

        var applied = new HashSet<long>();
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT version FROM workflow_migrations";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                applied.Add(reader.GetInt64(0));
            }
        }

        var known = Migrations[^1].Version;
        var newest = applied.Count == 0 ? 0 : applied.Max();
        if (newest > known)
        {
            throw new InvalidOperationException(
                $"The SQLite workflow store '{connection.DataSource}' has schema version {newest}, newer than this version of Workflows.Sqlite knows ({known}). Upgrade the package.");
        }

        foreach (var migration in Migrations)
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }
            using var apply = connection.CreateCommand();
            apply.Transaction = transaction;
            apply.CommandText = migration.Sql;
            apply.ExecuteNonQuery();

            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO workflow_migrations (version, name, applied_at) VALUES ($version, $name, $applied_at)";
            record.Parameters.AddWithValue("$version", migration.Version);
            record.Parameters.AddWithValue("$name", migration.Name);
            record.Parameters.AddWithValue("$applied_at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            record.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>For a store opened read-only: the file must hold a journal at exactly the schema version this package knows.</summary>
    internal static void RequireCurrent(SqliteConnection connection, string displayName)
    {
        using var probe = connection.CreateCommand();
        probe.CommandText = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'workflow_migrations')";
        if (Convert.ToInt64(probe.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            throw new InvalidOperationException($"'{displayName}' is not a Workflows journal (it has no workflow_migrations table).");
        }
        probe.CommandText = "SELECT COALESCE(MAX(version), 0) FROM workflow_migrations";
        var newest = Convert.ToInt64(probe.ExecuteScalar(), CultureInfo.InvariantCulture);
        var known = Migrations[^1].Version;
        if (newest != known || CountApplied(connection) != Migrations.Length)
        {
            throw new InvalidOperationException(newest > known
                ? $"The workflow journal '{displayName}' has schema version {newest}, newer than this version of Workflows.Sqlite knows ({known}). Upgrade the package or tool."
                : $"The workflow journal '{displayName}' has schema version {newest}; this version of Workflows.Sqlite reads version {known}. Open it once with a read-write engine of this version (it migrates), then read it.");
        }
    }

    private static bool IsUpToDate(SqliteConnection connection)
    {
        using var probe = connection.CreateCommand();
        probe.CommandText = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'workflow_migrations')";
        if (Convert.ToInt64(probe.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            return false;
        }
        probe.CommandText = "SELECT COALESCE(MAX(version), 0) FROM workflow_migrations";
        var newest = Convert.ToInt64(probe.ExecuteScalar(), CultureInfo.InvariantCulture);
        // Newer than known: the transaction path reports it.
        return newest == Migrations[^1].Version && Migrations.Length == CountApplied(connection);
    }

    private static long CountApplied(SqliteConnection connection)
    {
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM workflow_migrations";
        return Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
