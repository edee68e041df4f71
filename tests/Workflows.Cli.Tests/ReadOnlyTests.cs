using System.Security.Cryptography;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Cli.Tests;

/// <summary>The read commands beside a live engine: they answer, and the journal's file and WAL stay as they were.</summary>
[Collection(CliCollection.Name)]
public sealed class ReadOnlyTests(CliFixture fixture)
{
    private static (string Hash, DateTime Written, long Length)? Snapshot(string path) =>
        File.Exists(path)
            ? (Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))), File.GetLastWriteTimeUtc(path), new FileInfo(path).Length)
            : null;

    [Fact]
    public async Task Reads_beside_a_running_engine_leave_the_file_and_its_wal_unchanged()
    {
        var copy = fixture.CopyJournal("read-only");
        await using var store = new SqliteWorkflowStore(copy);
        await using var engine = new WorkflowEngine(store);
        await engine.InitializeAsync(); // the engine holds the file open (WAL) while the tool reads it
        var runsBefore = await store.ListRunsAsync(new RunQuery { Limit = 1000 });
        var stepsBefore = await store.GetStepsAsync("default", fixture.MainRunId);
        var file = Snapshot(copy);
        var wal = Snapshot(copy + "-wal");

        foreach (var arguments in new[]
        {
            new[] { "runs", "list" }, ["runs", "list", "--json"], ["runs", "show", fixture.MainRunId.ToString()],
            ["runs", "show", fixture.MainRunId.ToString(), "--json"], ["runs", "steps", fixture.MainRunId.ToString()], ["runs", "parked", "--json"],
        })
        {
            var result = await fixture.RunAsync([.. arguments, "--db", copy]);
            Assert.True(result.ExitCode == 0, $"{string.Join(' ', arguments)}: {result}");
        }

        Assert.Equal(file, Snapshot(copy));
        Assert.Equal(wal, Snapshot(copy + "-wal"));
        Assert.Equal(runsBefore, await store.ListRunsAsync(new RunQuery { Limit = 1000 }));
        Assert.Equal(stepsBefore, await store.GetStepsAsync("default", fixture.MainRunId));
    }
}
