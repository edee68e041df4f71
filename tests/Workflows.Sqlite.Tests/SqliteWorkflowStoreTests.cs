using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Storage;

namespace Workflows.Sqlite.Tests;

/// <summary>The SQLite store passes the store contract, plus what only a file-backed store can show.</summary>
public sealed class SqliteWorkflowStoreTests : WorkflowStoreContractTests
{
    private readonly string _directory;
    private readonly string _path;
    private readonly List<SqliteWorkflowStore> _extraStores = [];

    public SqliteWorkflowStoreTests()
    {
        _directory = Path.Combine(Path.GetTempPath(), "workflows-sqlite-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _path = Path.Combine(_directory, "journal.db");
    }

    protected override Task<IWorkflowStore> CreateStoreAsync() => Task.FromResult<IWorkflowStore>(new SqliteWorkflowStore(_path));

    private SqliteWorkflowStore SqliteStore => (SqliteWorkflowStore)Store;

    /// <summary>Another store instance on the same file, disposed with the test.</summary>
    private SqliteWorkflowStore OpenAnother(string? path = null)
    {
        var store = new SqliteWorkflowStore(path ?? _path);
        _extraStores.Add(store);
        return store;
    }

    /// <summary>A raw connection to the same file, outside the store.</summary>
    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        connection.Open();
        using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 5000";
        busy.ExecuteNonQuery();
        return connection;
    }

    private object? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command.ExecuteScalar();
    }

    public override async Task DisposeAsync()
    {
        foreach (var store in _extraStores)
        {
            await store.DisposeAsync();
        }
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail the test.
        }
    }

    // ---- durability and sharing ---------------------------------------------------------------------------

    [Fact]
    public async Task Data_survives_closing_and_reopening_the_store()
    {
        var run = await CreateAsync(FullRun());
        var step = FullStep(run, 1);
        await CommitAsync(JournalWrite.Insert(step));
        await Store.DisposeAsync();

        await using var reopened = new SqliteWorkflowStore(_path);
        await reopened.InitializeAsync();

        AssertSameRun(run, await reopened.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, Assert.Single(await reopened.GetStepsAsync(Tenant, run.Id)));
        Assert.False((await reopened.CreateRunAsync(run with { Input = "\"again\"" })).Created);
    }

    [Fact]
    public async Task Disposing_the_store_closes_the_file()
    {
        await CreateAsync(NewRun());
        await Store.DisposeAsync();

        // With every connection closed, SQLite checkpoints the WAL and removes it.
        Assert.False(File.Exists(_path + "-wal"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.GetRunAsync(Tenant, Guid.CreateVersion7()).AsTask());
    }

    [Fact]
    public async Task A_second_store_on_the_same_file_reads_what_the_first_writes_while_it_is_open()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));

        var reader = OpenAnother();
        await reader.InitializeAsync();
        AssertSameRun(run, await reader.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, Assert.Single(await reader.GetStepsAsync(Tenant, run.Id)));

        // Later commits of the first store are visible to the second, and the other way round.
        var done = step with { Status = StepStatus.Succeeded, Output = "1" };
        await CommitAsync(JournalWrite.Update(done));
        AssertSameStep(done, Assert.Single(await reader.GetStepsAsync(Tenant, run.Id)));

        var second = NewRun();
        Assert.True((await reader.CreateRunAsync(second)).Created);
        AssertSameRun(second, await Store.GetRunAsync(Tenant, second.Id));
        Assert.Single(await Store.ListRunsAsync(RunQuery.Unfinished()), r => r.Id == second.Id);
    }

    [Fact]
    public async Task A_raw_reader_holding_a_read_transaction_does_not_block_commits()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        using var connection = OpenRaw();
        using var transaction = connection.BeginTransaction(deferred: true);
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT count(*) FROM workflow_runs";
        Assert.Equal(1L, read.ExecuteScalar());

        await CommitAsync(JournalWrite.Insert(NewStep(run, 1)));

        // The reader keeps its snapshot (WAL) while the writer has committed.
        read.CommandText = "SELECT count(*) FROM workflow_steps";
        Assert.Equal(0L, read.ExecuteScalar());
        Assert.Single(await Store.GetStepsAsync(Tenant, run.Id));
    }

    [Fact]
    public async Task Two_stores_on_one_file_creating_with_one_idempotency_key_create_one_run()
    {
        var other = OpenAnother();
        await other.InitializeAsync();
        var stores = new IWorkflowStore[] { Store, other };

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(async () => await stores[i % 2].CreateRunAsync(NewRun(key: "shared")))));

        var created = Assert.Single(results, r => r.Created);
        Assert.All(results, r => Assert.Equal(created.Run.Id, r.Run.Id));
    }

    // ---- schema -------------------------------------------------------------------------------------------

    [Fact]
    public async Task Initialize_twice_is_harmless_and_records_migration_1_once()
    {
        await Store.InitializeAsync();
        await Store.InitializeAsync();

        Assert.Equal(1L, Scalar("SELECT count(*) FROM workflow_migrations"));
        Assert.Equal(1L, Scalar("SELECT count(*) FROM workflow_migrations WHERE version = 1"));
        Assert.Equal("initial schema", Scalar("SELECT name FROM workflow_migrations WHERE version = 1"));
        var appliedAt = (string)Scalar("SELECT applied_at FROM workflow_migrations WHERE version = 1")!;
        Assert.True(DateTimeOffset.TryParse(appliedAt, out _), appliedAt);
    }

    [Fact]
    public async Task Stores_initializing_the_same_new_file_concurrently_migrate_it_once()
    {
        var path = Path.Combine(_directory, "concurrent.db");
        var stores = Enumerable.Range(0, 4).Select(_ => OpenAnother(path)).ToArray();

        await Task.WhenAll(stores.Select(s => Task.Run(async () => await s.InitializeAsync())));

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM workflow_migrations WHERE version = 1";
        Assert.Equal(1L, command.ExecuteScalar());
        command.CommandText = "SELECT count(*) FROM workflow_migrations";
        Assert.Equal(1L, command.ExecuteScalar());

        var run = NewRun();
        Assert.True((await stores[0].CreateRunAsync(run)).Created);
        AssertSameRun(run, await stores[3].GetRunAsync(Tenant, run.Id));
    }

    [Fact]
    public void The_schema_has_its_tables_and_indexes()
    {
        foreach (var table in new[] { "workflow_migrations", "workflow_runs", "workflow_steps", "workflow_events", "workflow_snapshots" })
        {
            Assert.Equal(1L, Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name", ("$name", table)));
        }
        var idempotency = (string)Scalar("SELECT sql FROM sqlite_master WHERE name = 'ux_workflow_runs_idempotency'")!;
        Assert.Contains("UNIQUE", idempotency);
        Assert.Contains("idempotency_key IS NOT NULL", idempotency);
        Assert.Equal(1L, Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_workflow_runs_status'"));
        foreach (var table in new[] { "workflow_steps", "workflow_events", "workflow_snapshots" })
        {
            Assert.Equal("CASCADE", Scalar($"SELECT on_delete FROM pragma_foreign_key_list('{table}') WHERE \"table\" = 'workflow_runs'"));
            Assert.Equal(1L, Scalar($"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = 'tenant_id'"));
        }
    }

    [Fact]
    public async Task Commits_that_queue_up_are_written_as_one_group_where_a_refused_one_undoes_only_itself()
    {
        await using var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = _path, BusyTimeout = TimeSpan.FromMinutes(2) });
        await store.InitializeAsync();
        var runs = new List<RunRecord>();
        for (var i = 0; i < 12; i++) runs.Add((await store.CreateRunAsync(NewRun(RunStatus.Running))).Run);

        // Another process holds the write lock: the first commit waits for it inside the store, holding the connection,
        // while the other eleven queue up behind it; they are then written together, as one group.
        using var blocker = OpenRaw();
        var exclusive = blocker.BeginTransaction(deferred: false);
        var first = Task.Run(() => store.CommitAsync([JournalWrite.Insert(NewStep(runs[0], 1))]).AsTask());
        await WaitUntil(() => store.TakenCommits == 1); // taken by the writer, which now waits for the lock
        var rest = runs.Skip(1).Select((run, i) => Task.Run(() =>
        {
            var writes = new List<JournalWrite> { JournalWrite.Insert(NewStep(run, 1)) };
            if (i == 4) writes.Add(JournalWrite.Update(run with { Status = RunStatus.Pending })); // illegal: Running -> Pending
            return store.CommitAsync(writes).AsTask();
        })).ToList();
        await WaitUntil(() => store.QueuedCommits == rest.Count);
        exclusive.Rollback();
        exclusive.Dispose();

        await first;
        var refused = rest[4];
        await Assert.ThrowsAsync<IllegalTransitionException>(() => refused);
        await Task.WhenAll(rest.Where(t => t != refused));
        for (var i = 0; i < runs.Count; i++)
        {
            Assert.Equal(i == 5 ? 0 : 1, (await store.GetStepsAsync(Tenant, runs[i].Id)).Count);
        }
    }

    /// <summary>Polls a condition that other threads will make true; gives up (failing the test) rather than hang.</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!condition())
        {
            await Task.Delay(1, guard.Token);
        }
    }

    [Fact]
    public async Task A_commit_cancelled_before_it_is_written_writes_nothing()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.CommitAsync([JournalWrite.Insert(NewStep(run, 1))], cancelled.Token).AsTask());

        Assert.Empty(await Store.GetStepsAsync(Tenant, run.Id));
        await CommitAsync(JournalWrite.Insert(NewStep(run, 1)));
        Assert.Single(await Store.GetStepsAsync(Tenant, run.Id));
    }

    [Fact]
    public async Task Deleting_a_run_deletes_its_steps()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        await CommitAsync(JournalWrite.Insert(NewStep(run, 1)), JournalWrite.Insert(NewStep(run, 2)));

        using var connection = OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA foreign_keys = ON; DELETE FROM workflow_runs WHERE id = $id; SELECT count(*) FROM workflow_steps;";
        command.Parameters.AddWithValue("$id", run.Id.ToString("D"));

        Assert.Equal(0L, command.ExecuteScalar());
        Assert.Empty(await Store.GetStepsAsync(Tenant, run.Id));
    }

    [Fact]
    public async Task Enums_are_stored_by_name()
    {
        var run = await CreateAsync(NewRun(RunStatus.Waiting));
        await CommitAsync(JournalWrite.Insert(NewStep(run, 1, StepStatus.Skipped) with { Kind = StepKind.ChildWorkflow }));

        Assert.Equal("Waiting", Scalar("SELECT status FROM workflow_runs"));
        Assert.Equal("Skipped", Scalar("SELECT status FROM workflow_steps"));
        Assert.Equal("ChildWorkflow", Scalar("SELECT kind FROM workflow_steps"));
        Assert.Equal(run.Id.ToString("D"), Scalar("SELECT id FROM workflow_runs"));
    }

    // ---- connection settings ------------------------------------------------------------------------------

    [Fact]
    public async Task The_connection_uses_WAL_full_synchronous_foreign_keys_and_a_busy_timeout()
    {
        Assert.Equal("wal", await SqliteStore.ReadPragmaAsync("journal_mode"));
        Assert.Equal("2", await SqliteStore.ReadPragmaAsync("synchronous")); // 2 = FULL
        Assert.Equal("1", await SqliteStore.ReadPragmaAsync("foreign_keys"));
        Assert.Equal("5000", await SqliteStore.ReadPragmaAsync("busy_timeout"));

        // WAL is a property of the file: a separate connection sees it too.
        Assert.Equal("wal", Scalar("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task The_busy_timeout_is_configurable()
    {
        var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = _path, BusyTimeout = TimeSpan.FromSeconds(12) });
        _extraStores.Add(store);
        await store.InitializeAsync();

        Assert.Equal("12000", await store.ReadPragmaAsync("busy_timeout"));
    }

    [Fact]
    public async Task A_connection_string_can_be_given_instead_of_a_path()
    {
        var path = Path.Combine(_directory, "from-connection-string.db");
        var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { ConnectionString = $"Data Source={path};Cache=Private" });
        _extraStores.Add(store);
        await store.InitializeAsync();
        var run = NewRun();
        await store.CreateRunAsync(run);

        Assert.Equal(path, store.DataSource);
        Assert.True(File.Exists(path));
        AssertSameRun(run, await store.GetRunAsync(Tenant, run.Id));
        Assert.Equal("2", await store.ReadPragmaAsync("synchronous"));
    }

    [Fact]
    public void The_default_path_is_workflows_db_in_the_current_directory()
    {
        Assert.Equal("workflows.db", new SqliteWorkflowStoreOptions().Path);
        var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions());
        _extraStores.Add(store);

        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "workflows.db"), store.DataSource);
    }

    // ---- bad configuration --------------------------------------------------------------------------------

    [Fact]
    public async Task A_path_in_a_missing_directory_fails_clearly_at_initialize()
    {
        var missing = Path.Combine(_directory, "no-such-directory", "journal.db");
        var store = OpenAnother(missing);

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => store.InitializeAsync().AsTask());

        Assert.Contains(missing, error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));
    }

    [Fact]
    public async Task A_path_that_is_a_directory_fails_clearly_at_initialize()
    {
        var directory = Path.Combine(_directory, "a-directory");
        Directory.CreateDirectory(directory);
        var store = OpenAnother(directory);

        var error = await Assert.ThrowsAnyAsync<IOException>(() => store.InitializeAsync().AsTask());

        Assert.Contains(directory, error.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_fails_clearly_at_initialize()
    {
        var path = Path.Combine(_directory, "not-a-db.db");
        await File.WriteAllTextAsync(path, new string('x', 4096));
        var store = OpenAnother(path);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => store.InitializeAsync().AsTask());

        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(":memory:")]
    [InlineData("bad\0name.db")]
    public void A_bad_path_is_refused_with_an_argument_exception(string path)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new SqliteWorkflowStore(path));

        Assert.Contains("SQLite", error.Message);
    }

    [Fact]
    public void A_path_ending_in_a_separator_is_refused()
    {
        var path = _directory + Path.DirectorySeparatorChar;

        var error = Assert.Throws<ArgumentException>(() => new SqliteWorkflowStore(path));

        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("Data Source=x.db;Bogus Keyword=1", "Bogus Keyword")]
    [InlineData("Mode=ReadWriteCreate", "Data Source")]
    [InlineData("Data Source=x.db;Mode=ReadOnly", "read-only")]
    [InlineData("Data Source=x.db;Mode=Memory", "in-memory")]
    [InlineData(" ", "ConnectionString")]
    public void A_bad_connection_string_is_refused_with_an_argument_exception(string connectionString, string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { ConnectionString = connectionString }));

        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_negative_busy_timeout_is_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = _path, BusyTimeout = TimeSpan.FromSeconds(-1) }));
    }

    // ---- corrupt rows -------------------------------------------------------------------------------------

    private void Execute(string sql, params (string Name, object Value)[] parameters) => Scalar(sql, parameters);

    [Theory]
    [InlineData("status", "'Bogus'")]
    [InlineData("status", "'2'")]
    [InlineData("error", "'{not json'")]
    [InlineData("error", "'{\"kind\":\"Exploded\",\"message\":\"x\"}'")]
    [InlineData("created_at", "'yesterday'")]
    [InlineData("started_at", "'2025-13-45T99:00:00'")]
    [InlineData("parent_step", "'seven'")]
    [InlineData("parent_run_id", "'not-a-guid'")]
    public async Task A_corrupt_run_row_names_the_table_row_and_column(string column, string value)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        Execute($"UPDATE workflow_runs SET {column} = {value} WHERE id = $id", ("$id", run.Id.ToString("D")));

        var error = await Assert.ThrowsAsync<JournalCorruptException>(() => Store.GetRunAsync(Tenant, run.Id).AsTask());
        Assert.Contains("workflow_runs", error.Message);
        Assert.Contains(run.Id.ToString("D"), error.Message);
        Assert.Contains($"'{column}'", error.Message);

        await Assert.ThrowsAsync<JournalCorruptException>(() => Store.ListRunsAsync(new RunQuery()).AsTask());
    }

    [Theory]
    [InlineData("status", "'Bogus'")]
    [InlineData("kind", "'Teleport'")]
    [InlineData("error", "'[]'")]
    [InlineData("updated_at", "'2025-01-01'")]
    [InlineData("cost_usd", "'cheap'")]
    [InlineData("sequence", "'first'")]
    [InlineData("input_tokens", "99999999999")]
    public async Task A_corrupt_step_row_names_the_table_row_and_column(string column, string value)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1);
        await CommitAsync(JournalWrite.Insert(step));
        Execute($"UPDATE workflow_steps SET {column} = {value} WHERE id = $id", ("$id", step.Id.ToString("D")));

        var error = await Assert.ThrowsAsync<JournalCorruptException>(() => Store.GetStepsAsync(Tenant, run.Id).AsTask());

        Assert.Contains("workflow_steps", error.Message);
        Assert.Contains(step.Id.ToString("D"), error.Message);
        Assert.Contains($"'{column}'", error.Message);
    }

    [Fact]
    public async Task Updating_a_step_whose_stored_status_is_corrupt_reports_the_corruption_and_applies_nothing()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));
        Execute("UPDATE workflow_steps SET status = 'Bogus' WHERE id = $id", ("$id", step.Id.ToString("D")));

        var error = await Assert.ThrowsAsync<JournalCorruptException>(() => CommitAsync(
            JournalWrite.Update(run with { Status = RunStatus.Waiting }),
            JournalWrite.Update(step with { Status = StepStatus.Succeeded })).AsTask());

        Assert.Contains("'status'", error.Message);
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
    }
}
