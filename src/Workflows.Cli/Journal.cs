using System.Data.Common;
using Npgsql;
using Workflows.PostgreSql;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Cli;

/// <summary>
/// Where the journal is and the one place that opens a store on it: read-only for the read commands, read-write under an
/// engine for the writes. Either a SQLite file (<c>--db</c>, else <c>WORKFLOWS_DB</c>, else <c>./workflows.db</c>) or a
/// PostgreSQL database (<c>--connection</c>, else <c>WORKFLOWS_CONNECTION</c>; the schema <c>--schema</c>, else
/// <c>WORKFLOWS_SCHEMA</c>, else <c>workflows</c>). An option given on the command line wins over the environment; naming
/// both a file and a connection on the command line, or in the environment with neither on the command line, is bad input.
/// </summary>
internal sealed class JournalLocation
{
    public const string EnvironmentVariable = "WORKFLOWS_DB";
    public const string ConnectionVariable = "WORKFLOWS_CONNECTION";
    public const string SchemaVariable = "WORKFLOWS_SCHEMA";

    private readonly PostgreSqlWorkflowStoreOptions? _postgres;

    private JournalLocation(string path, string description)
    {
        Path = path;
        Description = description;
    }

    private JournalLocation(PostgreSqlWorkflowStoreOptions postgres, string dataSource)
    {
        _postgres = postgres;
        Path = dataSource;
        Description = "the PostgreSQL journal " + dataSource;
    }

    /// <summary>The SQLite file, absolute; for PostgreSQL, the store's data source (<c>host:port/database (schema s)</c>, never the password).</summary>
    public string Path { get; }

    /// <summary>The journal for messages: "the journal at /path/file.db" or "the PostgreSQL journal host:port/db (schema s)".</summary>
    public string Description { get; }

    public static JournalLocation From(string? db, string? connection = null, string? schema = null)
    {
        var givenDb = !string.IsNullOrWhiteSpace(db);
        var givenConnection = !string.IsNullOrWhiteSpace(connection);
        if (givenDb && givenConnection)
        {
            throw CliException.BadInput("--db and --connection both name a journal: give one (a SQLite file or a PostgreSQL connection string)");
        }
        if (!givenDb && !givenConnection)
        {
            var environmentDb = Environment.GetEnvironmentVariable(EnvironmentVariable);
            var environmentConnection = Environment.GetEnvironmentVariable(ConnectionVariable);
            if (!string.IsNullOrWhiteSpace(environmentDb) && !string.IsNullOrWhiteSpace(environmentConnection))
            {
                throw CliException.BadInput(
                    $"${EnvironmentVariable} and ${ConnectionVariable} both name a journal: unset one, or name the journal with --db or --connection");
            }
            if (!string.IsNullOrWhiteSpace(environmentConnection))
            {
                connection = environmentConnection;
                givenConnection = true;
            }
        }
        if (givenConnection)
        {
            return PostgreSqlLocation(connection!, string.IsNullOrWhiteSpace(schema) ? Environment.GetEnvironmentVariable(SchemaVariable) : schema);
        }
        if (!string.IsNullOrWhiteSpace(schema))
        {
            throw CliException.BadInput("--schema names a PostgreSQL schema: it needs --connection (or $" + ConnectionVariable + "), not a SQLite file");
        }

        var path = db;
        if (string.IsNullOrWhiteSpace(path)) path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(path)) path = SqliteWorkflowStoreOptions.DefaultPath;
        try
        {
            var full = System.IO.Path.GetFullPath(path);
            return new JournalLocation(full, "the journal at " + full);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw CliException.BadInput($"--db '{path}' is not a usable path: {e.Message}");
        }
    }

    private static JournalLocation PostgreSqlLocation(string connection, string? schema)
    {
        var options = new PostgreSqlWorkflowStoreOptions { ConnectionString = connection };
        if (!string.IsNullOrWhiteSpace(schema)) options.Schema = schema;
        try
        {
            // The store checks its options when it is built, and does not connect: a bad key or schema is bad input.
            var store = new PostgreSqlWorkflowStore(options);
            var dataSource = store.DataSource;
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return new JournalLocation(options, dataSource);
        }
        catch (ArgumentException e)
        {
            var option = e.ParamName == nameof(PostgreSqlWorkflowStoreOptions.Schema) ? "--schema" : "--connection";
            throw CliException.BadInput($"{option}: {OneLine(WithoutParameter(e))}");
        }
    }

    /// <summary>Opens the journal to read it: never creates, migrates or writes the file; reads beside a live engine.</summary>
    public async Task<IWorkflowStore> OpenForReadingAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await OpenPostgreSqlAsync(cancellationToken).ConfigureAwait(false);
        }
        RequireFile();
        var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = Path, ReadOnly = true });
        await InitializeAsync(store, cancellationToken).ConfigureAwait(false);
        return store;
    }

    /// <summary>
    /// Opens the journal read-write under an engine with no workflows registered: its writes are fenced like any engine's
    /// (a run another engine holds is asked, not taken). The caller disposes the engine, then the store.
    /// </summary>
    public async Task<(WorkflowEngine Engine, IWorkflowStore Store)> OpenForWritingAsync(CancellationToken cancellationToken)
    {
        IWorkflowStore store;
        if (_postgres is not null)
        {
            store = await OpenPostgreSqlAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            RequireFile(); // a write never creates a journal where none was
            var sqlite = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = Path });
            await InitializeAsync(sqlite, cancellationToken).ConfigureAwait(false);
            store = sqlite;
        }
        try
        {
            return (new WorkflowEngine(store), store);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A PostgreSQL store over a journal that exists: a schema with no journal is not found (not created, for reads and writes
    /// alike: the CLI never makes a journal where none was); an unknown database is not found; an unreachable server, refused
    /// credentials or a journal of a newer schema version are unavailable.
    /// </summary>
    private async Task<IWorkflowStore> OpenPostgreSqlAsync(CancellationToken cancellationToken)
    {
        var options = _postgres!;
        bool exists;
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(options.ConnectionString!);
            await using var command = dataSource.CreateCommand("SELECT to_regclass(quote_ident($1) || '.workflow_migrations') IS NOT NULL");
            command.Parameters.Add(new NpgsqlParameter { Value = options.Schema });
            exists = (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw CliException.NotFound($"no database at {Path}: {OneLine(e.MessageText)}");
        }
        catch (Exception e) when (e is NpgsqlException or DbException or IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw CliException.Unavailable($"cannot open {Description}: {OneLine(Innermost(e))}");
        }
        if (!exists) throw CliException.NotFound($"no journal at {Path}");

        var store = new PostgreSqlWorkflowStore(options);
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch (Exception e) when (e is InvalidOperationException or DbException or StoreUnavailableException or IOException or TimeoutException)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw CliException.Unavailable($"cannot open {Description}: {OneLine(e.Message)}");
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void RequireFile()
    {
        if (!File.Exists(Path)) throw CliException.NotFound($"no journal at {Path}");
    }

    private async Task InitializeAsync(SqliteWorkflowStore store, CancellationToken cancellationToken)
    {
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw CliException.NotFound($"no journal at {Path}");
        }
        catch (Exception e) when (e is InvalidOperationException or DbException or StoreUnavailableException or IOException or UnauthorizedAccessException)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw CliException.Unavailable($"cannot open the journal at {Path}: {OneLine(e.Message)}");
        }
    }

    /// <summary>The message that says what went wrong: Npgsql wraps a refused connection's socket error.</summary>
    private static string Innermost(Exception e)
    {
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException or TimeoutException) message = $"{e.Message} ({inner.Message})";
        }
        return message;
    }

    private static string WithoutParameter(ArgumentException e) =>
        e.ParamName is { } name && e.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? e.Message[..^$" (Parameter '{name}')".Length]
            : e.Message;

    internal static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
