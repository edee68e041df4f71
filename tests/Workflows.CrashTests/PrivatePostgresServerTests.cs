using Npgsql;

namespace Workflows.CrashTests;

/// <summary>
/// The chaos test's private server does what the test relies on: an immediate restart kills every session (a client sees
/// its connection broken), keeps what was committed before it, and comes back on the same port; disposing removes it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PrivatePostgresServerTests
{
    [Fact]
    public async Task An_immediate_restart_breaks_open_sessions_and_keeps_acknowledged_commits()
    {
        string connectionString;
        await using (var server = await PrivatePostgresServer.StartAsync())
        {
            connectionString = server.ConnectionString;
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using (var create = dataSource.CreateCommand("CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, 100)"))
            {
                await create.ExecuteNonQueryAsync();
            }
            await using var session = await dataSource.OpenConnectionAsync();
            await using (var pid = new NpgsqlCommand("SELECT pg_backend_pid()", session))
            {
                await pid.ExecuteScalarAsync();
            }

            await server.RestartImmediateAsync();

            Assert.Equal(1, server.Restarts);
            await using (var broken = new NpgsqlCommand("SELECT 1", session))
            {
                await Assert.ThrowsAnyAsync<Exception>(() => broken.ExecuteScalarAsync());
            }
            await using var count = dataSource.CreateCommand("SELECT count(*) FROM kept");
            Assert.Equal(100L, await count.ExecuteScalarAsync());
            Assert.Contains("automatic recovery in progress", server.Log);
        }

        // Gone: nothing listens on its port any more.
        await using var after = new NpgsqlConnection(connectionString + ";Pooling=false;Timeout=2");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => after.OpenAsync());
    }
}
