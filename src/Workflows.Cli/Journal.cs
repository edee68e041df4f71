using System.Data.Common;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Cli;

/// <summary>
/// Where the journal is (<c>--db</c>, else <c>WORKFLOWS_DB</c>, else <c>./workflows.db</c>) and the one place that opens a
/// store on it: read-only for the read commands, read-write under an engine for the writes. A PostgreSQL connection
/// (<c>--connection</c>) is to be added here.
/// </summary>
internal sealed class JournalLocation
{
    public const string EnvironmentVariable = "WORKFLOWS_DB";

    private JournalLocation(string path) => Path = path;

    /// <summary>The SQLite file, absolute.</summary>
    public string Path { get; }

    public static JournalLocation From(string? db)
    {
        var path = db;
        if (string.IsNullOrWhiteSpace(path)) path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(path)) path = SqliteWorkflowStoreOptions.DefaultPath;
        try
        {
            return new JournalLocation(System.IO.Path.GetFullPath(path));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw CliException.BadInput($"--db '{path}' is not a usable path: {e.Message}");
        }
    }

    /// <summary>Opens the journal to read it: never creates, migrates or writes the file; reads beside a live engine.</summary>
    public async Task<IWorkflowStore> OpenForReadingAsync(CancellationToken cancellationToken)
    {
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
        RequireFile(); // a write never creates a journal where none was
        var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = Path });
        try
        {
            await InitializeAsync(store, cancellationToken).ConfigureAwait(false);
            return (new WorkflowEngine(store), store);
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

    internal static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
