using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Sqlite;
using Workflows.Storage;
using Workflows.Tests.TestWorkflows;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.BadInput;

/// <summary>
/// The SQLite file itself is the bad input: read-only, locked by another connection, not a database, in a missing folder.
/// Each engine call fails with a typed error naming the file, and the file is left as it was. Two engines on one file
/// are in <see cref="SqliteSharedJournalTests"/>.
/// </summary>
public sealed class SqliteFileTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "workflows-badinput", Guid.NewGuid().ToString("N"));
    private readonly List<IAsyncDisposable> _opened = [];

    private string JournalPath => Path.Combine(_directory, "journal.db");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var each in Enumerable.Reverse(_opened)) await each.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder
        }
    }

    private WorkflowEngine Engine(SqliteWorkflowStoreOptions options)
    {
        var store = new SqliteWorkflowStore(options);
        var engine = new WorkflowEngine(store, new WorkflowEngineOptions
        {
            Services = new TestServices(new ExecutionProbe()),
            LeaseDuration = TimeSpan.FromSeconds(2),
            PollInterval = TimeSpan.FromMilliseconds(50),
        });
        engine.Register(DoublingWorkflow.Definition);
        _opened.Add(store);
        _opened.Add(engine);
        return engine;
    }

    private WorkflowEngine Engine(string path) => Engine(new SqliteWorkflowStoreOptions { Path = path });

    /// <summary>A journal with one finished run in it, written and closed.</summary>
    private async Task<string> JournalWithOneRunAsync()
    {
        var store = new SqliteWorkflowStore(JournalPath);
        await using (var engine = new WorkflowEngine(store, new WorkflowEngineOptions { Services = new TestServices(new ExecutionProbe()) }))
        {
            Assert.Equal(8, await engine.RunAsync(DoublingWorkflow.Definition, 4).WaitAsync(Guard));
        }
        await store.DisposeAsync();
        return JournalPath;
    }

    /// <summary>Every row of every table, as text, read without the store: what "the file is unchanged" compares.</summary>
    private static string DumpRows(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        var names = new List<string>();
        using (var tables = connection.CreateCommand())
        {
            tables.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using var reader = tables.ExecuteReader();
            while (reader.Read()) names.Add(reader.GetString(0));
        }
        var text = new System.Text.StringBuilder();
        foreach (var name in names)
        {
            using var rows = connection.CreateCommand();
            rows.CommandText = $"SELECT * FROM \"{name}\" ORDER BY rowid";
            using var reader = rows.ExecuteReader();
            while (reader.Read())
            {
                text.Append(name);
                for (var i = 0; i < reader.FieldCount; i++) text.Append('|').Append(reader.IsDBNull(i) ? "<null>" : reader.GetValue(i));
                text.Append('\n');
            }
        }
        return text.ToString();
    }

    [Fact]
    public async Task A_read_only_journal_refuses_a_start_naming_the_file_and_the_file_is_unchanged()
    {
        // Tests run as root here, and no file mode (chmod 0444 on the file, 0555 on its folder) stops root from writing, so
        // a read-only file is stood for by the store's read-only open (SqliteWorkflowStoreOptions.ReadOnly, what the CLI reads
        // with): SQLite itself opens the file read-only. Where the tests do not run as root, the chmod'ed file is checked too.
        var path = await JournalWithOneRunAsync();
        var before = DumpRows(path);
        var engine = Engine(new SqliteWorkflowStoreOptions { Path = path, ReadOnly = true });

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.StartAsync(DoublingWorkflow.Definition, 1));

        Assert.Contains(path, refused.Message);
        Assert.Contains("read-only", refused.Message);
        Assert.Single((await engine.ListRunsAsync(new RunQuery())).Runs); // reading works
        Assert.Equal(before, DumpRows(path));
    }

    [Fact]
    public async Task A_file_without_write_permission_is_refused_naming_the_file_unless_the_process_is_root()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = await JournalWithOneRunAsync();
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var before = DumpRows(path);
        var engine = Engine(new SqliteWorkflowStoreOptions { Path = path, BusyTimeout = TimeSpan.FromMilliseconds(100) });

        var error = await Record.ExceptionAsync(() => engine.StartAsync(DoublingWorkflow.Definition, 1));

        if (Environment.IsPrivilegedProcess)
        {
            Assert.Null(error); // root writes whatever the mode says: the start went through (the tests beside this one stand in)
            return;
        }
        // Not root: SQLite opens the file but cannot write it; the error names the file (at open, or at the first write).
        Assert.True(error is StoreUnavailableException or InvalidOperationException, $"not a typed store error: {error}");
        Assert.Contains(path, error!.Message);
        Assert.Equal(before, DumpRows(path));
    }

    [Fact]
    public async Task A_journal_in_a_folder_without_write_permission_is_refused_naming_the_file_unless_the_process_is_root()
    {
        // SQLite needs to create the -wal and -shm files beside the journal. As root the folder's mode stops nothing (see above).
        if (OperatingSystem.IsWindows()) return;
        var folder = Path.Combine(_directory, "read-only-folder");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "journal.db");
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
            UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            var engine = Engine(path);
            var error = await Record.ExceptionAsync(() => engine.StartAsync(DoublingWorkflow.Definition, 1));
            if (Environment.IsPrivilegedProcess)
            {
                Assert.Null(error);
                return;
            }
            Assert.True(error is StoreUnavailableException or InvalidOperationException or IOException, $"not a typed store error: {error}");
            Assert.Contains(path, error!.Message);
            Assert.False(File.Exists(path));
        }
        finally
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task A_journal_that_SQLite_opens_read_only_refuses_a_start_as_unavailable_naming_the_file_and_SQLITE_READONLY()
    {
        // SQLite's own read-only open: what it does to a file it may not write.
        var path = await JournalWithOneRunAsync();
        var before = DumpRows(path);
        var engine = Engine(new SqliteWorkflowStoreOptions { ConnectionString = $"Data Source=file:{path}?mode=ro" });

        var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => engine.StartAsync(DoublingWorkflow.Definition, 1));

        Assert.Equal(SQLitePCL.raw.SQLITE_READONLY, refused.ErrorCode & 0xFF);
        Assert.Contains(path, refused.Message);
        Assert.Contains("read-only", refused.Message);
        Assert.Equal(before, DumpRows(path));
    }

    [Fact]
    public async Task A_read_only_open_of_a_missing_file_is_refused_naming_it_and_does_not_create_it()
    {
        var path = Path.Combine(_directory, "missing.db");
        var engine = Engine(new SqliteWorkflowStoreOptions { Path = path, ReadOnly = true });

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => engine.ListRunsAsync(new RunQuery()));

        Assert.Contains(path, error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_journal_in_a_missing_folder_is_DirectoryNotFoundException_naming_the_path_and_no_folder_is_created()
    {
        var path = Path.Combine(_directory, "no-such-folder", "journal.db");
        var engine = Engine(path);

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => engine.StartAsync(DoublingWorkflow.Definition, 1));

        Assert.Contains(path, error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_refused_naming_it_and_its_bytes_are_unchanged()
    {
        var path = Path.Combine(_directory, "notes.db");
        var bytes = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("not a database; ", 512)));
        await File.WriteAllBytesAsync(path, bytes);
        var engine = Engine(path);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.StartAsync(DoublingWorkflow.Definition, 1));

        Assert.Contains($"Cannot initialize the SQLite workflow store '{path}'", error.Message);
        Assert.Contains("file is not a database", error.Message);
        Assert.Equal(SQLitePCL.raw.SQLITE_NOTADB, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_journal_locked_by_another_connection_refuses_a_start_as_unavailable_naming_the_file_writing_nothing_until_it_is_released()
    {
        var path = await JournalWithOneRunAsync();
        var before = DumpRows(path);
        var engine = Engine(new SqliteWorkflowStoreOptions { Path = path, BusyTimeout = TimeSpan.FromMilliseconds(100) });
        await engine.InitializeAsync();

        using (var blocker = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                begin.ExecuteNonQuery();
            }

            // A start is the caller's call: it is not retried, the caller is told what is in the way.
            var busy = await Assert.ThrowsAsync<StoreUnavailableException>(() => engine.StartAsync(DoublingWorkflow.Definition, 1));
            Assert.Contains(path, busy.Message);
            Assert.Contains("locked by another connection", busy.Message);
            Assert.Equal(path, busy.DataSource);
            Assert.Contains(busy.ErrorCode & 0xFF, new int?[] { SQLitePCL.raw.SQLITE_BUSY, SQLitePCL.raw.SQLITE_LOCKED });
            Assert.Single((await engine.ListRunsAsync(new RunQuery())).Runs); // reads go on under WAL

            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        Assert.Equal(before, DumpRows(path)); // nothing of the held-back calls was written

        Assert.Equal(10, await engine.RunAsync(DoublingWorkflow.Definition, 5).WaitAsync(Guard));
    }
}
