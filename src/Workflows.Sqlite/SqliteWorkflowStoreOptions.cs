namespace Workflows.Sqlite;

/// <summary>Where and how <see cref="SqliteWorkflowStore"/> keeps its journal.</summary>
public sealed class SqliteWorkflowStoreOptions
{
    /// <summary>The file used when nothing else is configured.</summary>
    public const string DefaultPath = "workflows.db";

    /// <summary>
    /// The database file, absolute or relative to the current directory when the store is constructed.
    /// Ignored when <see cref="ConnectionString"/> is set. The file is created if missing; its directory must exist.
    /// </summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>
    /// A full Microsoft.Data.Sqlite connection string, used instead of <see cref="Path"/> when set. The store always
    /// opens the file read-write with pooling off (so that disposing the store closes the file) and foreign keys on.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// How long a statement waits for a lock held by another connection (another process reading or writing
    /// the same file) before failing: SQLite's <c>busy_timeout</c>.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Open the journal only to read it (a CLI, a report, a dashboard beside the engine): the file is opened read-only,
    /// never created, migrated or written. A missing file is a <see cref="FileNotFoundException"/>; a journal at another
    /// schema version an <see cref="InvalidOperationException"/> naming both versions; every write an
    /// <see cref="InvalidOperationException"/>. Reads run beside a live engine (WAL): they neither block it nor wait for it.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Faults to inject on the store's connection (<see cref="Workflows.Testing.FaultPoint.StoreConnection"/>: a
    /// <c>SqliteException</c> such as SQLITE_BUSY or SQLITE_IOERR, as a statement is about to run): a test switch, null in production.
    /// </summary>
    public Workflows.Testing.WorkflowFaults? Faults { get; set; }
}
