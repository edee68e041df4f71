using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Sqlite.Tests;

/// <summary>A store opened with <see cref="SqliteWorkflowStoreOptions.ReadOnly"/>: what the CLI and reports read with.</summary>
public sealed partial class SqliteWorkflowStoreTests
{
    private SqliteWorkflowStore OpenReadOnly(string? path = null) => OpenAnother(new SqliteWorkflowStoreOptions { Path = path ?? _path, ReadOnly = true });

    /// <summary>Every row of the journal's tables as text: what "the journal is unchanged" compares.</summary>
    private string DumpRows(string? path = null)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path ?? _path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        var text = new System.Text.StringBuilder();
        using var tables = connection.CreateCommand();
        tables.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
        var names = new List<string>();
        using (var reader = tables.ExecuteReader())
        {
            while (reader.Read()) names.Add(reader.GetString(0));
        }
        foreach (var name in names)
        {
            using var rows = connection.CreateCommand();
            rows.CommandText = $"SELECT * FROM \"{name}\" ORDER BY rowid";
            using var reader = rows.ExecuteReader();
            while (reader.Read())
            {
                text.Append(name);
                for (var i = 0; i < reader.FieldCount; i++) text.Append('|').Append(reader.IsDBNull(i) ? "<null>" : reader.GetValue(i));
                text.Append('\n');
            }
        }
        return text.ToString();
    }

    [Fact]
    public async Task A_read_only_store_reads_beside_a_live_writer_and_sees_its_later_commits()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));

        var reader = OpenReadOnly();
        AssertSameRun(run, await reader.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, Assert.Single(await reader.GetStepsAsync(Tenant, run.Id)));

        var done = step with { Status = StepStatus.Succeeded, Output = "1" };
        await CommitAsync(JournalWrite.Update(done));
        AssertSameStep(done, Assert.Single(await reader.GetStepsAsync(Tenant, run.Id)));
        Assert.Equal([run.Id], (await reader.ListRunsAsync(new RunQuery { NewestFirst = true })).Select(r => r.Id));
    }

    [Fact]
    public async Task A_read_only_store_refuses_every_write_naming_the_file_and_changes_nothing()
    {
        var run = await CreateAsync(NewRun());
        var before = DumpRows();
        var reader = OpenReadOnly();
        await reader.InitializeAsync();

        var create = await Assert.ThrowsAsync<InvalidOperationException>(() => reader.CreateRunAsync(NewRun()).AsTask());
        Assert.Contains(_path, create.Message);
        Assert.Contains("read-only", create.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.CommitAsync([JournalWrite.Update(run with { Status = RunStatus.Running })]).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.ClaimRunAsync(ClaimOf(run, "engine-ro")).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.RequestCancelAsync(new CancelRequest(Tenant, run.Id, "no", T0)).AsTask());

        Assert.Equal(before, DumpRows());
    }

    [Fact]
    public async Task A_read_only_store_on_a_missing_file_says_so_and_does_not_create_it()
    {
        var missing = Path.Combine(_directory, "nothing-here.db");
        var reader = OpenReadOnly(missing);

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => reader.InitializeAsync().AsTask());

        Assert.Contains(missing, error.Message);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task A_read_only_store_on_an_older_journal_names_both_versions_and_does_not_migrate_it()
    {
        var path = Path.Combine(_directory, "old.db");
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = Version1Schema;
            command.ExecuteNonQuery();
        }
        var before = DumpRows(path);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenReadOnly(path).InitializeAsync().AsTask());

        Assert.Contains(path, error.Message);
        Assert.Contains("schema version 1", error.Message);
        Assert.Contains($"version {SqliteSchema.Migrations[^1].Version}", error.Message);
        Assert.Equal(before, DumpRows(path));
    }

    [Fact]
    public async Task A_read_only_store_on_a_database_that_is_not_a_journal_says_so()
    {
        var path = Path.Combine(_directory, "other.db");
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY)";
            command.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenReadOnly(path).InitializeAsync().AsTask());

        Assert.Contains("not a Workflows journal", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public async Task A_read_only_store_reads_while_another_connection_holds_the_write_lock()
    {
        var run = await CreateAsync(NewRun());
        using var raw = OpenRaw();
        using var begin = raw.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();

        var reader = OpenReadOnly();
        AssertSameRun(run, await reader.GetRunAsync(Tenant, run.Id));

        begin.CommandText = "ROLLBACK";
        begin.ExecuteNonQuery();
    }
}
