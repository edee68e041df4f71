using System.Data;
using System.Globalization;
using Npgsql;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.PostgreSql;

/// <summary>
/// The journal store for many workers: one PostgreSQL database (a schema in it) shared by every engine process. Runs are
/// claimed with <c>FOR UPDATE SKIP LOCKED</c> under leases, every journal commit is fenced by the claim in the same
/// transaction, a commit is one round trip, and engines are woken by <c>LISTEN/NOTIFY</c> (with polling as the fallback).
/// </summary>
/// <remarks>
/// <para>
/// Split by role: this file holds the data source, its life cycle and error mapping; <c>.Reads.cs</c> the queries;
/// <c>.Commits.cs</c> run creation and the journal commits (state machines and fences, one batch each); <c>.Claims.cs</c>
/// claims, renewals, due times, cancellation, events and retention; <c>.Notifications.cs</c> the wake-ups. The statements
/// and row mapping are the SQLite store's (src/Shared/Sql), spelled by <see cref="PostgreSqlDialect"/>.
/// </para>
/// <para>
/// A server that cannot be reached, a dropped connection, a server shutting down or restarting, too many connections, a
/// serialization failure or deadlock surface as <see cref="StoreUnavailableException"/>: nothing was applied, or (for a
/// commit whose reply was lost) the store recognizes the retried commit as already applied. The engine retries either way.
/// </para>
/// </remarks>
public sealed partial class PostgreSqlWorkflowStore : IWorkflowStore
{
    private static readonly PostgreSqlDialect D = PostgreSqlDialect.Instance;
    private static readonly JournalStatements Sql = new(D);

    private readonly NpgsqlDataSource _dataSource;
    private readonly Workflows.Testing.WorkflowFaults? _faults;
    private readonly SemaphoreSlim _initializing = new(1, 1);
    private volatile bool _initialized;
    private int _disposed;

    /// <summary>A store on the database <paramref name="connectionString"/> names, in the schema <c>workflows</c>.</summary>
    /// <exception cref="ArgumentException">The connection string is missing or has a key or value Npgsql cannot read.</exception>
    public PostgreSqlWorkflowStore(string connectionString)
        : this(new PostgreSqlWorkflowStoreOptions { ConnectionString = connectionString })
    {
    }

    /// <summary>A store configured by <paramref name="options"/>. Nothing is connected until first use.</summary>
    /// <exception cref="ArgumentException">The schema or the connection string is not usable (the message names which).</exception>
    public PostgreSqlWorkflowStore(PostgreSqlWorkflowStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = options.Validate();
        Schema = options.Schema;
        _faults = options.Faults;
        builder.SearchPath = Schema; // the statements name tables unqualified: every connection resolves them in the schema
        builder.Enlist = false;      // journal commits are the store's own transactions, never an ambient one
        builder.NoResetOnClose = true; // the store never changes a session's state, so a pooled connection needs no reset
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 128; // the hot statements are prepared on each connection after their second use
        }
        if (builder.Options?.Contains("plan_cache_mode", StringComparison.Ordinal) != true)
        {
            // Every statement of the store looks rows up by key or by an index it was written for: one generic plan per
            // prepared statement serves every value, and saves planning each commit's statements anew (PostgreSQL would
            // otherwise plan the first five executions, and every later one whose custom plan it keeps judging cheaper).
            builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? "-c plan_cache_mode=force_generic_plan" : builder.Options + " -c plan_cache_mode=force_generic_plan";
        }
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "Workflows";
        }
        DataSource = $"{builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{builder.Database ?? builder.Username} (schema {Schema})";
        var sources = new NpgsqlSlimDataSourceBuilder(builder.ConnectionString);
        sources.EnableTransportSecurity();
        _dataSource = sources.Build();
        _listenConnectionString = builder.ConnectionString;
        // A channel name is an identifier (at most 63 bytes): schemas that share a long prefix share a channel, which only
        // means the odd spurious wake-up.
        Channel = ("workflows_" + Schema) is { Length: > 63 } channel ? channel[..63] : "workflows_" + Schema;
    }

    /// <summary>The schema holding the journal's tables.</summary>
    public string Schema { get; }

    /// <summary>Where the journal is, for messages: host, port, database and schema (never the password).</summary>
    public string DataSource { get; }

    /// <inheritdoc />
    public async ValueTask InitializeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_initialized) return;
        await _initializing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized) return;
            try
            {
                await PostgreSqlSchema.MigrateAsync(_dataSource, Schema, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
            {
                throw Unavailable(e);
            }
            catch (PostgresException e)
            {
                throw new InvalidOperationException($"Cannot initialize the PostgreSQL workflow store {DataSource}: {e.MessageText} (SQLSTATE {e.SqlState}).", e);
            }
            _initialized = true;
        }
        finally
        {
            _initializing.Release();
        }
    }

    /// <summary>Stops listening and closes the connections. The store cannot be used afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopListeningAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    // ---- running statements --------------------------------------------------------------------------------

    /// <summary>Runs <paramref name="work"/> on a pooled connection (migrating first if needed), mapping what is about the server to <see cref="StoreUnavailableException"/>.</summary>
    private async ValueTask<T> UseAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            _faults?.Hit(Workflows.Testing.FaultPoint.StoreConnection);
            return await work(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(e);
        }
    }

    /// <summary>Runs <paramref name="work"/> in one READ COMMITTED transaction and commits it (rolled back if it throws).</summary>
    private ValueTask<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        UseAsync(async (connection, ct) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
            var result = await work(connection, transaction, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql) => new(sql, connection, transaction);

    private static async Task<RunRecord?> ReadSingleRunAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRun(D, reader) : null;
    }

    private static async Task<List<RunRecord>> ReadRunsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var runs = new List<RunRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) runs.Add(ReadRun(D, reader));
        return runs;
    }

    private static async Task<List<EventRecord>> ReadEventsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var events = new List<EventRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) events.Add(ReadEvent(D, reader));
        return events;
    }

    // ---- errors --------------------------------------------------------------------------------------------

    /// <summary>
    /// About the server or the connection, not the data: nothing of the statement was applied (or, for a lost reply, the
    /// outcome is unknown), and the caller may try again. Connection errors (08), insufficient resources (53), operator
    /// intervention such as a shutdown or restart (57P), serialization failures and deadlocks (40001, 40P01), lock timeouts
    /// (55P03); and any client-side failure (a socket, a timeout, an exhausted pool) that is not a server's error.
    /// </summary>
    internal static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState is "40001" or "40P01" or "55P03",
        NpgsqlException => true,
        System.Net.Sockets.SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    private StoreUnavailableException Unavailable(Exception e) => new(
        $"The PostgreSQL workflow store {DataSource} is unavailable ({Describe(e)}): {(e as PostgresException)?.MessageText ?? e.Message}", e);

    private static string Describe(Exception e) => e switch
    {
        PostgresException pg when pg.SqlState.StartsWith("08", StringComparison.Ordinal) => $"a connection error, SQLSTATE {pg.SqlState}",
        PostgresException pg when pg.SqlState.StartsWith("53", StringComparison.Ordinal) => $"the server is out of resources, SQLSTATE {pg.SqlState}",
        PostgresException pg when pg.SqlState.StartsWith("57P", StringComparison.Ordinal) => $"the server is shutting down, restarting or not accepting connections, SQLSTATE {pg.SqlState}",
        PostgresException pg when pg.SqlState is "40001" or "40P01" => $"a serialization failure or deadlock, SQLSTATE {pg.SqlState}",
        PostgresException pg => $"SQLSTATE {pg.SqlState}",
        NpgsqlException { InnerException: TimeoutException } or TimeoutException => "a timeout",
        NpgsqlException { InnerException: System.Net.Sockets.SocketException s } => $"cannot reach the server: {s.SocketErrorCode}",
        _ => "the connection failed",
    };
}
