using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Workflows.PostgreSql;
using Workflows.Sqlite;
using Workflows.Storage;

namespace TortureDriver;

/// <summary>
/// The journal of one torture session, as the driver sees it: the store's public API (to create runs, send events, list
/// what is unfinished) and its tables read directly (to find lost, duplicated and orphan rows), on a connection of its own.
/// </summary>
internal abstract class JournalDatabase : IAsyncDisposable
{
    protected JournalDatabase(IWorkflowStore store) => Store = store;

    /// <summary>A store of the driver's own on the journal.</summary>
    public IWorkflowStore Store { get; }

    /// <summary>The arguments that point a worker at this journal.</summary>
    public abstract IReadOnlyList<string> WorkerArguments { get; }

    /// <summary>"ok", or what the database's own consistency check found.</summary>
    public abstract Task<string> IntegrityCheckAsync();

    /// <summary>Every run, step and event row; outputs whole when <paramref name="full"/>, else their first characters.</summary>
    public async Task<JournalRows> ReadRowsAsync(bool full)
    {
        await using var connection = await OpenAsync();
        var output = full ? "output" : $"substr(output, 1, {JournalRows.PrefixLength})";
        var runs = new List<RunRow>();
        await using (var reader = await QueryAsync(connection, "SELECT id, workflow, status, output, idempotency_key, parent_run_id, parent_step, owner, error FROM workflow_runs"))
        {
            while (await reader.ReadAsync())
            {
                runs.Add(new RunRow(IdOf(reader, 0), reader.GetString(1), reader.GetString(2), TextOf(reader, 3), TextOf(reader, 4),
                    reader.IsDBNull(5) ? null : IdOf(reader, 5), reader.IsDBNull(6) ? null : IntOf(reader, 6), TextOf(reader, 7), TextOf(reader, 8)));
            }
        }
        var steps = new List<StepRow>();
        await using (var reader = await QueryAsync(connection,
            $"SELECT id, run_id, sequence, name, kind, status, attempt, failed_attempts, interrupted_attempts, input, {output}, length(output) FROM workflow_steps"))
        {
            while (await reader.ReadAsync())
            {
                // Only the nonce of a whole output is kept: a session's large outputs together would not fit in memory.
                var text = TextOf(reader, 10);
                steps.Add(new StepRow(IdOf(reader, 0), IdOf(reader, 1), IntOf(reader, 2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                    IntOf(reader, 6), IntOf(reader, 7), IntOf(reader, 8), TextOf(reader, 9), text is { Length: > JournalRows.PrefixLength } ? text[..JournalRows.PrefixLength] : text,
                    reader.IsDBNull(11) ? null : Convert.ToInt64(reader.GetValue(11), CultureInfo.InvariantCulture), full ? NonceOf(text) : null));
            }
        }
        var events = new List<EventRow>();
        await using (var reader = await QueryAsync(connection, "SELECT id, run_id FROM workflow_events"))
        {
            while (await reader.ReadAsync())
            {
                events.Add(new EventRow(IdOf(reader, 0), IdOf(reader, 1)));
            }
        }
        return new JournalRows(runs, steps, events);
    }

    /// <summary>A statement on the journal's tables (the checker's tests use it to damage a journal on purpose).</summary>
    public async Task<int> ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>A connection to the journal's tables (on PostgreSQL, with the journal's schema as search path).</summary>
    protected abstract Task<DbConnection> OpenAsync();

    public virtual async ValueTask DisposeAsync() => await Store.DisposeAsync();

    private static async Task<DbDataReader> QueryAsync(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteReaderAsync();
    }

    private static Guid IdOf(DbDataReader reader, int ordinal) => reader.GetValue(ordinal) switch
    {
        Guid id => id,
        string text => Guid.Parse(text),
        var other => throw new InvalidDataException($"column {reader.GetName(ordinal)} holds {other.GetType().Name}, not an id"),
    };

    /// <summary>The <c>nonce</c> a step output holds (every torture step returns one), or null.</summary>
    private static string? NonceOf(string? output)
    {
        if (output is null) return null;
        try
        {
            using var json = JsonDocument.Parse(output);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("nonce", out var nonce) && nonce.ValueKind == JsonValueKind.String
                ? nonce.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int IntOf(DbDataReader reader, int ordinal) => Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private static string? TextOf(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

/// <summary>A SQLite journal file.</summary>
internal sealed class SqliteJournal(string path) : JournalDatabase(new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = path, BusyTimeout = TimeSpan.FromSeconds(10) }))
{
    public override IReadOnlyList<string> WorkerArguments => ["--db", path];

    public override async Task<string> IntegrityCheckAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        var problems = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            problems.Add(reader.GetString(0));
        }
        return problems is ["ok"] ? "ok" : string.Join("; ", problems);
    }

    protected override async Task<DbConnection> OpenAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWrite, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync();
        await using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 10000";
        await busy.ExecuteNonQueryAsync();
        return connection;
    }
}

/// <summary>A PostgreSQL schema of the session's own (dropped on dispose).</summary>
internal sealed class PostgresJournal : JournalDatabase
{
    private readonly string _connectionString;
    private readonly string _schema;

    public PostgresJournal(string connectionString, string schema)
        : base(new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions
        {
            ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "torture-driver" }.ConnectionString,
            Schema = schema,
        }))
    {
        // Unpooled: the server may be restarted under the driver, and a pooled connection would then be broken.
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "torture-driver-reads", Pooling = false, Timeout = 10 }.ConnectionString;
        _schema = schema;
    }

    public string ConnectionString => _connectionString;

    public override IReadOnlyList<string> WorkerArguments => ["--postgres", _connectionString, "--schema", _schema];

    /// <summary>PostgreSQL checks its own pages at recovery; what the torture checks is the rows (see <see cref="TortureChecker"/>).</summary>
    public override Task<string> IntegrityCheckAsync() => Task.FromResult("ok");

    /// <summary>How many of a worker's store connections are inside a transaction or running a statement.</summary>
    public async Task<long> BusyConnectionsAsync(int pid)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND (xact_start IS NOT NULL OR state <> 'idle')", (NpgsqlConnection)connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = TortureHost.WorkerNames.ApplicationName(pid) });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    protected override async Task<DbConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var path = new NpgsqlCommand($"SET search_path TO \"{_schema}\"", connection);
        await path.ExecuteNonQueryAsync();
        return connection;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // The server is gone already (a private one, stopped first): nothing is left to drop.
        }
    }
}
