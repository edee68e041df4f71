using System.Globalization;
using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.Sqlite;

/// <summary>
/// The embedded default journal store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a flushed commit is
/// on disk before <see cref="CommitAsync(IReadOnlyList{JournalWrite}, CommitDurability, CancellationToken)"/> returns (a
/// buffered one, at <c>synchronous=NORMAL</c>, is in the write-ahead log, flushed with the next), and other processes (a CLI, a dashboard, another engine) can use the
/// file at the same time.
/// </summary>
/// <remarks>
/// <para>
/// The store holds one long-lived connection, used for writes and reads alike and guarded by a semaphore; its hot-path
/// statements are prepared once and reused. Split by role: this file holds the connection and its life cycle;
/// <c>.Reads.cs</c> the queries; <c>.Commits.cs</c> run creation and the group commit of journal writes (state machines and
/// fences); <c>.Claims.cs</c> the claims, renewals, wake-up times and cancel requests. The row mapping
/// (<see cref="JournalRows"/>) and the statements (<see cref="JournalStatements"/>) are shared with the PostgreSQL store
/// (src/Shared/Sql); <see cref="SqliteDialect"/> is how SQLite spells them.
/// </para>
/// <para>
/// Several processes may share the file: every write is one <c>BEGIN IMMEDIATE</c> transaction, so claims and fences are
/// checked under SQLite's write lock. A lock held by another connection past <see cref="SqliteWorkflowStoreOptions.BusyTimeout"/>,
/// or an I/O error, surfaces as <see cref="StoreUnavailableException"/>.
/// </para>
/// </remarks>
public sealed partial class SqliteWorkflowStore : IWorkflowStore
{
    private static readonly SqliteDialect D = SqliteDialect.Instance;
    private static readonly JournalStatements Sql = new(D);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _connectionString;
    private readonly string _displayName;
    private readonly string? _filePath;
    private readonly int _busyTimeoutMs;

    private readonly SqliteOwnerPresence? _presence;
    private SqliteConnection? _connection;
    private readonly bool _readOnly;
    private readonly List<SqliteCommand> _prepared = [];
    private bool _disposed;

    /// <summary>A store on the file at <paramref name="path"/> (created if missing; its directory must exist).</summary>
    public SqliteWorkflowStore(string path)
        : this(new SqliteWorkflowStoreOptions { Path = path }, nameof(path))
    {
    }

    /// <summary>A store configured by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The path or connection string is not usable.</exception>
    public SqliteWorkflowStore(SqliteWorkflowStoreOptions options)
        : this(options, nameof(options))
    {
    }

    private SqliteWorkflowStore(SqliteWorkflowStoreOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(options, paramName);

        var busy = options.BusyTimeout.TotalMilliseconds;
        if (busy < 0 || busy > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(paramName, options.BusyTimeout,
                "SqliteWorkflowStoreOptions.BusyTimeout must be between zero and int.MaxValue milliseconds.");
        }
        _busyTimeoutMs = (int)busy;

        SqliteConnectionStringBuilder builder;
        if (options.ConnectionString is { } connectionString)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new ArgumentException("The SQLite workflow store connection string (SqliteWorkflowStoreOptions.ConnectionString) is empty; set it to null to use Path instead.", paramName);
            }
            try
            {
                builder = new SqliteConnectionStringBuilder(connectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
            {
                throw new ArgumentException($"SqliteWorkflowStoreOptions.ConnectionString is not a valid SQLite connection string: {e.Message}", paramName, e);
            }
            if (string.IsNullOrWhiteSpace(builder.DataSource))
            {
                throw new ArgumentException("The SQLite connection string (SqliteWorkflowStoreOptions.ConnectionString) has no Data Source: the store needs a database file.", paramName);
            }
        }
        else
        {
            var path = options.Path;
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("The SQLite workflow store path (SqliteWorkflowStoreOptions.Path) is empty: the store needs a database file.", paramName);
            }
            if (path.AsSpan().IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
            {
                throw new ArgumentException($"The SQLite workflow store path '{path.Replace("\0", "\\0", StringComparison.Ordinal)}' contains characters that are not valid in a path.", paramName);
            }
            try
            {
                builder = new SqliteConnectionStringBuilder { DataSource = path };
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"The SQLite workflow store path '{path}' is not usable: {e.Message}", paramName, e);
            }
        }

        var dataSource = builder.DataSource;
        if (dataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException(
                $"The SQLite workflow store needs a file, not an in-memory database ('{dataSource}'). Use InMemoryWorkflowStore for tests.", paramName);
        }
        if (builder.Mode == SqliteOpenMode.ReadOnly && !options.ReadOnly)
        {
            throw new ArgumentException($"The SQLite workflow store '{dataSource}' cannot be opened read-only (Mode=ReadOnly) unless SqliteWorkflowStoreOptions.ReadOnly is set: the store writes the journal.", paramName);
        }
        _readOnly = options.ReadOnly;
        _faults = options.Faults;
        if (_readOnly)
        {
            builder.Mode = SqliteOpenMode.ReadOnly;
        }

        // URIs (file:…) and |DataDirectory| are resolved by SQLite itself; plain paths are made absolute now so that the
        // file does not depend on a later change of the current directory, and so that errors can name it.
        if (!dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && !dataSource.StartsWith("|DataDirectory|", StringComparison.OrdinalIgnoreCase))
        {
            if (dataSource.AsSpan().IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
            {
                throw new ArgumentException($"The SQLite workflow store path '{dataSource.Replace("\0", "\\0", StringComparison.Ordinal)}' contains characters that are not valid in a path.", paramName);
            }
            string full;
            try
            {
                full = System.IO.Path.GetFullPath(dataSource);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
            {
                throw new ArgumentException($"The SQLite workflow store path '{dataSource}' is not a valid file path: {e.Message}", paramName, e);
            }
            if (string.IsNullOrEmpty(System.IO.Path.GetFileName(full)))
            {
                throw new ArgumentException($"The SQLite workflow store path '{dataSource}' names a directory, not a database file.", paramName);
            }
            builder.DataSource = full;
            _filePath = full;
            _presence = new SqliteOwnerPresence(full);
        }

        builder.Pooling = false; // disposing the store must close the file
        builder.ForeignKeys = true;
        // Microsoft.Data.Sqlite retries a busy statement until the command timeout (30 s by default) on top of SQLite's own
        // busy_timeout: the command timeout is set to the busy timeout (in whole seconds, at least 1) so the two agree.
        builder.DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds));
        _connectionString = builder.ToString();
        _displayName = builder.DataSource;
    }

    /// <summary>The database file (absolute) or URI the store opens.</summary>
    public string DataSource => _displayName;

    /// <inheritdoc />
    public async ValueTask InitializeAsync(CancellationToken cancellationToken = default)
    {
        await UseConnectionAsync(static _ => true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connection. The store cannot be used afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            CloseConnection();
            _presence?.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads a PRAGMA on the store's own connection (per-connection settings such as <c>synchronous</c>), for tests and diagnostics.</summary>
    internal ValueTask<string?> ReadPragmaAsync(string pragma, CancellationToken cancellationToken = default)
    {
        if (pragma.Length == 0 || !pragma.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"'{pragma}' is not a PRAGMA name.", nameof(pragma));
        }
        return UseConnectionAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA " + pragma;
            return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }, cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> on the open connection under the gate; every SQLite error becomes <see cref="StoreUnavailableException"/> with the file and the code.</summary>
    private async ValueTask<T> UseConnectionAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = EnsureOpen();
            _faults?.Hit(Workflows.Testing.FaultPoint.StoreConnection);
            return work(connection);
        }
        catch (SqliteException e)
        {
            // Whatever SQLite itself refused (the file locked, read-only, full, damaged) is about the store, not the run.
            throw Unavailable(e);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one IMMEDIATE transaction (SQLite's write lock, waited for per the busy timeout) and
    /// commits it, or rolls it back if it throws.
    /// </summary>
    private ValueTask<T> WriteAsync<T>(Func<SqliteTransaction, T> work, CancellationToken cancellationToken) =>
        UseConnectionAsync(connection =>
        {
            ThrowIfReadOnly();
            using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
            var result = work(transaction);
            transaction.Commit();
            return result;
        }, cancellationToken);

    private void ThrowIfReadOnly()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException($"The SQLite workflow store '{_displayName}' was opened read-only (SqliteWorkflowStoreOptions.ReadOnly): it cannot write the journal.");
        }
    }

    /// <summary>
    /// Errors of the file or of other connections, not of the data: busy or locked past the timeout, I/O, a full disk, a
    /// file that cannot be opened now. Nothing of the failed statement was applied; the caller may try again.
    /// </summary>
    internal static bool IsTransient(SqliteException e) => (e.SqliteErrorCode & 0xFF) is
        SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED or SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_FULL
        or SQLitePCL.raw.SQLITE_CANTOPEN or SQLitePCL.raw.SQLITE_PROTOCOL;

    private StoreUnavailableException Unavailable(SqliteException e) =>
        new($"The SQLite workflow store '{_displayName}' is unavailable ({Describe(e.SqliteErrorCode)}, SQLite error {e.SqliteErrorCode.ToString(CultureInfo.InvariantCulture)}): {e.Message}",
            _displayName, e.SqliteErrorCode, e);

    private static string Describe(int code) => (code & 0xFF) switch
    {
        SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED => "locked by another connection past the busy timeout",
        SQLitePCL.raw.SQLITE_READONLY => "the file or its folder is read-only",
        SQLitePCL.raw.SQLITE_IOERR => "an I/O error",
        SQLitePCL.raw.SQLITE_FULL => "the disk is full",
        SQLitePCL.raw.SQLITE_CANTOPEN => "the file cannot be opened",
        SQLitePCL.raw.SQLITE_CORRUPT or SQLitePCL.raw.SQLITE_NOTADB => "the file is damaged or not a database",
        _ => "SQLite refused the statement",
    };

    // ---- connection ---------------------------------------------------------------------------------------

    /// <summary>Opens, configures and migrates the connection on first use. Call under the gate.</summary>
    private readonly Workflows.Testing.WorkflowFaults? _faults;

    private SqliteConnection EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { } open)
        {
            return open;
        }

        if (_filePath is not null)
        {
            if (Directory.Exists(_filePath))
            {
                throw new IOException($"Cannot open the SQLite workflow store '{_filePath}': it is a directory, not a database file.");
            }
            var directory = System.IO.Path.GetDirectoryName(_filePath);
            if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            {
                throw new DirectoryNotFoundException(
                    $"Cannot open the SQLite workflow store '{_filePath}': the directory '{directory}' does not exist.");
            }
            if (_readOnly && !File.Exists(_filePath))
            {
                throw new FileNotFoundException($"No workflow journal at '{_filePath}': the file does not exist (a read-only store never creates it).", _filePath);
            }
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            try
            {
                connection.Open();
            }
            catch (SqliteException e) when (IsTransient(e))
            {
                throw Unavailable(e);
            }
            catch (SqliteException e)
            {
                throw new IOException($"Cannot open the SQLite workflow store '{_displayName}': {e.Message}", e);
            }

            try
            {
                // busy_timeout first: the statements below may wait for another process's lock.
                ExecuteSetup(connection, "PRAGMA busy_timeout = " + _busyTimeoutMs.ToString(CultureInfo.InvariantCulture));
                if (_readOnly)
                {
                    // Neither the journal mode nor the schema is changed: the file is read as the engines keep it.
                    SqliteSchema.RequireCurrent(connection, _displayName);
                    _connection = connection;
                    PrepareCommands(connection);
                    return connection;
                }
                var mode = ExecuteSetup(connection, "PRAGMA journal_mode = WAL");
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"The SQLite workflow store '{_displayName}' could not be switched to WAL mode (journal_mode is '{mode}'). The file system may not support it.");
                }
                ExecuteSetup(connection, "PRAGMA synchronous = FULL");
                ExecuteSetup(connection, "PRAGMA foreign_keys = ON");
                SqliteSchema.Migrate(connection);
            }
            catch (SqliteException e) when (IsTransient(e))
            {
                throw Unavailable(e);
            }
            catch (SqliteException e)
            {
                throw new InvalidOperationException($"Cannot initialize the SQLite workflow store '{_displayName}': {e.Message}", e);
            }

            _connection = connection;
            PrepareCommands(connection);
            return connection;
        }
        catch
        {
            CloseConnection();
            connection.Dispose();
            throw;
        }
    }

    private static string? ExecuteSetup(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static RunRecord? ReadSingleRun(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRun(D, reader) : null;
    }

    private static List<RunRecord> ReadRuns(SqliteCommand command)
    {
        var runs = new List<RunRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) runs.Add(ReadRun(D, reader));
        return runs;
    }

    private static List<EventRecord> ReadEvents(SqliteCommand command)
    {
        var events = new List<EventRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) events.Add(ReadEvent(D, reader));
        return events;
    }

    /// <summary>Adds parameters of these kinds, named as given, in order.</summary>
    private static Action<SqliteCommand> Parameters(params (string Name, SqlValueKind Kind)[] parameters) => command =>
    {
        foreach (var (name, kind) in parameters) D.AddParameters(command, name, kind);
    };

    private static Action<SqliteCommand> Parameters(JournalColumn[] columns) => command => AddParameters(D, command, columns);

    private SqliteCommand Prepare(SqliteConnection connection, string sql, Action<SqliteCommand> addParameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        addParameters(command);
        command.Prepare();
        _prepared.Add(command);
        return command;
    }

    private void CloseConnection()
    {
        foreach (var command in _prepared)
        {
            command.Dispose();
        }
        _prepared.Clear();
        ForgetPreparedCommands();
        _connection?.Dispose();
        _connection = null;
    }
}
