using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Storage;

namespace Workflows.Sqlite.Tests;

/// <summary>The SQLite store passes the store contract, plus what only a file-backed store can show.</summary>
public sealed partial class SqliteWorkflowStoreTests : WorkflowStoreContractTests
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
    private SqliteWorkflowStore OpenAnother(string? path = null) => OpenAnother(new SqliteWorkflowStoreOptions { Path = path ?? _path });

    /// <summary>Another store instance configured by <paramref name="options"/>, disposed with the test.</summary>
    private SqliteWorkflowStore OpenAnother(SqliteWorkflowStoreOptions options)
    {
        var store = new SqliteWorkflowStore(options);
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
    public async Task Initialize_twice_is_harmless_and_records_each_migration_once()
    {
        await Store.InitializeAsync();
        await Store.InitializeAsync();

        Assert.Equal((long)SqliteSchema.Migrations.Length, Scalar("SELECT count(*) FROM workflow_migrations"));
        Assert.Equal(1L, Scalar("SELECT count(*) FROM workflow_migrations WHERE version = 1"));
        Assert.Equal(1L, Scalar("SELECT count(*) FROM workflow_migrations WHERE version = 2"));
        Assert.Equal(1L, Scalar("SELECT count(*) FROM workflow_migrations WHERE version = 3"));
        Assert.Equal("initial schema", Scalar("SELECT name FROM workflow_migrations WHERE version = 1"));
        Assert.StartsWith("execution core", (string)Scalar("SELECT name FROM workflow_migrations WHERE version = 2")!);
        foreach (var version in new[] { 1, 2 })
        {
            var appliedAt = (string)Scalar("SELECT applied_at FROM workflow_migrations WHERE version = $v", ("$v", version))!;
            Assert.True(DateTimeOffset.TryParse(appliedAt, out _), appliedAt);
        }
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
        command.CommandText = "SELECT count(*) FROM workflow_migrations WHERE version = 2";
        Assert.Equal(1L, command.ExecuteScalar());
        command.CommandText = "SELECT count(*) FROM workflow_migrations";
        Assert.Equal((long)SqliteSchema.Migrations.Length, command.ExecuteScalar());

        var run = NewRun();
        Assert.True((await stores[0].CreateRunAsync(run)).Created);
        AssertSameRun(run, await stores[3].GetRunAsync(Tenant, run.Id));
    }

    [Fact]
    public void The_schema_has_its_tables_and_indexes()
    {
        foreach (var table in new[] { "workflow_migrations", "workflow_runs", "workflow_steps", "workflow_events", "workflow_snapshots", "workflow_claims" })
        {
            Assert.Equal(1L, Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name", ("$name", table)));
        }
        var idempotency = (string)Scalar("SELECT sql FROM sqlite_master WHERE name = 'ux_workflow_runs_idempotency'")!;
        Assert.Contains("UNIQUE", idempotency);
        Assert.Contains("idempotency_key IS NOT NULL", idempotency);
        Assert.Equal(1L, Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_workflow_runs_status'"));
        foreach (var table in new[] { "workflow_steps", "workflow_events", "workflow_snapshots", "workflow_claims" })
        {
            Assert.Equal("CASCADE", Scalar($"SELECT on_delete FROM pragma_foreign_key_list('{table}') WHERE \"table\" = 'workflow_runs'"));
            Assert.Equal(1L, Scalar($"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = 'tenant_id'"));
        }
        AssertExecutionCoreSchema(Scalar);
        AssertDurablePrimitivesSchema(Scalar);
    }

    /// <summary>What migration 2 adds: the execution core's columns and the indexes that claims and wake-ups use.</summary>
    private static void AssertExecutionCoreSchema(Func<string, (string Name, object Value)[], object?> scalar)
    {
        foreach (var column in new[] { "wake_at", "waiting_for", "deadline_at", "cancel_requested_at", "cancel_reason", "forked_from_run_id" })
        {
            Assert.Equal(1L, scalar($"SELECT count(*) FROM pragma_table_info('workflow_runs') WHERE name = '{column}'", []));
        }
        foreach (var column in new[] { "failed_attempts", "interrupted_attempts" })
        {
            Assert.Equal(1L, scalar($"SELECT \"notnull\" FROM pragma_table_info('workflow_steps') WHERE name = '{column}'", []));
            Assert.Equal("0", scalar($"SELECT dflt_value FROM pragma_table_info('workflow_steps') WHERE name = '{column}'", []));
        }
        foreach (var index in new[] { "ix_workflow_runs_waiting", "ix_workflow_runs_owner" })
        {
            Assert.Equal(1L, scalar($"SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '{index}'", []));
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

    [Fact]
    public async Task A_buffered_commit_is_committed_at_normal_synchronous_and_the_connection_is_set_back_to_full()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var before = SqliteStore.CommitTransactions;

        await SqliteStore.CommitAsync([JournalWrite.Insert(NewStep(run, 1, StepStatus.Running))], CommitDurability.Buffered);

        Assert.Equal((before.Flushed, before.Buffered + 1), SqliteStore.CommitTransactions);
        Assert.Equal("2", await SqliteStore.ReadPragmaAsync("synchronous")); // back to FULL for every other write
        Assert.Equal(1L, Scalar("SELECT count(*) FROM workflow_steps")); // committed: another connection reads it

        await SqliteStore.CommitAsync([JournalWrite.Insert(NewStep(run, 2, StepStatus.Running))]);
        Assert.Equal((before.Flushed + 1, before.Buffered + 1), SqliteStore.CommitTransactions);
    }

    [Fact]
    public async Task A_group_of_queued_commits_is_flushed_when_one_of_them_asks_for_it()
    {
        await using var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = _path, BusyTimeout = TimeSpan.FromMinutes(2) });
        await store.InitializeAsync();
        var runs = new List<RunRecord>();
        for (var i = 0; i < 4; i++) runs.Add((await store.CreateRunAsync(NewRun(RunStatus.Running))).Run);

        using var blocker = OpenRaw();
        var exclusive = blocker.BeginTransaction(deferred: false);
        var first = Task.Run(() => store.CommitAsync([JournalWrite.Insert(NewStep(runs[0], 1))], CommitDurability.Buffered).AsTask());
        await WaitUntil(() => store.TakenCommits == 1);
        var before = store.CommitTransactions;
        var rest = new[]
        {
            Task.Run(() => store.CommitAsync([JournalWrite.Insert(NewStep(runs[1], 1))], CommitDurability.Buffered).AsTask()),
            Task.Run(() => store.CommitAsync([JournalWrite.Insert(NewStep(runs[2], 1))], CommitDurability.Flushed).AsTask()),
            Task.Run(() => store.CommitAsync([JournalWrite.Insert(NewStep(runs[3], 1))], CommitDurability.Buffered).AsTask()),
        };
        await WaitUntil(() => store.QueuedCommits == rest.Length);
        exclusive.Rollback();
        exclusive.Dispose();
        await first;
        await Task.WhenAll(rest);

        // The first went alone (buffered); the three queued behind it went as one group, flushed for the one that asked.
        Assert.Equal((before.Flushed + 1, before.Buffered + 1), store.CommitTransactions);
        Assert.Equal("2", await store.ReadPragmaAsync("synchronous"));
        foreach (var run in runs) Assert.Single(await store.GetStepsAsync(Tenant, run.Id));
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

    [Theory]
    [InlineData(0)]
    [InlineData(250)]
    [InlineData(1500)]
    [InlineData(12000)]
    public async Task The_busy_timeout_is_configurable_and_is_what_the_stores_connection_uses(int milliseconds)
    {
        var store = OpenAnother(new SqliteWorkflowStoreOptions { Path = _path, BusyTimeout = TimeSpan.FromMilliseconds(milliseconds) });
        await store.InitializeAsync();

        Assert.Equal(milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), await store.ReadPragmaAsync("busy_timeout"));
        // Still after the connection was used for writes.
        var run = NewRun(RunStatus.Running);
        await store.CreateRunAsync(run);
        await store.CommitAsync([JournalWrite.Insert(NewStep(run, 1))]);
        Assert.Equal(milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), await store.ReadPragmaAsync("busy_timeout"));
    }

    // ---- locks held by other connections ------------------------------------------------------------------

    [Fact]
    public async Task A_database_locked_by_another_connection_makes_writes_unavailable_applying_nothing_until_the_lock_is_released()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });
        var other = await CreateAsync(NewRun());
        var store = OpenAnother(new SqliteWorkflowStoreOptions { Path = _path, BusyTimeout = TimeSpan.FromMilliseconds(100) });
        await store.InitializeAsync();
        Assert.Equal("100", await store.ReadPragmaAsync("busy_timeout"));
        var step = NewStep(run, 1, StepStatus.Running);
        var suspended = run with { Status = RunStatus.Waiting, WakeAt = At(600), WaitingFor = "sleep:2", UpdatedAt = T0.AddSeconds(1) };
        JournalWrite[] writes =
        [
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"),
            JournalWrite.Insert(step),
            JournalWrite.Update(suspended),
            JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"),
        ];

        using (var blocker = OpenRaw())
        {
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                begin.ExecuteNonQuery();
            }

            var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CommitAsync(writes).AsTask());
            Assert.Contains(_path, refused.Message);
            var cause = Assert.IsType<SqliteException>(refused.InnerException);
            Assert.Contains(cause.SqliteErrorCode & 0xFF, new[] { SQLitePCL.raw.SQLITE_BUSY, SQLitePCL.raw.SQLITE_LOCKED });
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ClaimRunAsync(ClaimOf(other, "engine-b")).AsTask());

            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        // Nothing of the refused calls was applied.
        AssertSameRun(run, await store.GetRunAsync(Tenant, run.Id));
        AssertSameRun(other, await store.GetRunAsync(Tenant, other.Id));
        Assert.Empty(await store.GetStepsAsync(Tenant, run.Id));

        // The lock is gone: the very same calls go through now.
        await store.CommitAsync(writes);
        AssertSameRun(suspended with { Owner = null, LeaseExpiresAt = null }, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
        Assert.Equal("engine-b", (await store.ClaimRunAsync(ClaimOf(other, "engine-b")))?.Owner);
    }

    [Fact]
    public async Task A_write_to_a_read_only_file_is_a_typed_store_error_naming_the_file_and_the_sqlite_code_and_writes_nothing()
    {
        var existing = await CreateAsync(NewRun());
        // Tests run as root, which no file mode stops: SQLite's own read-only open stands for a read-only file or folder.
        var readOnly = OpenAnother(new SqliteWorkflowStoreOptions { ConnectionString = $"Data Source=file:{_path}?mode=ro" });
        await readOnly.InitializeAsync();
        AssertSameRun(existing, await readOnly.GetRunAsync(Tenant, existing.Id)); // reading works

        var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => readOnly.CreateRunAsync(NewRun()).AsTask());
        Assert.Equal(SQLitePCL.raw.SQLITE_READONLY, refused.ErrorCode & 0xFF);
        Assert.Contains(_path, refused.DataSource);
        Assert.Contains("read-only", refused.Message);
        Assert.Contains(_path, refused.Message);
        var commit = await Assert.ThrowsAsync<StoreUnavailableException>(() =>
            readOnly.CommitAsync([JournalWrite.Update(existing with { Status = RunStatus.Running })]).AsTask());
        Assert.Equal(SQLitePCL.raw.SQLITE_READONLY, commit.ErrorCode & 0xFF);
        AssertSameRun(existing, await Store.GetRunAsync(Tenant, existing.Id));
        Assert.Single(await Store.ListRunsAsync(new RunQuery()));
    }

    [Fact]
    public async Task A_store_on_an_up_to_date_file_opens_and_reads_while_another_connection_holds_the_write_lock()
    {
        var run = await CreateAsync(NewRun());
        using var blocker = OpenRaw();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        // No migration to apply: opening needs no write lock, so an engine can start while another process writes.
        var second = OpenAnother(new SqliteWorkflowStoreOptions { Path = _path, BusyTimeout = TimeSpan.Zero });
        await second.InitializeAsync();
        AssertSameRun(run, await second.GetRunAsync(Tenant, run.Id));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => second.CommitAsync([JournalWrite.Update(run with { Status = RunStatus.Running })]).AsTask());
    }

    [Fact]
    public async Task Two_stores_on_one_file_claiming_ready_runs_at_once_never_take_the_same_run()
    {
        var other = OpenAnother();
        await other.InitializeAsync();
        var runs = new List<RunRecord>();
        for (var i = 0; i < 30; i++) runs.Add(await CreateAsync(NewRun()));

        async Task<List<Guid>> ClaimAllAsync(IWorkflowStore store, string owner)
        {
            var taken = new List<Guid>();
            while (true)
            {
                var batch = await store.ClaimReadyRunsAsync(ReadyClaim(owner, 2, "orders"));
                if (batch.Count == 0) return taken;
                taken.AddRange(batch.Select(r => r.Id));
                Assert.True(taken.Count <= runs.Count, $"{owner} claimed more runs than there are");
            }
        }

        var results = await Task.WhenAll(Task.Run(() => ClaimAllAsync(Store, "engine-a")), Task.Run(() => ClaimAllAsync(other, "engine-b")));

        Assert.Empty(results[0].Intersect(results[1]));
        Assert.Equal(runs.Select(r => r.Id).Order(), results[0].Concat(results[1]).Order());
        var owners = (await Store.ListRunsAsync(new RunQuery())).ToDictionary(r => r.Id, r => r.Owner);
        Assert.All(results[0], id => Assert.Equal("engine-a", owners[id]));
        Assert.All(results[1], id => Assert.Equal("engine-b", owners[id]));
    }

    // ---- migrations ---------------------------------------------------------------------------------------

    /// <summary>The schema of migration 1 as it shipped, written out here so that a change to it in the store is noticed.</summary>
    private const string Version1Schema = """
        CREATE TABLE workflow_migrations (
            version    INTEGER PRIMARY KEY NOT NULL,
            name       TEXT    NOT NULL,
            applied_at TEXT    NOT NULL
        );
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
        INSERT INTO workflow_migrations (version, name, applied_at) VALUES (1, 'initial schema', '2025-01-02T03:04:05.0000000+00:00');
        """;

    [Fact]
    public async Task A_version_1_database_is_migrated_to_version_2_and_keeps_its_rows()
    {
        var path = Path.Combine(_directory, "version-1.db");
        var runId = Guid.CreateVersion7();
        var waitingId = Guid.CreateVersion7();
        var stepId = Guid.CreateVersion7();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = Version1Schema + $"""
                INSERT INTO workflow_runs (id, tenant_id, workflow, schema_version, status, parent_run_id, parent_step, input, output, error,
                    idempotency_key, created_at, started_at, completed_at, updated_at, owner, lease_expires_at)
                VALUES ('{runId:D}', '{Tenant}', 'orders', 'schema-1', 'Running', NULL, NULL, '"in"', NULL, NULL,
                    'order-7', '2025-01-01T10:00:00.0000001+05:30', '2025-01-01T10:00:01.0000000+05:30', NULL, '2025-01-01T10:00:02.0000000+05:30',
                    'old-engine', '2025-01-01T04:35:00.0000000+00:00');
                INSERT INTO workflow_runs (id, tenant_id, workflow, schema_version, status, created_at, updated_at)
                VALUES ('{waitingId:D}', '{OtherTenant}', 'refunds', 'schema-1', 'Waiting', '2025-01-01T00:00:00.0000000+00:00', '2025-01-01T00:00:00.0000000+00:00');
                INSERT INTO workflow_steps (id, run_id, tenant_id, sequence, position, name, kind, status, attempt, input, output, error,
                    duration_ms, created_at, started_at, completed_at, updated_at, cost_usd, input_tokens, output_tokens, debug_messages)
                VALUES ('{stepId:D}', '{runId:D}', '{Tenant}', 1, 1, 'charge', 'Step', 'Succeeded', 2, '[5]', '"ok"', NULL,
                    12, '2025-01-01T10:00:01.0000000+05:30', '2025-01-01T10:00:01.5000000+05:30', '2025-01-01T10:00:01.9000000+05:30',
                    '2025-01-01T10:00:01.9000000+05:30', '0.50', 3, 4, NULL);
                """;
            command.ExecuteNonQuery();
        }

        var store = OpenAnother(path);
        await store.InitializeAsync();

        object? ScalarOf(string sql, (string Name, object Value)[] parameters)
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
            return command.ExecuteScalar();
        }
        Assert.Equal((long)SqliteSchema.Migrations.Length, ScalarOf("SELECT count(*) FROM workflow_migrations", []));
        Assert.Equal("2025-01-02T03:04:05.0000000+00:00", ScalarOf("SELECT applied_at FROM workflow_migrations WHERE version = 1", [])); // not re-applied
        Assert.Equal(1L, ScalarOf("SELECT count(*) FROM workflow_migrations WHERE version = 2", []));
        AssertExecutionCoreSchema(ScalarOf);

        var offset = TimeSpan.FromMinutes(5 * 60 + 30);
        var expected = new RunRecord
        {
            Id = runId,
            TenantId = Tenant,
            Workflow = "orders",
            SchemaVersion = "schema-1",
            Status = RunStatus.Running,
            Input = "\"in\"",
            IdempotencyKey = "order-7",
            CreatedAt = new DateTimeOffset(2025, 1, 1, 10, 0, 0, offset).AddTicks(1),
            StartedAt = new DateTimeOffset(2025, 1, 1, 10, 0, 1, offset),
            UpdatedAt = new DateTimeOffset(2025, 1, 1, 10, 0, 2, offset),
            Owner = "old-engine",
            LeaseExpiresAt = new DateTimeOffset(2025, 1, 1, 4, 35, 0, TimeSpan.Zero),
        };
        var migrated = await store.GetRunAsync(Tenant, runId);
        AssertSameRun(expected, migrated); // the execution core's fields are null: a run of before it waits for nothing
        var waiting = await store.GetRunAsync(OtherTenant, waitingId);
        Assert.Equal((RunStatus.Waiting, "refunds", (DateTimeOffset?)null), (waiting!.Status, waiting.Workflow, waiting.WakeAt));
        var step = Assert.Single(await store.GetStepsAsync(Tenant, runId));
        Assert.Equal((stepId, "charge", StepStatus.Succeeded, 2, "\"ok\"", 0.50m), (step.Id, step.Name, step.Status, step.Attempt, step.Output, step.CostUsd));
        Assert.Equal((0, 0), (step.FailedAttempts, step.InterruptedAttempts));
        Assert.Equal(2, (await store.ListRunsAsync(new RunQuery())).Count);
        Assert.False((await store.CreateRunAsync(NewRun(key: "order-7") with { Id = Guid.CreateVersion7() })).Created); // its key still holds

        // The migrated rows live under the new contract: the old engine's claim has long lapsed, so the run is taken over,
        // and the new fields are written.
        var claimed = await store.ClaimRunAsync(new RunClaim(runId, Tenant, "engine-new", Now, At(60)));
        Assert.NotNull(claimed);
        Assert.Equal(("engine-new", RunStatus.Running), (claimed.Owner, claimed.Status));
        var suspended = claimed! with { Status = RunStatus.Waiting, WakeAt = At(600), WaitingFor = "sleep:2" };
        await store.CommitAsync([JournalWrite.RequireClaim(runId, Tenant, "engine-new"), JournalWrite.Update(suspended), JournalWrite.ReleaseClaim(runId, Tenant, "engine-new")]);
        var after = await store.GetRunAsync(Tenant, runId);
        Assert.Equal((RunStatus.Waiting, At(600), "sleep:2", (string?)null), (after!.Status, after.WakeAt, after.WaitingFor, after.Owner));
        Assert.Equal(At(600), await store.GetNextDueAsync(["orders"], Now));
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
