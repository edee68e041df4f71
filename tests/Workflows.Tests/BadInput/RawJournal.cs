using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Workflows.Tests.BadInput;

/// <summary>
/// The SQL journal under a store, reached without it: to forge rows a store would never write, and to read every row of a
/// table as text, so a test can show that nothing changed even where the store cannot read the rows back.
/// </summary>
public abstract class RawJournal
{
    /// <summary>An id as this database's id columns hold it, to bind as a parameter.</summary>
    public abstract object Id(Guid id);

    /// <summary>Runs one statement; table names are the store's (workflow_runs, workflow_steps, ...), parameters written @name.</summary>
    public abstract Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters);

    /// <summary>Every row of <paramref name="table"/>, ordered by its first column (the id), each as its columns' text joined by '|'.</summary>
    public abstract Task<IReadOnlyList<string>> RowsAsync(string table);

    protected static async Task<IReadOnlyList<string>> ReadAllAsync(DbCommand command)
    {
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var columns = new string[reader.FieldCount];
            for (var i = 0; i < reader.FieldCount; i++)
            {
                columns[i] = reader.GetName(i) + "=" + (reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture));
            }
            rows.Add(string.Join("|", columns));
        }
        return rows;
    }
}

/// <summary>The SQLite file, through a connection of its own (no pooling: closed means closed).</summary>
public sealed class RawSqliteJournal(string path) : RawJournal
{
    public string Path { get; } = path;

    public override object Id(Guid id) => id.ToString("D");

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        connection.Open();
        using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 5000";
        busy.ExecuteNonQuery();
        return connection;
    }

    public override async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue("@" + name, value);
        await command.ExecuteNonQueryAsync();
    }

    public override async Task<IReadOnlyList<string>> RowsAsync(string table)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {table} ORDER BY 1";
        return await ReadAllAsync(command);
    }
}

/// <summary>The PostgreSQL schema of a test's journal.</summary>
public sealed class RawPostgreSqlJournal(string connectionString, string schema) : RawJournal
{
    public override object Id(Guid id) => id;

    private NpgsqlDataSource Open() =>
        new NpgsqlDataSourceBuilder(connectionString) { ConnectionStringBuilder = { SearchPath = schema } }.Build();

    public override async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var dataSource = Open();
        await using var command = dataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }

    public override async Task<IReadOnlyList<string>> RowsAsync(string table)
    {
        await using var dataSource = Open();
        await using var command = dataSource.CreateCommand($"SELECT * FROM {table} ORDER BY 1");
        return await ReadAllAsync(command);
    }
}
