using System.Globalization;
using Npgsql;

namespace EngineHost;

/// <summary>
/// What a process on a PostgreSQL journal needs besides the store: connection strings that name this process to the
/// server (<c>application_name</c>, so that a test can find its backends in <c>pg_stat_activity</c>: whether it is inside
/// a transaction, or to terminate them), and the attempt reader.
/// </summary>
public static class PostgreSqlHost
{
    /// <summary>The application name of the store's connections in this process: <c>enginehost-&lt;pid&gt;</c>.</summary>
    public static string StoreApplicationName => string.Create(CultureInfo.InvariantCulture, $"enginehost-{Environment.ProcessId}");

    /// <summary>The connection string with <c>Application Name</c> set (any given one is replaced).</summary>
    public static string Named(string connectionString, string applicationName) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName }.ConnectionString;
}

/// <summary>
/// The attempt reader on a PostgreSQL journal: its own pooled connections (application name
/// <c>enginehost-&lt;pid&gt;-reader</c>, never the store's). A read that fails (the server restarting, a connection
/// terminated) is retried for up to a minute, so that a chaos test does not mistake an outage for an uncommitted attempt.
/// </summary>
public sealed class PostgreSqlAttemptReader : IAttemptReader, IAsyncDisposable
{
    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(60);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _sql;

    public PostgreSqlAttemptReader(string connectionString, string schema)
    {
        _dataSource = NpgsqlDataSource.Create(PostgreSqlHost.Named(connectionString, PostgreSqlHost.StoreApplicationName + "-reader"));
        _sql = $"SELECT attempt FROM \"{schema}\".workflow_steps WHERE run_id = $1 AND name = $2";
    }

    public async ValueTask<int> ReadAsync(Guid runId, string step)
    {
        var until = DateTime.UtcNow + RetryFor;
        while (true)
        {
            try
            {
                await using var command = _dataSource.CreateCommand(_sql);
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = step });
                return await command.ExecuteScalarAsync() is int attempt ? attempt : 0;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException && DateTime.UtcNow < until)
            {
                await Task.Delay(100);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                Output.Line($"ATTEMPT-UNREADABLE {runId} {step}: {e.Message}");
                return 0;
            }
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
