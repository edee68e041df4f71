using System.Globalization;
using Workflows.Journal;
using Xunit.Abstractions;

namespace Workflows.CrashTests;

/// <summary>
/// A queue across processes on PostgreSQL: three EngineHost workers serve queue "limited" (Concurrency 2, each worker free
/// to execute many runs at once); the runs' steps take long enough that, without the limit, most of them would execute at
/// once. Checked from the journal as the store reads it: for each run, the span from its first step's start to its last
/// step's end lies inside its claim, so at no instant may more than two of those spans overlap, and some instant must have
/// two (a queue run serially, or not limited at all, fails). Mid-way one worker is SIGKILLed inside an early step body:
/// the runs it held keep their room until their leases lapse (2 s), are taken over, and the limit still holds. (The store
/// keeps no claim history; the step spans are the journal's evidence. A run killed inside a body spans its takeover, so a
/// store that gave a dead worker's live claim's room away would show three spans at once.) Another test caps each worker
/// at one run of the queue (WorkerConcurrency 1). The control runs the same check on runs started without the queue and
/// finds more than two at once, so the checker itself can fail.
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
        var workers = new Dictionary<HostChild, string> { [w1] = "w1", [w2] = "w2", [w3] = "w3" };
        HostChild[] all = [w1, w2, w3];

        // Mid-way (three runs finished), whichever worker is inside an early step body (s1..s8, so that its run cannot end
        // before the kill lands) of a run it holds: SIGKILL. Its runs keep their room until their leases lapse, then are
        // taken over and finish elsewhere.
        HostChild? victim = null;
        await cluster.WaitForLedgerAsync(l =>
        {
            if (l.Count(e => e.Kind == "finish") < 3) return false;
            victim = all.FirstOrDefault(c => PostgreSqlFourWorkerProcessTests.InFlight(l, c.Pid).Any(b => b.Step is not ("s9" or "s10")));
            return victim is not null;
        }, "three runs to finish with a worker inside an early step body", all);
        await victim!.KillAsync();
        var held = (await cluster.QueryRowsAsync($"SELECT id FROM workflow_runs WHERE owner = '{workers[victim]}'")).Select(r => (Guid)r[0]!).ToList();
        Assert.NotEmpty(held);
        var finishedBeforeKill = cluster.Ledger().Count(e => e.Kind == "finish");
        HostChild[] alive = [.. all.Where(c => c != victim)];
        foreach (var child in alive)
        {
            await child.WaitForExitAsync();
            Assert.True(child.ExitCode == 0, $"'{child.Description}' exited {child.ExitCode}:\n{child.Output}");
        }

        var journal = await cluster.ReadJournalAsync();
        Assert.All(journal, r => Assert.Equal(Queue, r.Run.Queue));
        // Every run Succeeded with its expected output, each of its ten steps once; a body ran twice only where the victim
        // was killed (or a live worker reported the run lost).
        await TenStepRuns.AssertAllSucceededAsync(cluster, journal, expected);
        var ledger = cluster.Ledger();
        var lost = alive.SelectMany(c => c.LostClaims()).ToList();
        var reruns = ClusterAssert.EveryRunCompletedOnce(journal, ledger, new HashSet<int> { victim.Pid }, expected, TenStepRuns.StepNames, lost);
        // The runs the victim held when killed (not ended yet, whatever steps it had journaled) were ended by the others: a
        // live worker replayed each past its last step.
        Assert.All(held, id => Assert.Contains(ledger, e => e.Kind == "finish" && e.RunId == id && alive.Any(c => c.Pid == e.Pid)));

        var overlap = QueueOverlap.Max(journal);
        // The claim history says it exactly: at no instant did more than the limit of claims hold runs of the queue (a
        // claim of the killed worker holds until its lease, then is taken over), and some instant had the limit.
        var claims = ClaimOverlap.Max(journal);
        output.WriteLine($"claim history: {journal.Sum(r => r.Claims.Count)} claims, at most {claims.Count} holding at once (at {claims.At:O})");
        Assert.True(claims.Count <= Limit, $"{claims.Count} claims held runs of queue '{Queue}' at {claims.At:O}: {claims.Describe()}");
        Assert.True(claims.Count == Limit, $"the claim history never had {Limit} runs held at once (at most {claims.Count})");
        Assert.All(held, id => Assert.Contains(journal.Single(r => r.Run.Id == id).Claims,
            c => c.Owner == workers[victim] && c.End == ClaimEnd.TakenOver)); // the killed worker's claims lapsed and were taken over
        Assert.All(journal, r => Assert.All(r.Claims, c => Assert.NotNull(c.End))); // every claim ended: nothing is held any more
        output.WriteLine($"{Runs} runs on '{Queue}' (limit {Limit}); at most {overlap.Count} executing at once (first at {overlap.At:O}); " +
                         $"{workers[victim]} killed after {finishedBeforeKill} runs finished, holding {held.Count}; {reruns.Count} bodies ran again; " +
                         $"claims lost by live engines: {lost.Count}");
        foreach (var pid in all.Select(c => c.Pid))
        {
            output.WriteLine($"{workers[all.Single(c => c.Pid == pid)]}: {journal.Count(r => r.Steps.Any(s => StepOutput.Of(s).Pid == pid))} runs with a step kept from it");
        }
        Assert.True(overlap.Count <= Limit, $"{overlap.Count} runs of queue '{Queue}' were executing at {overlap.At:O}: {overlap.Describe()}");
        Assert.True(overlap.Count == Limit, $"the queue never had {Limit} runs executing at once (at most {overlap.Count}): it ran serially");
        // Across processes: the runs were executed by more than one worker (the victim and whoever took its runs over, at least).
        Assert.True(journal.SelectMany(r => r.Steps).Select(s => StepOutput.Of(s).Pid).Distinct().Count() >= 2);
    }

    [Fact]
    public async Task A_worker_limit_of_1_caps_each_worker_process_below_the_queues_concurrency()
    {
        await using var cluster = await HostCluster.OnPostgreSqlAsync();
        const int count = 9;
        var expected = TenStepRuns.ExpectedOutputs(count);
        // Concurrency 3 across the workers, WorkerConcurrency 1 in each: the one that starts the runs could take three at
        // once, and takes one. (A longer lease: a worker starved of CPU must not lose a run here, nothing is killed.)
        string[] queue = ["--queue", Queue, "--queue-limit", "3", "--queue-worker-limit", "1", "--lease-ms", "5000"];
        var w1 = cluster.Start("work", [.. Worker("w1", queue), "--start", count.ToString(CultureInfo.InvariantCulture)]);
        await w1.WaitForLineAsync(l => l == $"STARTED {count}", "STARTED");
        var w2 = cluster.Start("work", [.. Worker("w2", queue)]);
        var w3 = cluster.Start("work", [.. Worker("w3", queue)]);
        HostChild[] all = [w1, w2, w3];
        foreach (var child in all)
        {
            await child.WaitForExitAsync();
            Assert.True(child.ExitCode == 0, $"'{child.Description}' exited {child.ExitCode}:\n{child.Output}");
        }

        var journal = await cluster.ReadJournalAsync();
        Assert.All(journal, r => Assert.Equal(Queue, r.Run.Queue));
        await TenStepRuns.AssertAllSucceededAsync(cluster, journal, expected);
        Assert.Empty(all.SelectMany(c => c.LostClaims()));
        var byWorker = journal.GroupBy(r => Assert.Single(r.Steps.Select(s => StepOutput.Of(s).Pid).Distinct())).ToList();
        var overall = QueueOverlap.Max(journal);
        output.WriteLine($"{count} runs, at most {overall.Count} executing at once; per worker: " +
                         string.Join(", ", byWorker.Select(g => $"pid {g.Key}: {g.Count()} runs, at most {QueueOverlap.Max([.. g]).Count} at once")));
        Assert.All(byWorker, g => Assert.True(QueueOverlap.Max([.. g]).Count == 1,
            $"pid {g.Key} executed {QueueOverlap.Max([.. g]).Count} of the queue's runs at once: {QueueOverlap.Max([.. g]).Describe()}"));
        Assert.InRange(overall.Count, 2, 3); // the workers shared the queue's room, within its concurrency
        // The same from the claim history: per owner at most one claim held at once, in all at most three.
        var claimsByOwner = journal.SelectMany(r => r.Claims).GroupBy(c => c.Owner).ToList();
        Assert.All(claimsByOwner, g => Assert.Equal(1, ClaimOverlap.Max([.. g]).Count));
        Assert.InRange(ClaimOverlap.Max(journal).Count, 2, 3);
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
        var claims = ClaimOverlap.Max(journal);
        Assert.True(claims.Count > Limit, $"without the queue, at most {claims.Count} claims were held at once: the claim check could not fail");
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
        var (max, at) = MostAtOnce(spans.Select(s => (s.From, s.To)));
        return new QueueOverlap(max, at, spans);
    }

    /// <summary>
    /// The largest number of <paramref name="intervals"/> that contain one instant, and the first such instant. An interval
    /// holds from its start up to, not including, its end: two that only touch do not overlap.
    /// </summary>
    public static (int Count, DateTimeOffset At) MostAtOnce(IEnumerable<(DateTimeOffset From, DateTimeOffset To)> intervals)
    {
        var edges = intervals.SelectMany(i => new[] { (At: i.From, Delta: 1), (At: i.To, Delta: -1) })
            .OrderBy(e => e.At.UtcTicks).ThenBy(e => e.Delta);
        var inside = 0;
        var max = 0;
        var at = DateTimeOffset.MinValue;
        foreach (var edge in edges)
        {
            inside += edge.Delta;
            if (inside > max)
            {
                max = inside;
                at = edge.At;
            }
        }
        return (max, at);
    }

    /// <summary>The spans that contain the instant of the largest overlap.</summary>
    public string Describe() => string.Join("; ", Spans.Where(s => s.From <= At && At < s.To).Select(s => $"{s.RunId} {s.From:HH:mm:ss.fff}-{s.To:HH:mm:ss.fff}"));
}

/// <summary>
/// How many claims held runs at once, from the journal's claim history: each claim holds from <see cref="ClaimRecord.ClaimedAt"/>
/// to <see cref="ClaimRecord.HeldUntil"/> (its release, or its lease when it lapsed). An open claim holds until now.
/// </summary>
internal sealed record ClaimOverlap(int Count, DateTimeOffset At, IReadOnlyList<ClaimRecord> Claims)
{
    public static ClaimOverlap Max(IReadOnlyList<JournalRun> runs) => Max([.. runs.SelectMany(r => r.Claims)]);

    public static ClaimOverlap Max(IReadOnlyList<ClaimRecord> claims)
    {
        var now = DateTimeOffset.UtcNow;
        var (max, at) = QueueOverlap.MostAtOnce(claims.Select(c => (c.ClaimedAt, c.HeldUntil ?? now)));
        return new ClaimOverlap(max, at, claims);
    }

    /// <summary>The claims holding at the instant of the largest overlap.</summary>
    public string Describe() => string.Join("; ", Claims.Where(c => c.ClaimedAt <= At && At < (c.HeldUntil ?? DateTimeOffset.MaxValue))
        .Select(c => $"{c.RunId} #{c.Number} {c.Owner} {c.ClaimedAt:HH:mm:ss.fff}-{c.HeldUntil:HH:mm:ss.fff} {c.End}"));
}
