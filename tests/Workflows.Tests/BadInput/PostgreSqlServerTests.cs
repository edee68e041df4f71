using Npgsql;
using Workflows.Journal;
using Workflows.PostgreSql;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.BadInput;

/// <summary>
/// PostgreSQL's forms of a locked or missing database: a run row locked by another transaction past the command timeout,
/// and a server that is not there.
/// </summary>
public sealed class PostgreSqlServerTests : BadInputTestBase
{
    private PostgreSqlJournal? _journal;

    protected override IJournalHarness CreateHarness() => _journal = new PostgreSqlJournal();

    private PostgreSqlWorkflowStore StoreWithCommandTimeout(int seconds) => new(new PostgreSqlWorkflowStoreOptions
    {
        ConnectionString = new NpgsqlConnectionStringBuilder(_journal!.ConnectionString) { CommandTimeout = seconds }.ToString(),
        Schema = _journal.Schema,
    });

    [Fact]
    public async Task A_run_row_locked_by_another_transaction_past_the_command_timeout_makes_a_cancel_unavailable_and_writes_nothing()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "21", RunStatus.Waiting);
        var before = await ReadJournalAsync();
        await using var store = StoreWithCommandTimeout(1);
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions { Services = new TestServices(new ExecutionProbe()) });
        await engine.InitializeAsync();

        await using var dataSource = new NpgsqlDataSourceBuilder(_journal!.ConnectionString) { ConnectionStringBuilder = { SearchPath = _journal.Schema } }.Build();
        await using (var blocker = await dataSource.OpenConnectionAsync())
        {
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockRow = new NpgsqlCommand("SELECT id FROM workflow_runs WHERE id = @id FOR UPDATE", blocker, transaction))
            {
                lockRow.Parameters.AddWithValue("id", run.Id);
                await lockRow.ExecuteNonQueryAsync();
            }

            // A cancel is the caller's call: not retried, the caller is told what is in the way.
            var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => engine.CancelAsync(run.Id, reason: "locked out"));

            Assert.Contains(_journal.Schema, error.Message);
            Assert.Contains("unavailable (a timeout)", error.Message);
            await transaction.RollbackAsync();
        }
        await AssertJournalUnchangedAsync(before);
        Assert.Equal(CancelOutcome.Cancelled, await engine.CancelAsync(run.Id, reason: "unlocked")); // the lock is gone: it goes through
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_unavailable_at_initialize_naming_the_host_and_port()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // a free port on this machine: nothing listens there
        await using var store = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions
        {
            ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=2",
        });

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.InitializeAsync().AsTask());

        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("cannot reach the server", error.Message);
    }
}
