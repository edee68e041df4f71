using System.Net;
using System.Net.Sockets;
using Npgsql;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Storage;

namespace Workflows.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL store passes the store contract (each test in a schema of its own on the WORKFLOWS_POSTGRES server,
/// dropped after it), plus what only a shared server can show: a second store instance is another process.
/// </summary>
public sealed class PostgreSqlWorkflowStoreTests : WorkflowStoreContractTests
{
    private readonly string _connectionString;
    private readonly string _schema = "wf_test_" + Guid.NewGuid().ToString("N");
    private readonly List<PostgreSqlWorkflowStore> _extraStores = [];

    public PostgreSqlWorkflowStoreTests()
    {
        _connectionString = Environment.GetEnvironmentVariable(PostgresTestDatabase.Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{PostgresTestDatabase.Variable} is not set: the PostgreSQL store tests need a server. Run them through ./build/test.sh, " +
                "or: source build/postgres.sh; postgres_start; dotnet test; postgres_stop.");
    }

    protected override Task<IWorkflowStore> CreateStoreAsync() =>
        Task.FromResult<IWorkflowStore>(new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = _connectionString, Schema = _schema }));

    /// <summary>Another store instance on the same schema (another process), disposed with the test.</summary>
    private PostgreSqlWorkflowStore OpenAnother(string? connectionString = null, string? schema = null)
    {
        var store = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions
        {
            ConnectionString = connectionString ?? _connectionString,
            Schema = schema ?? _schema,
        });
        _extraStores.Add(store);
        return store;
    }

    public override async Task DisposeAsync()
    {
        foreach (var store in _extraStores)
        {
            await store.DisposeAsync();
        }
        await base.DisposeAsync();
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        return port;
    }

    private string WithKeys(params (string Key, object Value)[] changes)
    {
        var builder = new NpgsqlConnectionStringBuilder(_connectionString);
        foreach (var (key, value) in changes)
        {
            builder[key] = value;
        }
        return builder.ConnectionString;
    }

    // ---- the fused step commit (PostgreSqlFusedCommit): a fence and step writes as one statement ---------------------

    [Theory]
    [InlineData(CommitDurability.Flushed)]
    [InlineData(CommitDurability.Buffered)]
    public async Task A_fence_with_an_outcome_and_the_next_start_commits_both_and_a_refused_part_refuses_the_whole(CommitDurability durability)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(60) });
        var first = NewStep(run, 1, StepStatus.Running);
        await Store.CommitAsync([JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Insert(first)], durability);
        var done = first with { Status = StepStatus.Succeeded, Output = "{\"n\":1}", CompletedAt = T0.AddSeconds(1), UpdatedAt = T0.AddSeconds(1) };
        var second = NewStep(run, 2, StepStatus.Running);
        await Store.CommitAsync([JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(done), JournalWrite.Insert(second)], durability);
        AssertSameStep(done, await GetStepAsync(run, 1));
        AssertSameStep(second, await GetStepAsync(run, 2));

        // Each part refused in turn: the fence (another owner), the update (an illegal move), the insert (a taken sequence).
        var third = NewStep(run, 3, StepStatus.Running);
        var lost = await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.CommitAsync(
            [JournalWrite.RequireClaim(run.Id, Tenant, "engine-b"), JournalWrite.Update(second with { Status = StepStatus.Succeeded }), JournalWrite.Insert(third)], durability).AsTask());
        Assert.Equal("engine-a", lost.CurrentOwner);
        await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.CommitAsync(
            [JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(done with { Status = StepStatus.Running }), JournalWrite.Insert(third)], durability).AsTask());
        var taken = await Assert.ThrowsAsync<JournalConflictException>(() => Store.CommitAsync(
            [JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(second with { Status = StepStatus.Succeeded }), JournalWrite.Insert(NewStep(run, 1, StepStatus.Running))], durability).AsTask());
        Assert.Contains("already has a step at sequence 1", taken.Message, StringComparison.Ordinal);

        // Nothing of the refused commits was applied.
        AssertSameStep(done, await GetStepAsync(run, 1));
        AssertSameStep(second, await GetStepAsync(run, 2));
        Assert.Null(await GetStepAsync(run, 3));
    }

    [Fact]
    public async Task A_value_the_server_cannot_hold_in_the_second_step_write_of_a_fused_commit_is_refused_naming_that_step()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(60) });
        var first = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Insert(first));

        // PostgreSQL text cannot hold U+0000: the write is refused as the step's own, and the step before it is not applied.
        var refused = await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"),
            JournalWrite.Update(first with { Status = StepStatus.Succeeded, Output = "1", CompletedAt = T0, UpdatedAt = T0 }),
            JournalWrite.Insert(NewStep(run, 2, StepStatus.Running) with { Name = "bad\0name" })).AsTask());
        Assert.StartsWith($"Step 2 'bad", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"of run {run.Id} cannot be written", refused.Message, StringComparison.Ordinal);
        AssertSameStep(first, await GetStepAsync(run, 1));
        Assert.Null(await GetStepAsync(run, 2));
    }

    [Fact]
    public async Task A_step_inserted_and_updated_in_one_commit_is_written_in_order_not_fused()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(60) });
        var started = NewStep(run, 1, StepStatus.Running);
        var done = started with { Status = StepStatus.Succeeded, Output = "2", CompletedAt = T0, UpdatedAt = T0 };
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Insert(started), JournalWrite.Update(done));
        AssertSameStep(done, await GetStepAsync(run, 1));
    }

    // ---- sharing: a second store is another process ---------------------------------------------------------

    [Fact]
    public async Task Data_survives_disposing_the_store_and_opening_a_new_one()
    {
        var run = await CreateAsync(FullRun());
        var step = FullStep(run, 1);
        await CommitAsync(JournalWrite.Insert(step));
        await Store.DisposeAsync();

        var reopened = OpenAnother();
        await reopened.InitializeAsync();

        AssertSameRun(run, await reopened.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, Assert.Single(await reopened.GetStepsAsync(Tenant, run.Id)));
        Assert.False((await reopened.CreateRunAsync(run with { Input = "\"again\"" })).Created);
    }

    [Fact]
    public async Task A_second_store_on_the_same_schema_reads_what_the_first_writes_and_the_other_way_round()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));

        var other = OpenAnother();
        await other.InitializeAsync();
        AssertSameRun(run, await other.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, Assert.Single(await other.GetStepsAsync(Tenant, run.Id)));

        var done = step with { Status = StepStatus.Succeeded, Output = "1" };
        await CommitAsync(JournalWrite.Update(done));
        AssertSameStep(done, Assert.Single(await other.GetStepsAsync(Tenant, run.Id)));

        var second = NewRun();
        Assert.True((await other.CreateRunAsync(second)).Created);
        AssertSameRun(second, await Store.GetRunAsync(Tenant, second.Id));
        Assert.Single(await Store.ListRunsAsync(RunQuery.Unfinished()), r => r.Id == second.Id);
    }

    [Fact]
    public async Task Two_stores_creating_with_one_idempotency_key_at_once_create_one_run()
    {
        var other = OpenAnother();
        await other.InitializeAsync();
        var stores = new IWorkflowStore[] { Store, other };

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(async () => await stores[i % 2].CreateRunAsync(NewRun(key: "shared")))));

        var created = Assert.Single(results, r => r.Created);
        Assert.All(results, r => Assert.Equal(created.Run.Id, r.Run.Id));
    }

    [Fact]
    public async Task Four_stores_claiming_ready_runs_at_once_never_take_the_same_run()
    {
        var stores = new List<IWorkflowStore> { Store };
        for (var i = 0; i < 3; i++)
        {
            var other = OpenAnother();
            await other.InitializeAsync();
            stores.Add(other);
        }
        var runs = new List<RunRecord>();
        for (var i = 0; i < 40; i++) runs.Add(await CreateAsync(NewRun()));

        async Task<List<Guid>> ClaimAllAsync(IWorkflowStore store, string owner)
        {
            var taken = new List<Guid>();
            while (true)
            {
                var batch = await store.ClaimReadyRunsAsync(ReadyClaim(owner, 3, "orders"));
                if (batch.Count == 0) return taken;
                taken.AddRange(batch.Select(r => r.Id));
                Assert.True(taken.Count <= runs.Count, $"{owner} claimed more runs than there are");
            }
        }

        var results = await Task.WhenAll(stores.Select((store, i) => Task.Run(() => ClaimAllAsync(store, $"engine-{i}"))));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(runs.Select(r => r.Id).Order(), all.Order());
        var owners = (await Store.ListRunsAsync(new RunQuery())).ToDictionary(r => r.Id, r => r.Owner);
        for (var i = 0; i < results.Length; i++)
        {
            Assert.All(results[i], id => Assert.Equal($"engine-{i}", owners[id]));
        }
    }

    [Fact]
    public async Task Stores_on_different_schemas_of_one_database_do_not_see_each_other()
    {
        var run = await CreateAsync(NewRun());
        var otherSchema = "wf_test_" + Guid.NewGuid().ToString("N");
        var other = OpenAnother(schema: otherSchema);
        try
        {
            await other.InitializeAsync();
            Assert.Null(await other.GetRunAsync(Tenant, run.Id));
            Assert.Empty(await other.ListRunsAsync(new RunQuery()));
            Assert.True((await other.CreateRunAsync(run)).Created);
        }
        finally
        {
            await using var dataSource = NpgsqlDataSource.Create(_connectionString);
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{otherSchema}\" CASCADE");
            await other.DisposeAsync();
            await drop.ExecuteNonQueryAsync();
        }
    }

    // ---- identity and failures ------------------------------------------------------------------------------

    [Fact]
    public void The_store_names_its_server_database_and_schema_but_never_the_password()
    {
        var builder = new NpgsqlConnectionStringBuilder(_connectionString);
        var store = OpenAnother(WithKeys(("Password", "s3cret-pw")));

        Assert.Equal(_schema, store.Schema);
        Assert.Contains($"{builder.Host}:{builder.Port}", store.DataSource, StringComparison.Ordinal);
        Assert.Contains(builder.Database!, store.DataSource, StringComparison.Ordinal);
        Assert.Contains(_schema, store.DataSource, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", store.DataSource, StringComparison.Ordinal);
    }

    [Fact]
    public void The_connection_string_constructor_uses_the_workflows_schema()
    {
        var store = new PostgreSqlWorkflowStore(_connectionString);
        _extraStores.Add(store);
        Assert.Equal("workflows", store.Schema);
    }

    [Fact]
    public void Bad_options_are_refused_at_construction_naming_the_option()
    {
        var schema = Assert.Throws<ArgumentException>(() =>
            new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = _connectionString, Schema = "Bad-Schema" }));
        Assert.Contains("Bad-Schema", schema.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ArgumentException>(() => new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions()));
        Assert.Contains("ConnectionString", missing.Message, StringComparison.Ordinal);
        var unknownKey = Assert.Throws<ArgumentException>(() => new PostgreSqlWorkflowStore("Host=localhost;Bogus Key=1"));
        Assert.Contains("Bogus Key", unknownKey.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_whose_server_is_unreachable_throws_store_unavailable_naming_host_and_port()
    {
        var port = ClosedPort();
        var store = OpenAnother(WithKeys(("Host", "127.0.0.1"), ("Port", port), ("Timeout", 5), ("Password", "s3cret-pw")));

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.InitializeAsync().AsTask());

        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_database_is_a_clear_error_naming_the_database()
    {
        var database = "no_such_db_" + Guid.NewGuid().ToString("N")[..8];
        var store = OpenAnother(WithKeys(("Database", database)));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => store.InitializeAsync().AsTask());

        Assert.True(error is StoreUnavailableException or InvalidOperationException,
            $"expected a typed store error, got {error.GetType().FullName}: {error.Message}");
        Assert.Contains(database, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disposed_store_refuses_further_use()
    {
        await CreateAsync(NewRun());
        await Store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.GetRunAsync(Tenant, Guid.CreateVersion7()).AsTask());
    }
}
