using System.Globalization;
using Workflows.Journal;

namespace Workflows.CrashTests;

/// <summary>
/// Another process holds BEGIN EXCLUSIVE on the journal for 4 s, four times the store's busy timeout, while a run is in
/// the middle of a step: the run is not failed, no step body runs twice, and the run completes once the lock is released.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LockedDatabaseProcessTests(CrashFreeRuns crashFree)
{
    [Fact]
    public async Task A_run_whose_journal_is_locked_past_the_busy_timeout_by_another_process_completes_once_the_lock_is_released()
    {
        await using var cluster = new HostCluster();
        var release = cluster.FilePath("release");

        var worker = cluster.Start("work", "--lease-ms", "2000", "--poll-ms", "100", "--busy-ms", "1000", "--start", "1", "--until-all-done",
            "--block-step", "s2", "--release-file", release);
        await cluster.WaitForLedgerAsync(l => l.Any(e => e.Kind == "begin" && e.Step == "s2"), "the run inside s2", worker);

        var locker = cluster.Start("lock", "--hold-ms", "4000");
        await locker.WaitForLineAsync(l => l.StartsWith("LOCKED ", StringComparison.Ordinal), "the lock");
        File.WriteAllText(release, ""); // s2's body ends now, and its commit meets the lock
        var unlocked = await locker.WaitForLineAsync(l => l.StartsWith("UNLOCKED ", StringComparison.Ordinal), "the lock's release");
        await locker.WaitForExitAsync();
        var unlockedAt = DateTimeOffset.Parse(unlocked["UNLOCKED at=".Length..], CultureInfo.InvariantCulture);

        await worker.WaitForExitAsync();
        Assert.True(worker.ExitCode == 0, worker.Output);

        // The engine met the lock (its store gave up waiting at least once) and did not fail the run for it.
        Assert.Contains(worker.Lines, l => l.StartsWith("BACKGROUND StoreUnavailableException", StringComparison.Ordinal));
        var journal = await cluster.ReadJournalAsync();
        var (run, steps) = Assert.Single(journal);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.True(run.CompletedAt >= unlockedAt, $"the run completed at {run.CompletedAt:O}, while the journal was locked (until {unlockedAt:O})");
        Assert.All(steps, s => Assert.Equal((1, 0, 0), (s.Attempt, s.InterruptedAttempts, s.FailedAttempts)));
        ClusterAssert.EveryRunCompletedOnce(journal, cluster.Ledger(), new HashSet<int>(), crashFree.Outputs.Where(p => p.Key == "run-0").ToDictionary(),
            ["s1", "s2", "s3", "s4", "s5"]);
    }
}
