using Xunit.Abstractions;

namespace Workflows.CrashTests;

/// <summary>
/// The smallest cross-process case on PostgreSQL, before any chaos: one engine process on a schema of its own starts runs
/// and completes them, and the test's journal readers see what a crash-free run ends with. The engine reports no
/// background error (a store statement that fails is one).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgreSqlProcessSmokeTests(CrashFreeRuns crashFree, ITestOutputHelper output)
{
    [Fact]
    public async Task One_engine_process_on_PostgreSQL_completes_its_runs_as_a_crash_free_SQLite_process_does()
    {
        await using var cluster = await HostCluster.OnPostgreSqlAsync();
        var worker = await cluster.RunToEndAsync("work", "--start", "5", "--worker-id", "solo", "--lease-ms", "3000", "--poll-ms", "100", "--log-store");
        output.WriteLine(worker.Output);

        Assert.DoesNotContain(worker.Lines, l => l.StartsWith("BACKGROUND ", StringComparison.Ordinal) || l.StartsWith("OUTCOME ", StringComparison.Ordinal));
        var journal = await cluster.ReadJournalAsync();
        var expected = crashFree.Outputs.Where(p => journal.Any(r => r.Key == p.Key)).ToDictionary();
        Assert.Equal(5, expected.Count);
        ClusterAssert.EveryRunCompletedOnce(journal, cluster.Ledger(), new HashSet<int>(), expected, ["s1", "s2", "s3", "s4", "s5"]);
        foreach (var (run, _) in journal)
        {
            Assert.Contains($"RESULT {run.Id:D} Succeeded {run.Output}", worker.Lines);
        }
    }
}
