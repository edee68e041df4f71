using System.Globalization;
using Xunit.Abstractions;

namespace Workflows.CrashTests;

/// <summary>
/// Four engine processes on one PostgreSQL schema share 200 runs of a ten-step workflow. One is killed (SIGKILL) inside
/// step bodies; another is stopped (SIGSTOP) past its lease while it holds runs, and continued once every run it held was
/// taken over. Every run completes exactly once (Succeeded, one run row, one step row per sequence), a body ran again only
/// where its process died or lost the run while stopped, and what the stopped process tried to write after it went on, for
/// the runs it lost, was refused: nothing of it in the journal is younger than the stop.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgreSqlFourWorkerProcessTests(ITestOutputHelper output)
{
    private const int Runs = 200;

    [Fact]
    public async Task Four_worker_processes_complete_200_runs_exactly_once_when_one_is_killed_and_one_is_stopped_past_its_lease()
    {
        await using var cluster = await HostCluster.OnPostgreSqlAsync();
        var expected = TenStepRuns.ExpectedOutputs(Runs);
        await cluster.RunToEndAsync("create", "--workflow", "ten", "--count", Runs.ToString(CultureInfo.InvariantCulture));

        string[] Worker(string id, int maxConcurrent, int bodyMs) =>
            ["--resume", "--until-all-done", "--worker-id", id, "--max-concurrent", maxConcurrent.ToString(CultureInfo.InvariantCulture),
             "--body-ms", bodyMs.ToString(CultureInfo.InvariantCulture), "--lease-ms", "2000", "--poll-ms", "100", "--log-store"];
        // w1's bodies after its 12th hang, so that the kill finds it inside step bodies, holding live claims. w2 (the one
        // stopped) has more runs in flight and longer bodies, so that it is stopped inside several and has several late
        // commits to make when it goes on.
        var victim = cluster.Start("work", [.. Worker("w1", 4, 40), "--hang-after-begins", "12"]);
        var stopTrigger = cluster.FilePath("stop-w2");
        var sleeper = cluster.Start("work", [.. Worker("w2", 8, 250), "--stop-on-renew", stopTrigger]);
        var w3 = cluster.Start("work", Worker("w3", 4, 40));
        var w4 = cluster.Start("work", Worker("w4", 4, 40));
        HostChild[] all = [victim, sleeper, w3, w4];

        await cluster.WaitForLedgerAsync(l => l.Count(e => e.Pid == victim.Pid && e.Kind == "begin") > 12, "w1 to be inside a hanging body", all);
        await victim.KillAsync();
        HostChild[] alive = [sleeper, w3, w4];

        // w2 inside step bodies of several runs, then stopped outside any transaction: it stops itself inside a claim
        // renewal, once the store renewed its claims and before its engine hears so. Continued, it believes it holds its
        // runs until its next renewal: the commits it makes meanwhile reach the store's fence.
        await cluster.WaitForLedgerAsync(l => InFlight(l, sleeper.Pid).Count >= 4, "w2 to be inside the bodies of 4 runs", alive);
        await StopInsideRenewalAsync(cluster, sleeper, stopTrigger);
        var stoppedAt = DateTime.UtcNow.Ticks;
        // Every transaction that wrote a row of w2's before it was stopped has an id below this one.
        var xidAtStop = Convert.ToInt64(cluster.QueryScalar("SELECT pg_current_xact_id()::text::bigint % 4294967296"), CultureInfo.InvariantCulture);
        var heldAtStop = (await cluster.QueryRowsAsync("SELECT id FROM workflow_runs WHERE owner = 'w2'")).Select(r => (Guid)r[0]!).ToList();
        Assert.NotEmpty(heldAtStop);

        // Past w2's lease: the others take every run it held over (w2 cannot renew; it is stopped).
        await HostCluster.Eventually(async () => (await cluster.QueryRowsAsync("SELECT 1 FROM workflow_runs WHERE owner = 'w2'")).Count == 0,
            $"the {heldAtStop.Count} runs w2 held to be taken over", w3, w4);
        var continuedAt = DateTime.UtcNow.Ticks; // before the signal: w2 goes on before /bin/kill exits
        sleeper.Signal("CONT");

        foreach (var child in alive)
        {
            await child.WaitForExitAsync();
            Assert.True(child.ExitCode == 0, $"'{child.Description}' exited {child.ExitCode}:\n{child.Output}");
        }

        var journal = await cluster.ReadJournalAsync();
        await TenStepRuns.AssertAllSucceededAsync(cluster, journal, expected);

        var ledger = cluster.Ledger();
        var lost = alive.SelectMany(c => c.LostClaims()).ToList();
        // w2 was interrupted as surely as w1: stopped past its lease. (Its own evidence, in `lost`, may miss a run whose
        // new owner ended it before w2 renewed: the renewal then finds no owner at all.)
        var reruns = ClusterAssert.EveryRunCompletedOnce(journal, ledger, new HashSet<int> { victim.Pid, sleeper.Pid }, expected, TenStepRuns.StepNames, lost);

        // w1 was killed inside bodies; each of them ran again in another process, which kept it.
        var hungInVictim = InFlight(ledger, victim.Pid);
        Assert.NotEmpty(hungInVictim);
        Assert.All(hungInVictim, b => Assert.Contains(reruns, r => r.RunId == b.RunId && r.Step == b.Step && r.Kept.Pid != victim.Pid));
        // Bodies ran twice only in runs w1 or w2 was inside when interrupted, or that a live engine reported it lost.
        Assert.All(reruns, r => Assert.True(
            r.Earlier.All(e => e.Pid == victim.Pid || e.Pid == sleeper.Pid || lost.Contains((e.Pid, r.RunId))),
            $"run {r.RunId} step {r.Step} ran again: {string.Join(", ", r.Earlier)}"));

        // w2's late writes: it went on inside bodies of runs it no longer held. Each of those executions ended refused,
        // writing nothing: its engine reports RunOwnershipLostException naming w2 and the run. The store's fence refused
        // the commits that came before w2's next renewal (FENCED: at least one); once that renewal learned of the takeover
        // (RENEW-LOST), the engine refused the rest itself (COMMIT-CANCELLED, or no store call at all).
        var lateEnds = ledger.Where(e => e.Pid == sleeper.Pid && e.Kind == "end" && e.Ticks > continuedAt && heldAtStop.Contains(e.RunId)).ToList();
        Assert.NotEmpty(lateEnds);
        var refused = heldAtStop.ToDictionary(id => id, id => sleeper.Lines.Where(l =>
            l.StartsWith($"BACKGROUND RunOwnershipLostException: Engine 'w2' no longer holds run {id:D}:", StringComparison.Ordinal)).ToList());
        Assert.All(lateEnds, e => Assert.True(refused[e.RunId].Count > 0,
            $"w2 ran a body of run {e.RunId} after it went on, and reported no RunOwnershipLostException for the run:\n{sleeper.Output}"));
        Assert.True(refused.Values.Sum(r => r.Count) > 0, $"w2 logged no RunOwnershipLostException:\n{sleeper.Output}");
        var fenced = sleeper.Lines.Where(l => l.StartsWith("FENCED ", StringComparison.Ordinal)).ToList();
        Assert.True(fenced.Any(l => heldAtStop.Any(id => l.StartsWith($"FENCED run={id:D} ", StringComparison.Ordinal))),
            $"no commit of w2 in a run it held when stopped was refused by the store's fence:\n{sleeper.Output}");
        Assert.All(fenced, l => Assert.Contains("expected=w2 ", l));
        Assert.All(fenced, l => Assert.Contains("message=Engine 'w2' no longer holds run", l));
        var renewLost = sleeper.Lines.Count(l => l.StartsWith("RENEW-LOST ", StringComparison.Ordinal));
        var cancelled = sleeper.Lines.Count(l => l.StartsWith("COMMIT-CANCELLED ", StringComparison.Ordinal));
        // Nothing w2 wrote in the runs it held lands after the stop: every step row in them still kept from w2 was written
        // by a transaction older than the stop, and every body of w2 that ended after it went on is not in the journal.
        var rows = await cluster.QueryRowsAsync("SELECT run_id, sequence, xmin::text::bigint FROM workflow_steps");
        var xmin = rows.ToDictionary(r => ((Guid)r[0]!, (int)r[1]!), r => (long)r[2]!);
        foreach (var (run, steps) in journal.Where(r => heldAtStop.Contains(r.Run.Id)))
        {
            foreach (var step in steps.Where(s => StepOutput.Of(s).Pid == sleeper.Pid))
            {
                Assert.True(xmin[(run.Id, step.Sequence)] < xidAtStop,
                    $"run {run.Id} step {step.Name}, kept from w2, was written by transaction {xmin[(run.Id, step.Sequence)]}, after w2 was stopped ({xidAtStop})");
            }
        }
        Assert.All(lateEnds, e => Assert.NotEqual(sleeper.Pid, StepOutput.Of(journal.Single(r => r.Run.Id == e.RunId).Step(e.Step)).Pid));

        var bodies = ledger.Count(e => e.Kind == "end");
        output.WriteLine($"{Runs} runs, {bodies} bodies ended; w2 stopped {TimeSpan.FromTicks(continuedAt - stoppedAt).TotalSeconds:F1} s holding {heldAtStop.Count} runs; " +
                         $"{lateEnds.Count} of its bodies ended after it went on; refusals: {refused.Values.Count(r => r.Count > 0)} runs with RunOwnershipLostException, " +
                         $"{fenced.Count} commits refused by the store's fence, {renewLost} renewals that found the run taken, {cancelled} commits given up; " +
                         $"{reruns.Count} bodies ran more than once " +
                         $"({reruns.Count(r => r.Earlier.Any(e => e.Pid == victim.Pid))} after the kill, {reruns.Count(r => r.Earlier.Any(e => e.Pid == sleeper.Pid))} after the stop); " +
                         $"claims lost by live engines: {lost.Count}");
        foreach (var child in alive)
        {
            output.WriteLine($"{child.Description}: {ledger.Count(e => e.Pid == child.Pid && e.Kind == "end")} bodies");
        }
        foreach (var line in alive.SelectMany(c => c.Lines).Where(l => l.StartsWith("FENCED", StringComparison.Ordinal) || l.StartsWith("RENEW-LOST", StringComparison.Ordinal)
                     || l.StartsWith("COMMIT-CANCELLED", StringComparison.Ordinal) || l.StartsWith("BACKGROUND", StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }
    }

    /// <summary>
    /// Has the child stop itself inside its next claim renewal (--stop-on-renew): the trigger file is created, the child
    /// prints SELF-STOP and stops; once it is stopped the file is removed (it stops no more when continued). If one of its
    /// store's backends is inside a transaction at that moment (a claim), or it is inside no step body, it is continued and
    /// stopped at the next renewal.
    /// </summary>
    private static async Task StopInsideRenewalAsync(HostCluster cluster, HostChild child, string trigger)
    {
        for (var attempt = 1; attempt <= 20; attempt++)
        {
            File.WriteAllText(trigger, "");
            await child.WaitForLineAsync(l => l.StartsWith($"SELF-STOP {attempt} ", StringComparison.Ordinal), $"SELF-STOP {attempt}");
            await HostCluster.Eventually(() => Task.FromResult(child.IsStopped), $"'{child.Description}' to be stopped", child);
            File.Delete(trigger);
            // Stopped inside bodies (so that it has late commits to make), and outside any transaction.
            if (InFlight(cluster.Ledger(), child.Pid).Count > 0 && await cluster.BackendsInTransactionAsync(child) == 0)
            {
                return;
            }
            child.Signal("CONT");
        }
        Assert.Fail($"Could not stop '{child.Description}' inside a renewal outside any transaction.");
    }

    /// <summary>The bodies a process began and never ended.</summary>
    internal static List<LedgerEntry> InFlight(IReadOnlyList<LedgerEntry> ledger, int pid) => [.. ledger
        .Where(e => e.Pid == pid && e.Kind == "begin")
        .Where(b => !ledger.Any(e => e.Pid == pid && e.Kind == "end" && e.RunId == b.RunId && e.Step == b.Step && e.Attempt == b.Attempt))];
}
