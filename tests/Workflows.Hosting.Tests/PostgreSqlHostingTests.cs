using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Workflows.Journal;
using Workflows.PostgreSql;

namespace Workflows.Hosting.Tests;

/// <summary>
/// Hosts journaling to the real PostgreSQL server named by WORKFLOWS_POSTGRES (build/test.sh starts one), each test in
/// schemas of its own, dropped after it. A missing server is a failure, never a skip.
/// </summary>
public sealed class PostgreSqlHostingTests : HostingTestBase, IAsyncLifetime
{
    private const string Variable = "WORKFLOWS_POSTGRES";

    private readonly string _connectionString;
    private readonly List<string> _schemas = [];

    public PostgreSqlHostingTests()
    {
        _connectionString = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: the PostgreSQL hosting tests need a server. Run them through ./build/test.sh, or: " +
                "source build/postgres.sh; postgres_start; dotnet test; postgres_stop.");
    }

    private string NewSchema()
    {
        var schema = "wf_test_" + Guid.NewGuid().ToString("N");
        _schemas.Add(schema);
        return schema;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        foreach (var schema in _schemas)
        {
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
        foreach (var database in _databases)
        {
            await using var drop = dataSource.CreateCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
    }

    private readonly List<string> _databases = [];

    /// <summary>A new empty database of its own (dropped after the test): its default schema cannot meet another test's.</summary>
    private async Task<string> NewDatabaseAsync()
    {
        var database = "wf_test_" + Guid.NewGuid().ToString("N");
        _databases.Add(database);
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var create = dataSource.CreateCommand($"CREATE DATABASE \"{database}\"");
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(_connectionString) { Database = database }.ConnectionString;
    }

    private static HostApplicationBuilder NewBuilder(Probe probe)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton(probe);
        return builder;
    }

    /// <summary>The run as a separate store over <paramref name="schema"/> reads it: what the host wrote is in PostgreSQL.</summary>
    private async Task<RunRecord?> ReadRunAsync(string schema, Guid runId, string? connectionString = null)
    {
        await using var store = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = connectionString ?? _connectionString, Schema = schema });
        await store.InitializeAsync();
        return await store.GetRunAsync("default", runId);
    }

    [Fact]
    public async Task A_host_using_PostgreSql_runs_a_workflow_to_completion_in_the_schema_it_names()
    {
        var schema = NewSchema();
        var probe = new Probe();
        var builder = NewBuilder(probe);
        builder.Services
            .AddWorkflows(o =>
            {
                o.UsePostgreSql(_connectionString, p => p.Schema = schema);
                o.PollInterval = TimeSpan.FromMilliseconds(50);
            })
            .AddWorkflow(GreetWorkflow.Definition);
        using var host = builder.Build();
        await host.StartAsync();

        var engine = host.Services.GetRequiredService<WorkflowEngine>();
        var store = Assert.IsType<PostgreSqlWorkflowStore>(engine.Store);
        Assert.Equal(schema, store.Schema);
        var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(GreetWorkflow.Definition, "Pg");
        Assert.Equal("Hello, Pg!", await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        await host.StopAsync();

        var stored = await ReadRunAsync(schema, run.RunId);
        Assert.NotNull(stored);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Equal("Hello, Pg!", GreetWorkflow.Definition.OutputCodec.Deserialize(stored.Output!));
        Assert.Equal(1, probe.Calls("compose"));
        Assert.False(File.Exists(DatabasePath));
    }

    [Fact]
    public async Task UsePostgreSql_without_a_schema_journals_to_the_workflows_schema()
    {
        var connectionString = await NewDatabaseAsync();
        var builder = NewBuilder(new Probe());
        builder.Services.AddWorkflows(o => o.UsePostgreSql(connectionString)).AddWorkflow(GreetWorkflow.Definition);
        using var host = builder.Build();
        await host.StartAsync();

        var store = Assert.IsType<PostgreSqlWorkflowStore>(host.Services.GetRequiredService<WorkflowEngine>().Store);
        Assert.Equal("workflows", store.Schema);
        var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(GreetWorkflow.Definition, "Schema");
        Assert.Equal("Hello, Schema!", await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        await host.StopAsync();
        Assert.Equal(RunStatus.Succeeded, (await ReadRunAsync("workflows", run.RunId, connectionString))?.Status);
    }

    [Fact]
    public async Task The_PostgreSql_configuration_keys_configure_the_store()
    {
        var schema = NewSchema();
        var builder = NewBuilder(new Probe());
        builder.Configuration["Workflows:PostgreSql:ConnectionString"] = _connectionString;
        builder.Configuration["Workflows:PostgreSql:Schema"] = schema;
        builder.Configuration["Workflows:PollInterval"] = "00:00:00.050";
        builder.Services.AddWorkflows().AddWorkflow(GreetWorkflow.Definition);
        using var host = builder.Build();
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<WorkflowsOptions>>().Value;
        Assert.Null(options.SqlitePath);
        Assert.Equal(_connectionString, options.PostgreSql?.ConnectionString);
        Assert.Equal(schema, options.PostgreSql?.Schema);
        var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(GreetWorkflow.Definition, "Config");
        Assert.Equal("Hello, Config!", await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        await host.StopAsync();
        Assert.Equal(RunStatus.Succeeded, (await ReadRunAsync(schema, run.RunId))?.Status);
    }

    [Fact]
    public async Task A_schema_from_configuration_is_kept_by_UsePostgreSql_in_code()
    {
        var schema = NewSchema();
        var builder = NewBuilder(new Probe());
        builder.Configuration["Workflows:PostgreSql:Schema"] = schema;
        builder.Services.AddWorkflows(o => o.UsePostgreSql(_connectionString)).AddWorkflow(GreetWorkflow.Definition);
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Equal(schema, Assert.IsType<PostgreSqlWorkflowStore>(host.Services.GetRequiredService<WorkflowEngine>().Store).Schema);
        await host.StopAsync();
    }

    [Fact]
    public async Task SQLite_and_PostgreSql_both_configured_fail_the_host_start_naming_both_keys()
    {
        var builder = NewBuilder(new Probe());
        builder.Configuration["Workflows:SqlitePath"] = DatabasePath;
        builder.Services.AddWorkflows(o => o.UsePostgreSql(_connectionString, p => p.Schema = NewSchema())).AddWorkflow(GreetWorkflow.Definition);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Workflows:SqlitePath and Workflows:PostgreSql:ConnectionString are both set", error.Message);
        Assert.False(File.Exists(DatabasePath));
    }

    [Fact]
    public async Task Both_stores_in_configuration_fail_the_host_start_naming_both_keys()
    {
        var builder = NewBuilder(new Probe());
        builder.Configuration["Workflows:SqlitePath"] = DatabasePath;
        builder.Configuration["Workflows:PostgreSql:ConnectionString"] = _connectionString;
        builder.Services.AddWorkflows();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Workflows:SqlitePath and Workflows:PostgreSql:ConnectionString are both set", error.Message);
    }

    [Fact]
    public async Task A_schema_without_a_connection_string_fails_the_host_start_naming_the_key()
    {
        var builder = NewBuilder(new Probe());
        builder.Configuration["Workflows:PostgreSql:Schema"] = "orders";
        builder.Services.AddWorkflows();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Workflows:PostgreSql:ConnectionString is not set", error.Message);
    }

    [Theory]
    [InlineData("Orders-Schema", "Workflows:PostgreSql:Schema")]
    [InlineData("pg_orders", "Workflows:PostgreSql:Schema")]
    public async Task A_bad_schema_fails_the_host_start_naming_the_key(string schema, string key)
    {
        var builder = NewBuilder(new Probe());
        builder.Configuration["Workflows:PostgreSql:ConnectionString"] = _connectionString;
        builder.Configuration["Workflows:PostgreSql:Schema"] = schema;
        builder.Services.AddWorkflows();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(key, error.Message);
        Assert.Contains(schema, error.Message);
    }

    [Fact]
    public async Task A_connection_string_with_an_unknown_key_fails_the_host_start_naming_the_key()
    {
        var builder = NewBuilder(new Probe());
        builder.Configuration["Workflows:PostgreSql:ConnectionString"] = "Host=127.0.0.1;Colour=blue";
        builder.Services.AddWorkflows();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Workflows:PostgreSql:ConnectionString", error.Message);
        Assert.Contains("Colour", error.Message);
    }

    [Fact]
    public async Task A_second_host_on_the_same_schema_completes_a_run_the_first_left_mid_step()
    {
        var schema = NewSchema();
        IHost BuildWorker(Probe probe, string worker)
        {
            var builder = NewBuilder(probe);
            builder.Services
                .AddWorkflows(o =>
                {
                    o.UsePostgreSql(_connectionString, p => p.Schema = schema);
                    o.WorkerId = worker;
                    o.PollInterval = TimeSpan.FromMilliseconds(50);
                    o.LeaseDuration = TimeSpan.FromSeconds(5);
                })
                .AddWorkflow(BlockingWorkflow.Definition);
            return builder.Build();
        }

        var first = new Probe { Block = true };
        Guid runId;
        var host = BuildWorker(first, "worker-a");
        try
        {
            await host.StartAsync();
            var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(BlockingWorkflow.Definition, "x");
            runId = run.RunId;
            await first.WhenRaised("block-entered");
            await host.StopAsync();
        }
        finally
        {
            await ((IAsyncDisposable)host).DisposeAsync();
        }
        var left = await ReadRunAsync(schema, runId);
        Assert.Equal((RunStatus.Running, null), (left?.Status, left?.Owner));

        var second = new Probe();
        using var next = BuildWorker(second, "worker-b");
        await next.StartAsync();
        var handle = await next.Services.GetRequiredService<IWorkflowClient>().GetRunAsync(BlockingWorkflow.Definition, runId);
        Assert.Equal("x>first>block>last", await handle.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, second.Calls("first")); // replayed from the journal
        Assert.Equal(1, second.Calls("block"));
        await next.StopAsync();
    }
}
