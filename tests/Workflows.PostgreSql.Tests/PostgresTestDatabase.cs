using Npgsql;

namespace Workflows.PostgreSql.Tests;

/// <summary>
/// The private PostgreSQL server build/test.sh starts (WORKFLOWS_POSTGRES), and a schema of its own for each test,
/// dropped after it. A missing server is a failure, never a skip: the PostgreSQL store is tested on every run.
/// </summary>
public abstract class PostgresTestDatabase : IAsyncLifetime
{
    public const string Variable = "WORKFLOWS_POSTGRES";

    private readonly List<string> _schemas = [];

    protected PostgresTestDatabase()
    {
        ConnectionString = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: the PostgreSQL tests need a server. Run them through ./build/test.sh, which starts a private " +
                $"PostgreSQL on 127.0.0.1 and sets {Variable}, or start one yourself: source build/postgres.sh; postgres_start " +
                "(it exports the variable); then dotnet test; postgres_stop.");
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        Schema = NewSchema();
    }

    protected string ConnectionString { get; }

    protected NpgsqlDataSource DataSource { get; }

    /// <summary>This test's schema (not created yet: migrating creates it).</summary>
    protected string Schema { get; }

    /// <summary>Another unique schema name, dropped after the test like <see cref="Schema"/>.</summary>
    protected string NewSchema()
    {
        var name = "wf_test_" + Guid.NewGuid().ToString("N");
        _schemas.Add(name);
        return name;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var schema in _schemas)
        {
            await using var drop = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
        await DataSource.DisposeAsync();
    }

    protected async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return (T)(await command.ExecuteScalarAsync())!;
    }

    protected async Task<List<object?[]>> RowsAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    protected async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        await command.ExecuteNonQueryAsync();
    }
}
