using System.Globalization;
using Workflows.Journal;
using Xunit.Abstractions;

namespace Workflows.CrashTests;

/// <summary>
/// A queue across processes on PostgreSQL: three EngineHost workers serve queue "limited" (Concurrency 2, each worker free
/// to execute many runs at once); the runs' steps take long enough that, without the limit, most of them would execute at
/// once. Checked from the journal as the store reads it: for each run, the span from its first step's start to its last
/// step's end lies inside its claim, so at no instant may more than two of those spans overlap, and some instant must have
/// two (a queue run serially, or not limited at all, fails). The control runs the same check on runs started without the
/// queue and finds more than two at once, so the checker itself can fail.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class QueueProcessTests(ITestOutputHelper output)
{
    private const string Queue = "limited";
    private const int Limit = 2;
    private const int Runs = 12;

    private static string[] Worker(string id, params string[] more) =>
        ["--until-all-done", "--worker-id", id, "--workflow", "ten", "--max-concurrent", "16", "--body-ms", "100",
         "--lease-ms", "2000", "--poll-ms", "100", "--log-store", .. more];

    private static readonly string[] OnQueue = ["--queue", Queue, "--queue-limit", Limit.ToString(CultureInfo.InvariantCulture)];

    [Fact]
    public async Task A_queue_with_limit_2_across_3_worker_processes_never_executes_more_than_2_of_its_runs_and_all_complete_when_one_is_killed()
    {
        await using var cluster = await HostCluster.OnPostgreSqlAsync();
        var expected = TenStepRuns.ExpectedOutputs(Runs);

        // w1 starts the runs on the queue (a queued run is never created claimed: each waits Pending for room), and claims
        // the first two; w2 and w3 serve the same queue (started once the runs are in the journal: --until-all-done would
        // let a worker that finds none exit at once).
        var w1 = cluster.Start("work", [.. Worker("w1", OnQueue), "--start", Runs.ToString(CultureInfo.InvariantCulture)]);
        await w1.WaitForLineAsync(l => l == $"STARTED {Runs}", "STARTED");
        var w2 = cluster.Start("work", [.. Worker("w2", OnQueue)]);
        var w3 = cluster.Start("work", [.. Worker("w3", OnQueue)]);
        HostChild[] all = [w1, w2, w3];

        // Mid-way (some runs finished), while w1 is inside a step body of a run it holds: SIGKILL. Its runs keep their room
        // until their leases lapse, then are taken over and finish elsewhere.
        await cluster.WaitForLedgerAsync(
            l => l.Count(e => e.Kind == "finish") >= 3 && PostgreSqlFourWorkerProcessTests.InFlight(l, w1.Pid).Count > 0,
            "three runs to finish with w1 inside a step body", all);
        await w1.KillAsync();
        var killedInside = PostgreSqlFourWorkerProcessTests.InFlight(cluster.Ledger(), w1.Pid).Select(b => b.RunId).Distinct().ToList();
        Assert.NotEmpty(killedInside);
        HostChild[] alive = [w2, w3];
        foreach (var child in alive)
        {
            await child.WaitForExitAsync();
            Assert.True(child.ExitCode == 0, $"'{child.Description}' exited {child.ExitCode}:\n{child.Output}");
        }

        var journal = await cluster.ReadJournalAsync();
        Assert.All(journal, r => Assert.Equal(Queue, r.Run.Queue));
        // Every run Succeeded with its expected output, each of its ten steps once; a body ran twice only where w1 was killed.
        await TenStepRuns.AssertAllSucceededAsync(cluster, journal, expected);
        var ledger = cluster.Ledger();
        var lost = alive.SelectMany(c => c.LostClaims()).ToList();
        var reruns = ClusterAssert.EveryRunCompletedOnce(journal, ledger, new HashSet<int> { w1.Pid }, expected, TenStepRuns.StepNames, lost);
        // The runs w1 was killed inside were finished by the others.
        Assert.All(killedInside, id => Assert.All(journal.Single(r => r.Run.Id == id).Steps.Where(s => StepOutput.Of(s).Pid != w1.Pid),
            s => Assert.Contains(StepOutput.Of(s).Pid, alive.Select(c => c.Pid))));
        Assert.All(killedInside, id => Assert.Contains(journal.Single(r => r.Run.Id == id).Steps, s => StepOutput.Of(s).Pid != w1.Pid));

        var overlap = QueueOverlap.Max(journal);
        output.WriteLine($"{Runs} runs on '{Queue}' (limit {Limit}); at most {overlap.Count} executing at once (first at {overlap.At:O}); " +
                         $"w1 killed inside {killedInside.Count} runs; {reruns.Count} bodies ran again; claims lost by live engines: {lost.Count}");
        foreach (var pid in all.Select(c => c.Pid))
        {
            output.WriteLine($"pid {pid}: {journal.Count(r => r.Steps.Any(s => StepOutput.Of(s).Pid == pid))} runs with a step kept from it");
        }
        Assert.True(overlap.Count <= Limit, $"{overlap.Count} runs of queue '{Queue}' were executing at {overlap.At:O}: {overlap.Describe()}");
        Assert.True(overlap.Count == Limit, $"the queue never had {Limit} runs executing at once (at most {overlap.Count}): it ran serially");
        // Across processes: the runs were executed by more than one worker (w1 and whoever took its runs over, at least).
        Assert.True(journal.SelectMany(r => r.Steps).Select(s => StepOutput.Of(s).Pid).Distinct().Count() >= 2);
    }

    [Fact]
    public async Task The_overlap_check_finds_more_than_2_executing_when_the_same_runs_are_started_without_the_queue()
    {
        await using var cluster = await HostCluster.OnPostgreSqlAsync();
        const int count = 6;
        var expected = TenStepRuns.ExpectedOutputs(count);

        // The same workers and workflow, the runs started on no queue.
        var w1 = cluster.Start("work", [.. Worker("w1"), "--start", count.ToString(CultureInfo.InvariantCulture)]);
        await w1.WaitForLineAsync(l => l == $"STARTED {count}", "STARTED");
        var w2 = cluster.Start("work", [.. Worker("w2")]);
        foreach (var child in new[] { w1, w2 })
        {
            await child.WaitForExitAsync();
            Assert.True(child.ExitCode == 0, $"'{child.Description}' exited {child.ExitCode}:\n{child.Output}");
        }

        var journal = await cluster.ReadJournalAsync();
        Assert.All(journal, r => Assert.Null(r.Run.Queue));
        await TenStepRuns.AssertAllSucceededAsync(cluster, journal, expected);
        var overlap = QueueOverlap.Max(journal);
        output.WriteLine($"{count} runs on no queue: at most {overlap.Count} executing at once");
        Assert.True(overlap.Count > Limit, $"without the queue, at most {overlap.Count} runs overlapped: the check could not fail. {overlap.Describe()}");
    }
}

/// <summary>
/// How many runs of a run set executed at once, from the journal: each run's span is its first step's <c>StartedAt</c> to
/// its last step's <c>CompletedAt</c> (inside its claim: a step begins after the run is claimed, and the commit that ends
/// the run, releasing the claim, comes after its last step ends). Spans that only touch (one ends as the next starts) do
/// not overlap.
/// </summary>
internal sealed record QueueOverlap(int Count, DateTimeOffset At, IReadOnlyList<(Guid RunId, DateTimeOffset From, DateTimeOffset To)> Spans)
{
    public static QueueOverlap Max(IReadOnlyList<JournalRun> runs)
    {
        var spans = runs.Select(r =>
        {
            Assert.True(r.Steps.Count > 0 && r.Steps.All(s => s.StartedAt is not null && s.CompletedAt is not null),
                $"run {r.Run.Id} has a step without its start or end time");
            return (r.Run.Id, From: r.Steps.Min(s => s.StartedAt!.Value), To: r.Steps.Max(s => s.CompletedAt!.Value));
        }).ToList();
        var edges = spans.SelectMany(s => new[] { (At: s.From, Delta: 1), (At: s.To, Delta: -1) })
            .OrderBy(e => e.At.UtcTicks).ThenBy(e => e.Delta);
        var executing = 0;
        var max = 0;
        var at = DateTimeOffset.MinValue;
        foreach (var edge in edges)
        {
            executing += edge.Delta;
            if (executing > max)
            {
                max = executing;
                at = edge.At;
            }
        }
        return new QueueOverlap(max, at, spans);
    }

    /// <summary>The spans that contain the instant of the largest overlap.</summary>
    public string Describe() => string.Join("; ", Spans.Where(s => s.From <= At && At < s.To).Select(s => $"{s.RunId} {s.From:HH:mm:ss.fff}-{s.To:HH:mm:ss.fff}"));
}
