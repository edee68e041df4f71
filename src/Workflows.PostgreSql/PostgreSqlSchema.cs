using System.Data;
using System.Text;
using Npgsql;

namespace Workflows.PostgreSql;

/// <summary>
/// The store's schema as an ordered list of migrations, applied once each and recorded in <c>workflow_migrations</c>, in
/// a PostgreSQL schema of the caller's choosing. The data model is SQLite's (src/Workflows.Sqlite/SqliteSchema.cs, all
/// its migrations folded into version 1: this store is new), in PostgreSQL's types.
/// </summary>
internal static class PostgreSqlSchema
{
    internal readonly record struct Migration(int Version, string Name, string Sql);

    internal const string MigrationsTable = """
        CREATE TABLE IF NOT EXISTS workflow_migrations (
            version    integer     PRIMARY KEY,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    // Types, and why:
    // - Ids are uuid. PostgreSQL orders uuid by its bytes in RFC order, which is the order of the "D" text and of
    //   Guid.CompareTo: ORDER BY id sorts UUIDv7 ids by creation time, as SQLite's text ids do.
    // - Every timestamp is TWO columns: <name> bigint, the instant as DateTimeOffset.UtcTicks (100 ns since
    //   0001-01-01 UTC), and <name>_offset smallint, the offset in minutes (DateTimeOffset offsets are whole minutes,
    //   within ±14 h). The store contract compares DateTimeOffsets exactly, ticks AND offset. timestamptz cannot do
    //   that: it keeps microseconds (a tick is 100 ns; the contract writes values like T0.AddTicks(7)) and no offset at
    //   all, and Npgsql maps DateTime.MinValue/MaxValue to ±infinity. Text ("O", as in SQLite) keeps both but compares as
    //   an instant only when every writer normalizes to UTC. A bigint instant is exact, compares and indexes as time
    //   (leases, wake-ups, deadlines, the retention cutoff are plain integer comparisons, whatever offset a value was
    //   written with), and the offset beside it restores the value as written. A CHECK keeps each pair null together.
    // - JSON payloads (input, output, error, payload, attempt_history, debug_messages, shapes) are text: they must come
    //   back byte for byte, and jsonb reorders keys, drops duplicates and rewrites whitespace.
    // - Statuses and kinds are text, by enum name, as in SQLite. Names compared or ordered in SQL (tenant, workflow,
    //   status, keys, owner) use COLLATE "C": byte order, as SQLite's BINARY, whatever the database's collation.
    // - cost_usd is numeric: exact, and it keeps the scale written ("1.50" stays 1.50).
    // - Counters are integer (int in the records), duration_ms bigint (long).
    // - Events get an identity column, seq: the order they were sent in (SQLite's rowid).
    // - workflow_expect() turns a write that changed the wrong number of rows into an error, so that a whole commit is one
    //   round trip in one implicit transaction (PostgreSqlWorkflowStore.Commits.cs).
    internal static readonly Migration[] Migrations =
    [
        new(1, "initial schema", """
            CREATE TABLE workflow_runs (
                id                         uuid     PRIMARY KEY,
                tenant_id                  text     COLLATE "C" NOT NULL,
                workflow                   text     COLLATE "C" NOT NULL,
                schema_version             text     COLLATE "C" NOT NULL,
                status                     text     COLLATE "C" NOT NULL,
                parent_run_id              uuid     NULL,
                parent_step                integer  NULL,
                input                      text     NULL,
                output                     text     NULL,
                error                      text     NULL,
                idempotency_key            text     COLLATE "C" NULL,
                created_at                 bigint   NOT NULL,
                created_at_offset          smallint NOT NULL CHECK (created_at_offset BETWEEN -840 AND 840),
                started_at                 bigint   NULL,
                started_at_offset          smallint NULL CHECK (started_at_offset BETWEEN -840 AND 840),
                completed_at               bigint   NULL,
                completed_at_offset        smallint NULL CHECK (completed_at_offset BETWEEN -840 AND 840),
                updated_at                 bigint   NOT NULL,
                updated_at_offset          smallint NOT NULL CHECK (updated_at_offset BETWEEN -840 AND 840),
                owner                      text     COLLATE "C" NULL,
                lease_expires_at           bigint   NULL,
                lease_expires_at_offset    smallint NULL CHECK (lease_expires_at_offset BETWEEN -840 AND 840),
                wake_at                    bigint   NULL,
                wake_at_offset             smallint NULL CHECK (wake_at_offset BETWEEN -840 AND 840),
                waiting_for                text     NULL,
                deadline_at                bigint   NULL,
                deadline_at_offset         smallint NULL CHECK (deadline_at_offset BETWEEN -840 AND 840),
                cancel_requested_at        bigint   NULL,
                cancel_requested_at_offset smallint NULL CHECK (cancel_requested_at_offset BETWEEN -840 AND 840),
                cancel_reason              text     NULL,
                forked_from_run_id         uuid     NULL,
                wake_requested_at          bigint   NULL,
                wake_requested_at_offset   smallint NULL CHECK (wake_requested_at_offset BETWEEN -840 AND 840),
                trace_parent               text     NULL,
                CHECK ((started_at IS NULL) = (started_at_offset IS NULL)),
                CHECK ((completed_at IS NULL) = (completed_at_offset IS NULL)),
                CHECK ((lease_expires_at IS NULL) = (lease_expires_at_offset IS NULL)),
                CHECK ((wake_at IS NULL) = (wake_at_offset IS NULL)),
                CHECK ((deadline_at IS NULL) = (deadline_at_offset IS NULL)),
                CHECK ((cancel_requested_at IS NULL) = (cancel_requested_at_offset IS NULL)),
                CHECK ((wake_requested_at IS NULL) = (wake_requested_at_offset IS NULL))
            );
            CREATE UNIQUE INDEX ux_workflow_runs_idempotency
                ON workflow_runs (tenant_id, workflow, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE INDEX ix_workflow_runs_status ON workflow_runs (status, id);
            CREATE INDEX ix_workflow_runs_tenant_status ON workflow_runs (tenant_id, status, id);
            CREATE INDEX ix_workflow_runs_parent ON workflow_runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
            CREATE INDEX ix_workflow_runs_waiting ON workflow_runs (status, wake_at) WHERE status = 'Waiting';
            CREATE INDEX ix_workflow_runs_owner ON workflow_runs (owner) WHERE owner IS NOT NULL;
            CREATE INDEX ix_workflow_runs_wake_requested ON workflow_runs (status) WHERE wake_requested_at IS NOT NULL;

            CREATE TABLE workflow_steps (
                id                   uuid     PRIMARY KEY,
                run_id               uuid     NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
                tenant_id            text     COLLATE "C" NOT NULL,
                sequence             integer  NOT NULL,
                position             integer  NOT NULL,
                name                 text     COLLATE "C" NOT NULL,
                kind                 text     COLLATE "C" NOT NULL,
                status               text     COLLATE "C" NOT NULL,
                attempt              integer  NOT NULL,
                failed_attempts      integer  NOT NULL DEFAULT 0,
                interrupted_attempts integer  NOT NULL DEFAULT 0,
                input                text     NULL,
                output               text     NULL,
                error                text     NULL,
                duration_ms          bigint   NULL,
                created_at           bigint   NOT NULL,
                created_at_offset    smallint NOT NULL CHECK (created_at_offset BETWEEN -840 AND 840),
                started_at           bigint   NULL,
                started_at_offset    smallint NULL CHECK (started_at_offset BETWEEN -840 AND 840),
                completed_at         bigint   NULL,
                completed_at_offset  smallint NULL CHECK (completed_at_offset BETWEEN -840 AND 840),
                updated_at           bigint   NOT NULL,
                updated_at_offset    smallint NOT NULL CHECK (updated_at_offset BETWEEN -840 AND 840),
                cost_usd             numeric  NULL,
                input_tokens         integer  NULL,
                output_tokens        integer  NULL,
                debug_messages       text     NULL,
                attempt_history      text     NULL,
                CONSTRAINT ux_workflow_steps_run_sequence UNIQUE (run_id, sequence),
                CHECK ((started_at IS NULL) = (started_at_offset IS NULL)),
                CHECK ((completed_at IS NULL) = (completed_at_offset IS NULL))
            );

            CREATE TABLE workflow_events (
                id                   uuid     PRIMARY KEY,
                seq                  bigint   GENERATED ALWAYS AS IDENTITY NOT NULL,
                run_id               uuid     NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
                tenant_id            text     COLLATE "C" NOT NULL,
                name                 text     COLLATE "C" NOT NULL,
                payload              text     NULL,
                idempotency_key      text     COLLATE "C" NULL,
                created_at           bigint   NOT NULL,
                created_at_offset    smallint NOT NULL CHECK (created_at_offset BETWEEN -840 AND 840),
                consumed_at          bigint   NULL,
                consumed_at_offset   smallint NULL CHECK (consumed_at_offset BETWEEN -840 AND 840),
                consumed_by_sequence integer  NULL,
                CHECK ((consumed_at IS NULL) = (consumed_at_offset IS NULL))
            );
            CREATE INDEX ix_workflow_events_pending ON workflow_events (tenant_id, run_id, name, id) WHERE consumed_at IS NULL;
            CREATE UNIQUE INDEX ux_workflow_events_idempotency
                ON workflow_events (run_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
            -- SQLite's (tenant_id, run_id) with run_id first: it serves the same lookups (equality on both) and is also the
            -- index the ON DELETE CASCADE from workflow_runs needs (PostgreSQL does not index referencing columns itself).
            CREATE INDEX ix_workflow_events_run ON workflow_events (run_id, tenant_id);

            CREATE TABLE workflow_snapshots (
                run_id            uuid     NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
                tenant_id         text     COLLATE "C" NOT NULL,
                sequence          integer  NOT NULL,
                payload           text     NOT NULL,
                created_at        bigint   NOT NULL,
                created_at_offset smallint NOT NULL CHECK (created_at_offset BETWEEN -840 AND 840),
                PRIMARY KEY (run_id, sequence)
            );

            CREATE TABLE workflow_schemas (
                workflow          text     COLLATE "C" NOT NULL,
                schema_version    text     COLLATE "C" NOT NULL,
                shape             text     NOT NULL,
                created_at        bigint   NOT NULL,
                created_at_offset smallint NOT NULL CHECK (created_at_offset BETWEEN -840 AND 840),
                PRIMARY KEY (workflow, schema_version)
            );

            -- A journal write that must change exactly the rows it expects: anything else raises WF001 with the statement's
            -- label, which aborts the commit's transaction (all of it, in the one round trip that sent it).
            CREATE FUNCTION workflow_expect(changed bigint, expected bigint, label text) RETURNS bigint
            LANGUAGE plpgsql AS $fn$
            BEGIN
                IF changed IS DISTINCT FROM expected THEN
                    RAISE EXCEPTION USING ERRCODE = 'WF001', MESSAGE = label;
                END IF;
                RETURN changed;
            END
            $fn$;
            """),
        new(2, "queues: a run's queue and priority", """
            ALTER TABLE workflow_runs ADD COLUMN queue_name text COLLATE "C" NULL;
            ALTER TABLE workflow_runs ADD COLUMN priority integer NOT NULL DEFAULT 0;
            CREATE INDEX ix_workflow_runs_queue ON workflow_runs (queue_name, status, priority, id) WHERE queue_name IS NOT NULL;
            """),
        // The claim history, as SQLite's migration 7 keeps it: a trigger on the run's owner and lease, the database's clock
        // (UTC ticks, offset 0); the function's search_path is the schema's, whoever's session fires it.
        new(3, "claim history", """
            CREATE TABLE workflow_claims (
                run_id                  uuid     NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
                tenant_id               text     COLLATE "C" NOT NULL,
                number                  integer  NOT NULL,
                owner                   text     COLLATE "C" NOT NULL,
                claimed_at              bigint   NOT NULL,
                claimed_at_offset       smallint NOT NULL CHECK (claimed_at_offset BETWEEN -840 AND 840),
                lease_expires_at        bigint   NULL,
                lease_expires_at_offset smallint NULL CHECK (lease_expires_at_offset BETWEEN -840 AND 840),
                ended_at                bigint   NULL,
                ended_at_offset         smallint NULL CHECK (ended_at_offset BETWEEN -840 AND 840),
                ended                   text     COLLATE "C" NULL CHECK (ended IN ('Released', 'TakenOver')),
                PRIMARY KEY (run_id, number)
            );
            CREATE FUNCTION workflow_claims_track() RETURNS trigger
            LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
            DECLARE
                now_ticks bigint := (extract(epoch FROM clock_timestamp()) * 10000000)::bigint + 621355968000000000;
            BEGIN
                IF TG_OP = 'INSERT' OR OLD.owner IS DISTINCT FROM NEW.owner THEN
                    IF TG_OP = 'UPDATE' AND OLD.owner IS NOT NULL THEN
                        UPDATE workflow_claims SET ended_at = now_ticks, ended_at_offset = 0,
                            ended = CASE WHEN NEW.owner IS NULL THEN 'Released' ELSE 'TakenOver' END
                        WHERE run_id = NEW.id AND ended_at IS NULL;
                    END IF;
                    IF NEW.owner IS NOT NULL THEN
                        INSERT INTO workflow_claims (run_id, tenant_id, number, owner, claimed_at, claimed_at_offset, lease_expires_at, lease_expires_at_offset)
                        SELECT NEW.id, NEW.tenant_id, COALESCE(MAX(number), 0) + 1, NEW.owner, now_ticks, 0, NEW.lease_expires_at, NEW.lease_expires_at_offset
                        FROM workflow_claims WHERE run_id = NEW.id;
                    END IF;
                ELSIF NEW.owner IS NOT NULL AND OLD.lease_expires_at IS DISTINCT FROM NEW.lease_expires_at THEN
                    UPDATE workflow_claims SET lease_expires_at = NEW.lease_expires_at, lease_expires_at_offset = NEW.lease_expires_at_offset
                    WHERE run_id = NEW.id AND ended_at IS NULL;
                END IF;
                RETURN NULL;
            END
            $fn$;
            INSERT INTO workflow_claims (run_id, tenant_id, number, owner, claimed_at, claimed_at_offset, lease_expires_at, lease_expires_at_offset)
                SELECT id, tenant_id, 1, owner, (extract(epoch FROM clock_timestamp()) * 10000000)::bigint + 621355968000000000, 0,
                       lease_expires_at, lease_expires_at_offset
                FROM workflow_runs WHERE owner IS NOT NULL;
            CREATE TRIGGER workflow_claims_track AFTER INSERT OR UPDATE OF owner, lease_expires_at ON workflow_runs
                FOR EACH ROW EXECUTE FUNCTION workflow_claims_track();
            """),
        // Snapshots, as SQLite's migration 8 has them: one per run (the unique index is also what a put's upsert targets).
        new(4, "snapshots: one per run, with its schema version", """
            DELETE FROM workflow_snapshots;
            ALTER TABLE workflow_snapshots ADD COLUMN schema_version text COLLATE "C" NOT NULL DEFAULT '';
            CREATE UNIQUE INDEX ux_workflow_snapshots_run ON workflow_snapshots (run_id);
            """),
    ];

    /// <summary>The newest schema version this package knows.</summary>
    internal static int KnownVersion => Migrations[^1].Version;

    /// <summary>The key of the transaction-scoped advisory lock that serializes migrations of one schema (FNV-1a, 64 bits).</summary>
    internal static long LockKey(string schema)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes("Workflows.PostgreSql migrate " + schema))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return unchecked((long)hash);
    }

    /// <summary>
    /// Creates <paramref name="schema"/> if missing and applies the missing migrations, all in one transaction under
    /// <c>pg_advisory_xact_lock</c> keyed by the schema's name: processes starting together wait for the first, then find
    /// its migrations recorded and apply nothing. A schema already up to date is recognized by a read first, which takes no
    /// lock. A schema recorded at a version newer than this package knows is an <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <param name="schema">A validated plain identifier (see <see cref="PostgreSqlWorkflowStoreOptions"/>).</param>
    internal static async Task MigrateAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrEmpty(schema);
        var quoted = Quote(schema);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var current = await ReadVersionsAsync(connection, null, schema, quoted, cancellationToken).ConfigureAwait(false);
        if (current is { } found && found.Newest == KnownVersion && found.Count == Migrations.Length)
        {
            return;
        }

        // READ COMMITTED (not REPEATABLE READ): each statement after the lock sees what the migrator before us committed.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = LockKey(schema) });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // Under the lock: CREATE SCHEMA IF NOT EXISTS alone can still fail on a unique violation when two sessions race.
        await ExecuteAsync(connection, transaction,
            $"CREATE SCHEMA IF NOT EXISTS {quoted}; SET LOCAL search_path TO {quoted}; {MigrationsTable}", cancellationToken).ConfigureAwait(false);

        var applied = new HashSet<int>();
        await using (var select = new NpgsqlCommand("SELECT version FROM workflow_migrations", connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        var newest = applied.Count == 0 ? 0 : applied.Max();
        if (newest > KnownVersion)
        {
            throw NewerThanKnown(schema, newest);
        }

        foreach (var migration in Migrations)
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand("INSERT INTO workflow_migrations (version, name) VALUES ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The schema name as a quoted identifier (the name is validated: plain identifiers only, no quotes in it).</summary>
    internal static string Quote(string schema) => "\"" + schema.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static InvalidOperationException NewerThanKnown(string schema, int newest) => new(
        $"The PostgreSQL workflow store in schema '{schema}' has schema version {newest}, newer than this version of Workflows.PostgreSql knows ({KnownVersion}). Upgrade the package.");

    /// <summary>The newest version recorded and the number of rows, or null when the schema has no migrations table.</summary>
    private static async Task<(int Newest, long Count)?> ReadVersionsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, string quoted, CancellationToken cancellationToken)
    {
        await using (var probe = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection, transaction))
        {
            probe.Parameters.Add(new NpgsqlParameter<string> { TypedValue = quoted + ".workflow_migrations" });
            if (!(bool)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return null;
            }
        }
        await using var read = new NpgsqlCommand(
            $"SELECT COALESCE(MAX(version), 0), COUNT(*) FROM {quoted}.workflow_migrations", connection, transaction);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var newest = reader.GetInt32(0);
        if (newest > KnownVersion)
        {
            throw NewerThanKnown(schema, newest);
        }
        return (newest, reader.GetInt64(1));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
