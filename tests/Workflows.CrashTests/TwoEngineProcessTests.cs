using Workflows.Journal;
using Xunit.Abstractions;

namespace Workflows.CrashTests;

/// <summary>The outputs of the same 50 runs done by one process that nothing disturbs: what every other test must end with.</summary>
public sealed class CrashFreeRuns : IAsyncLifetime
{
    public IReadOnlyDictionary<string, string> Outputs { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        await using var cluster = new HostCluster();
        await cluster.RunToEndAsync("work", "--start", "50", "--until-all-done");
        var journal = await cluster.ReadJournalAsync();
        Assert.Equal(50, journal.Count);
        Assert.All(journal, r => Assert.Equal(RunStatus.Succeeded, r.Run.Status));
        Assert.All(journal.SelectMany(r => r.Steps), s => Assert.Equal(1, s.Attempt));
        Outputs = journal.ToDictionary(r => r.Key, r => r.Run.Output!);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>The cross-process tests share the crash-free outputs (computed once).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<CrashFreeRuns>
{
    public const string Name = "cluster";
}

/// <summary>
/// Two engines in two processes on one journal (a SQLite file, or a PostgreSQL schema) resume the same 50 unfinished runs (40 left part-way by a killed
/// process, each with a step body cut short, and 10 never started): each run completes exactly once, with the output of a
/// crash-free run, no step record duplicated, and a step body ran twice only where its first owner was killed mid-body.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TwoEngineProcessTests(CrashFreeRuns crashFree, ITestOutputHelper output)
{
    private static readonly string[] StepNames = ["s1", "s2", "s3", "s4", "s5"];
    private const int LeftPartWay = 40;
    private const int NeverStarted = 10;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_engine_processes_resume_50_unfinished_runs_and_each_run_completes_exactly_once(bool onPostgreSql)
    {
        await using var cluster = await HostCluster.CreateAsync(onPostgreSql);
        var creator = await LeaveFiftyUnfinishedRunsAsync(cluster);

        var first = cluster.Start("work", [.. Worker("w1")]);
        var second = cluster.Start("work", [.. Worker("w2")]);
        await first.WaitForExitAsync();
        await second.WaitForExitAsync();
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);

        var ledger = cluster.Ledger();
        var lost = first.LostClaims().Concat(second.LostClaims()).ToList();
        var reruns = ClusterAssert.EveryRunCompletedOnce(await cluster.ReadJournalAsync(), ledger, new HashSet<int> { creator.Pid }, crashFree.Outputs, StepNames, lost);

        output.WriteLine($"w1 ran {ledger.Count(e => e.Pid == first.Pid && e.Kind == "end")} bodies, w2 {ledger.Count(e => e.Pid == second.Pid && e.Kind == "end")}; bodies run twice: {reruns.Count}; claims lost by a live engine: {lost.Count}");
        foreach (var line in first.Lines.Concat(second.Lines).Where(l => l.StartsWith("FENCED", StringComparison.Ordinal) || l.StartsWith("RENEW-LOST", StringComparison.Ordinal) || l.StartsWith("COMMIT-CANCELLED", StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }
        // Both engines did work, and the only bodies that ran twice are the 40 the killed creator was inside.
        Assert.Contains(ledger, e => e.Pid == first.Pid && e.Kind == "end");
        Assert.Contains(ledger, e => e.Pid == second.Pid && e.Kind == "end");
        // (A live engine that lost a claim, starved past its lease, may add a legitimate re-run of that run's step.)
        Assert.Equal(LeftPartWay, reruns.Count(r => r.Earlier.Any(e => e.Pid == creator.Pid)));
        Assert.All(reruns.Where(r => r.Earlier.Any(e => e.Pid != creator.Pid)), r => Assert.Contains(lost, l => l.RunId == r.RunId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task When_one_of_two_engine_processes_is_killed_mid_body_the_other_takes_its_runs_over_after_the_lease(bool onPostgreSql)
    {
        await using var cluster = await HostCluster.CreateAsync(onPostgreSql);
        var creator = await LeaveFiftyUnfinishedRunsAsync(cluster);

        // w1's bodies after its 15th hang, so that the kill finds it inside step bodies, holding live claims.
        var first = cluster.Start("work", [.. Worker("w1"), "--hang-after-begins", "15"]);
        var second = cluster.Start("work", [.. Worker("w2")]);
        await cluster.WaitForLedgerAsync(l => l.Count(e => e.Pid == first.Pid && e.Kind == "begin") > 15, "w1 to be inside a hanging body", first, second);
        await first.KillAsync();
        await second.WaitForExitAsync();
        Assert.True(second.ExitCode == 0, second.Output);

        var ledger = cluster.Ledger();
        var killed = new HashSet<int> { creator.Pid, first.Pid };
        var reruns = ClusterAssert.EveryRunCompletedOnce(await cluster.ReadJournalAsync(), ledger, killed, crashFree.Outputs, StepNames, second.LostClaims());

        output.WriteLine($"bodies run twice: {reruns.Count}, of which w1 was killed inside {reruns.Count(r => r.Earlier.Any(e => e.Pid == first.Pid))}");
        // w1 was killed inside at least one body, and w2 ran that step again and kept it.
        var takenOver = reruns.Where(r => r.Earlier.Any(e => e.Pid == first.Pid)).ToList();
        Assert.NotEmpty(takenOver);
        Assert.All(takenOver, r => Assert.Equal(second.Pid, r.Kept.Pid));
        var hungInW1 = ledger.Where(e => e.Pid == first.Pid && e.Kind == "begin")
            .Where(b => !ledger.Any(e => e.Pid == first.Pid && e.Kind == "end" && e.RunId == b.RunId && e.Step == b.Step))
            .ToList();
        Assert.NotEmpty(hungInW1);
        Assert.All(hungInW1, b => Assert.Contains(takenOver, r => r.RunId == b.RunId && r.Step == b.Step));
    }

    private static string[] Worker(string id) =>
        ["--resume", "--until-all-done", "--worker-id", id, "--max-concurrent", "8", "--body-ms", "30", "--lease-ms", "2000", "--poll-ms", "100", "--log-store"];

    /// <summary>
    /// 40 runs started by a process that is killed while each is inside a step body (run i in step s(i % 5 + 1), earlier
    /// steps recorded), then 10 runs created Pending by a process without an engine.
    /// </summary>
    private static async Task<HostChild> LeaveFiftyUnfinishedRunsAsync(HostCluster cluster)
    {
        var creator = cluster.Start("work", "--start", LeftPartWay.ToString(), "--hang-mod", "5", "--worker-id", "creator", "--lease-ms", "2000");
        // Run i begins i % 5 + 1 bodies and ends all but the last: 120 begun, 80 ended, then nothing moves.
        await cluster.WaitForLedgerAsync(l => l.Count(e => e.Kind == "begin") == 120 && l.Count(e => e.Kind == "end") == 80, "40 runs inside a step body", creator);
        await creator.KillAsync();
        await cluster.RunToEndAsync("create", "--count", NeverStarted.ToString(), "--start-from", LeftPartWay.ToString());

        var journal = await cluster.ReadJournalAsync();
        Assert.Equal(LeftPartWay + NeverStarted, journal.Count);
        foreach (var (run, steps) in journal)
        {
            var index = int.Parse(run.IdempotencyKey!["run-".Length..]);
            if (index < LeftPartWay)
            {
                Assert.Equal(RunStatus.Running, run.Status);
                Assert.Equal("creator", run.Owner);
                Assert.Equal(index % 5 + 1, steps.Count);
                Assert.All(steps.SkipLast(1), s => Assert.Equal(StepStatus.Succeeded, s.Status));
                Assert.Equal(StepStatus.Running, steps[^1].Status);
            }
            else
            {
                Assert.Equal(RunStatus.Pending, run.Status);
                Assert.Null(run.Owner);
                Assert.Empty(steps);
            }
        }
        return creator;
    }
}
