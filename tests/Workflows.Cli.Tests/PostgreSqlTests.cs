using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using Workflows.Journal;
using Workflows.PostgreSql;

namespace Workflows.Cli.Tests;

/// <summary>
/// The tool on a PostgreSQL journal (<c>--connection</c>, <c>--schema</c>, or the environment) that this class fills through
/// a real engine, on the server named by WORKFLOWS_POSTGRES (build/test.sh starts one), in a schema of its own dropped after.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class PostgreSqlTests(CliFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private readonly string _connectionString = Environment.GetEnvironmentVariable("WORKFLOWS_POSTGRES") is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            "WORKFLOWS_POSTGRES is not set: the CLI's PostgreSQL tests need a server. Run them through ./build/test.sh, or: " +
            "source build/postgres.sh; postgres_start; dotnet test; postgres_stop.");

    private readonly string _schema = "wf_test_" + Guid.NewGuid().ToString("N");
    private readonly List<string> _schemas = [];
    private Guid _sectionRunId;
    private Guid _acmeRunId;
    private Guid _waitingRunId;

    public async Task InitializeAsync()
    {
        _schemas.Add(_schema);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var store = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = _connectionString, Schema = _schema });
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions
        {
            OnJournalCommitted = commit =>
            {
                if (commit.Workflow == "cli-waiting" && commit.Run?.Status == RunStatus.Waiting) waiting.TrySetResult();
            },
        })
            .Register(SectionWorkflow.Definition)
            .Register(WaitingWorkflow.Definition);

        var section = await engine.StartAsync(SectionWorkflow.Definition, "PG-1");
        _sectionRunId = section.RunId;
        Assert.Equal("draft of PG-1, polished", await section.GetResultAsync().WaitAsync(Guard));
        var acme = await engine.StartAsync(SectionWorkflow.Definition, "PG-2", new StartOptions { TenantId = "acme" });
        _acmeRunId = acme.RunId;
        await acme.GetResultAsync().WaitAsync(Guard);
        var wait = await engine.StartAsync(WaitingWorkflow.Definition, "PG-3");
        _waitingRunId = wait.RunId;
        await waiting.Task.WaitAsync(Guard);
    }

    public async Task DisposeAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        foreach (var schema in _schemas)
        {
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }

    private string[] On(params string[] arguments) => [.. arguments, "--connection", _connectionString, "--schema", _schema];

    private async Task<bool> SchemaExistsAsync(string schema)
    {
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM pg_namespace WHERE nspname = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private string With(params (string Key, object Value)[] changes)
    {
        var builder = new NpgsqlConnectionStringBuilder(_connectionString);
        foreach (var (key, value) in changes) builder[key] = value;
        return builder.ConnectionString;
    }

    private static void AssertFails(CliResult result, int exitCode, string stderrPattern)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}: {result}");
        Assert.Matches("^workflows: " + stderrPattern, result.StdErr);
        Assert.Single(ShowTests.Lines(result.StdErr));
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task Runs_list_reads_the_PostgreSQL_journal_newest_first_with_its_filters()
    {
        var json = await fixture.RunAsync(On("runs", "list", "--json"));
        Assert.True(json.ExitCode == 0, json.ToString());
        using (var document = JsonDocument.Parse(json.StdOut))
        {
            var ids = document.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToList();
            Assert.Equal([_waitingRunId, _acmeRunId, _sectionRunId], ids);
        }

        var text = await fixture.RunAsync(On("runs", "list"));
        Assert.True(text.ExitCode == 0, text.ToString());
        var lines = ShowTests.Lines(text.StdOut);
        Assert.Matches(@"^  status +run +workflow +tenant +created +duration$", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("  ◷ waiting    " + _waitingRunId + "  cli-waiting ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  ✓ succeeded  " + _acmeRunId + "  cli-section ", StringComparison.Ordinal));
        Assert.Equal("  3 run(s)", lines[4]);

        var acme = await fixture.RunAsync(On("runs", "list", "--tenant", "acme", "--json"));
        Assert.True(acme.ExitCode == 0, acme.ToString());
        using var acmeDocument = JsonDocument.Parse(acme.StdOut);
        Assert.Equal([_acmeRunId], acmeDocument.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task Runs_show_renders_a_run_of_the_PostgreSQL_journal_with_its_steps()
    {
        var result = await fixture.RunAsync(On("runs", "show", _sectionRunId.ToString()));
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = ShowTests.Lines(result.StdOut);
        Assert.StartsWith($"Run {_sectionRunId}  workflow 'cli-section'  status Succeeded  schema ", lines[0]);
        Assert.Matches(@"^  tenant default  created \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", lines[1]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  ✓ +1\. draft +succeeded .* 40/10 +0\.001100$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  ✓ +2\. polish +succeeded "));
        Assert.Contains("\"draft of PG-1, polished\"", result.StdOut);

        var json = await fixture.RunAsync(On("runs", "show", _acmeRunId.ToString(), "--tenant", "acme", "--json"));
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Contains(_acmeRunId.ToString(), json.StdOut);

        var unknown = Guid.CreateVersion7();
        AssertFails(await fixture.RunAsync(On("runs", "show", unknown.ToString())), 3, $"not found: no run {unknown} in any tenant$");
    }

    [Fact]
    public async Task The_environment_names_the_PostgreSQL_journal_when_no_option_does()
    {
        var result = await fixture.RunAsync(["runs", "list", "--json"], new Dictionary<string, string?>
        {
            ["WORKFLOWS_CONNECTION"] = _connectionString,
            ["WORKFLOWS_SCHEMA"] = _schema,
        });
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.StdOut);
        Assert.Equal(3, document.RootElement.GetProperty("runs").GetArrayLength());

        // --db on the command line wins over the environment's connection.
        var file = await fixture.RunAsync(["runs", "list", "--json", "--db", fixture.Journal], new Dictionary<string, string?>
        {
            ["WORKFLOWS_CONNECTION"] = _connectionString,
        });
        Assert.True(file.ExitCode == 0, file.ToString());
        using var fileDocument = JsonDocument.Parse(file.StdOut);
        Assert.Equal(fixture.Runs.Count, fileDocument.RootElement.GetProperty("runs").GetArrayLength());

        // Both in the environment, neither on the command line: which one is meant is not guessed.
        AssertFails(await fixture.RunAsync(["runs", "list"], new Dictionary<string, string?>
        {
            ["WORKFLOWS_CONNECTION"] = _connectionString,
            ["WORKFLOWS_DB"] = fixture.Journal,
        }), 2, @"bad input: \$WORKFLOWS_DB and \$WORKFLOWS_CONNECTION both name a journal");
    }

    [Fact]
    public async Task Runs_cancel_writes_to_the_PostgreSQL_journal()
    {
        var result = await fixture.RunAsync(On("runs", "cancel", _waitingRunId.ToString(), "--reason", "ops: not needed"));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"cancelled run {_waitingRunId}", result.StdOut.TrimEnd());

        await using var store = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = _connectionString, Schema = _schema });
        await store.InitializeAsync();
        var run = await store.GetRunAsync("default", _waitingRunId);
        Assert.Equal(RunStatus.Cancelled, run?.Status);
        Assert.Equal((ErrorKind.Cancelled, "ops: not needed"), (run!.Error!.Kind, run.Error.Message));

        AssertFails(await fixture.RunAsync(On("runs", "cancel", _sectionRunId.ToString())), 5,
            $"refused: run {_sectionRunId} has already ended \\(Succeeded\\); nothing changed$");
    }

    [Fact]
    public async Task A_schema_with_no_journal_is_not_found_and_is_not_created_by_reads_or_writes()
    {
        var empty = "wf_test_" + Guid.NewGuid().ToString("N");
        _schemas.Add(empty);
        AssertFails(await fixture.RunAsync("runs", "list", "--connection", _connectionString, "--schema", empty), 3,
            $@"not found: no journal at [^ ]+:\d+/[^ ]+ \(schema {empty}\)$");
        AssertFails(await fixture.RunAsync("runs", "cancel", _waitingRunId.ToString(), "--connection", _connectionString, "--schema", empty), 3,
            "not found: no journal at ");
        Assert.False(await SchemaExistsAsync(empty));
    }

    [Fact]
    public async Task Naming_both_a_file_and_a_connection_or_a_schema_for_a_file_is_bad_input()
    {
        AssertFails(await fixture.RunAsync("runs", "list", "--db", fixture.Journal, "--connection", _connectionString), 2,
            "bad input: --db and --connection both name a journal");
        AssertFails(await fixture.RunAsync("runs", "list", "--db", fixture.Journal, "--schema", _schema), 2,
            "bad input: --schema names a PostgreSQL schema: it needs --connection");
    }

    [Fact]
    public async Task A_bad_connection_string_or_schema_is_bad_input_naming_it()
    {
        AssertFails(await fixture.RunAsync("runs", "list", "--connection", "Host=127.0.0.1;Colour=blue"), 2,
            "bad input: --connection: .*'Colour'");
        AssertFails(await fixture.RunAsync("runs", "list", "--connection", "Username=app;Database=app"), 2,
            "bad input: --connection: .*Host");
        AssertFails(await fixture.RunAsync("runs", "list", "--connection", _connectionString, "--schema", "Not-A-Schema"), 2,
            "bad input: --schema: .*'Not-A-Schema'");
    }

    [Fact]
    public async Task An_unreachable_server_is_unavailable_naming_host_and_port_and_never_the_password()
    {
        var port = ClosedPort();
        var result = await fixture.RunAsync("runs", "list", "--connection", With(("Host", "127.0.0.1"), ("Port", port), ("Password", "s3cret-pw"), ("Timeout", 5)));
        AssertFails(result, 4, $"store unavailable: cannot open the PostgreSQL journal 127.0.0.1:{port}/");
        Assert.DoesNotContain("s3cret-pw", result.StdErr);

        var write = await fixture.RunAsync("runs", "cancel", _waitingRunId.ToString(), "--connection", With(("Port", port), ("Timeout", 5)));
        AssertFails(write, 4, $"store unavailable: cannot open the PostgreSQL journal [^ ]+:{port}/");
    }

    [Fact]
    public async Task An_unknown_database_is_not_found_naming_it()
    {
        var database = "no_such_db_" + Guid.NewGuid().ToString("N")[..8];
        AssertFails(await fixture.RunAsync("runs", "list", "--connection", With(("Database", database))), 3,
            $"not found: no database at [^ ]+:\\d+/{database} .*{database}");
    }
}
