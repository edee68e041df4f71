using Npgsql;
using Workflows.PostgreSql;
using Workflows.Storage;

namespace Workflows.Tests.Replay;

/// <summary>
/// A journal in a schema of its own on the PostgreSQL server named by WORKFLOWS_POSTGRES (build/test.sh starts one):
/// each <see cref="OpenAsync"/> returns a new store over that schema, as a new process would open it. The schema is
/// dropped on dispose. A missing server is a failure, never a skip.
/// </summary>
public sealed class PostgreSqlJournal : IJournalHarness
{
    public const string Variable = "WORKFLOWS_POSTGRES";

    private readonly List<PostgreSqlWorkflowStore> _opened = [];

    public PostgreSqlJournal(global::Workflows.Testing.WorkflowFaults? faults = null)
    {
        Faults = faults;
        ConnectionString = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: the PostgreSQL suites need a server. Run them through ./build/test.sh, which starts a private " +
                $"PostgreSQL on 127.0.0.1 and sets {Variable}, or start one yourself: source build/postgres.sh; postgres_start " +
                "(it exports the variable); then dotnet test; postgres_stop.");
    }

    public string ConnectionString { get; }

    /// <summary>Faults injected on the connections of the stores this journal opens (FaultPoint.StoreConnection).</summary>
    public global::Workflows.Testing.WorkflowFaults? Faults { get; }

    /// <summary>This journal's schema: unique, created by the first store's migration.</summary>
    public string Schema { get; } = "wf_test_" + Guid.NewGuid().ToString("N");

    public async Task<IWorkflowStore> OpenAsync()
    {
        var store = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = ConnectionString, Schema = Schema, Faults = Faults });
        _opened.Add(store);
        await store.InitializeAsync();
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }
}
