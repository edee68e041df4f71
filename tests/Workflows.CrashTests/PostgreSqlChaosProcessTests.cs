using System.Globalization;
using Xunit.Abstractions;

namespace Workflows.CrashTests;

/// <summary>
/// The database itself goes away under the workers. Three engine processes work through 100 runs of a ten-step workflow on
/// a PostgreSQL server of this test's own, which is crashed and restarted (pg_ctl restart -m immediate) three times while
/// runs are under way: the workers ride out each outage (the store reports it unavailable; the engine retries) and every
/// run completes, Succeeded with the crash-free output, none Failed, Parked or left behind, no step row duplicated.
/// A connection of the workers terminated by the server (pg_terminate_backend) is the same story, one process at a time
/// (and its LISTEN connection comes back).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgreSqlChaosProcessTests(ITestOutputHelper output)
{
    private static string[] Worker(string id, int maxConcurrent) =>
        ["--resume", "--until-all-done", "--worker-id", id, "--max-concurrent", maxConcurrent.ToString(CultureInfo.InvariantCulture),
         "--body-ms", "40", "--lease-ms", "3000", "--poll-ms", "100", "--log-store"];

    [Fact]
    public async Task Runs_worked_by_three_processes_all_complete_when_the_PostgreSQL_server_is_restarted_immediately_three_times()
    {
        const int runs = 100;
        // Never the shared server: this one is the test's, and dies with it.
        await using var server = await PrivatePostgresServer.StartAsync();
        await using var cluster = await HostCluster.OnPostgreSqlAsync(server.ConnectionString);
        var expected = TenStepRuns.ExpectedOutputs(runs);
        await cluster.RunToEndAsync("create", "--workflow", "ten", "--count", runs.ToString(CultureInfo.InvariantCulture));

        HostChild[] workers = [cluster.Start("work", Worker("c1", 6)), cluster.Start("work", Worker("c2", 6)), cluster.Start("work", Worker("c3", 6))];
        var bodiesAtRestart = new List<int>();
        var finishedAtRestart = new List<int>();
        for (var restart = 0; restart < 3; restart++)
        {
            // Work under way since the last restart: 60 more bodies ended (of 1000), and runs still unfinished.
            var before = cluster.Ledger().Count(e => e.Kind == "end");
            await cluster.WaitForLedgerAsync(l => l.Count(e => e.Kind == "end") >= before + 60, $"60 bodies to end before restart {restart + 1}", workers);
            // Every worker's store listens for wake-ups again (it reconnects its LISTEN connection with back-off).
            foreach (var worker in workers)
            {
                await HostCluster.Eventually(async () => await cluster.ListeningConnectionsAsync(worker) == 1,
                    restart == 0 ? $"'{worker.Description}' to listen" : $"'{worker.Description}' to listen again after restart {restart}", workers);
            }
            var ledger = cluster.Ledger();
            bodiesAtRestart.Add(ledger.Count(e => e.Kind == "end"));
            finishedAtRestart.Add(ledger.Where(e => e.Kind == "finish").Select(e => e.RunId).Distinct().Count());
            Assert.True(finishedAtRestart[^1] < runs, $"every run had finished before restart {restart + 1}: the workers are too fast for this test");
            await server.RestartImmediateAsync();
        }

        foreach (var worker in workers)
        {
            await worker.WaitForExitAsync();
            Assert.True(worker.ExitCode == 0, $"'{worker.Description}' exited {worker.ExitCode} after {server.Restarts} restarts:\n{worker.Output}");
            Assert.DoesNotContain(worker.Lines, l => l.StartsWith("CRASH ", StringComparison.Ordinal) || l.StartsWith("OUTCOME ", StringComparison.Ordinal));
        }

        var journal = await cluster.ReadJournalAsync();
        await TenStepRuns.AssertAllSucceededAsync(cluster, journal, expected);
        // No process died: a body ran again only in a run whose first worker lost it (an outage longer than its lease lets
        // the claim lapse, and whoever reaches the server first takes it), with that worker's evidence.
        var lost = workers.SelectMany(w => w.LostClaims()).ToList();
        // Immediate restarts are database crashes: a start marker (buffered) may be lost after its body began, and its outcome
        // then commits it again; nothing else is allowed.
        var reruns = ClusterAssert.EveryRunCompletedOnce(journal, cluster.Ledger(), new HashSet<int>(), expected, TenStepRuns.StepNames, lost,
            startMarkersMayBeLost: true);

        var all = cluster.Ledger();
        var begun = all.Where(e => e.Kind == "begin").GroupBy(e => (e.RunId, e.Step)).ToList();
        var background = workers.SelectMany(w => w.Lines).Where(l => l.StartsWith("BACKGROUND ", StringComparison.Ordinal)).ToList();
        output.WriteLine($"{runs} runs across {workers.Length} processes; server restarted {server.Restarts} times, after {string.Join(", ", bodiesAtRestart)} bodies " +
                         $"({string.Join(", ", finishedAtRestart)} runs finished); {all.Count(e => e.Kind == "end")} bodies ended; " +
                         $"{reruns.Count} steps whose body ran more than once; claims lost by live engines: {lost.Count}; {all.Count(e => e.Kind == "uncommitted")} bodies that found their attempt uncommitted; " +
                         $"{background.Count} background errors reported by the engines");
        foreach (var worker in workers)
        {
            output.WriteLine($"{worker.Description}: {all.Count(e => e.Pid == worker.Pid && e.Kind == "end")} bodies");
        }
        foreach (var worker in workers)
        {
            output.WriteLine($"--- {worker.Description} (pid {worker.Pid}):");
            foreach (var line in worker.Lines.Where(l => !l.StartsWith("RESULT ", StringComparison.Ordinal)).Take(60))
            {
                output.WriteLine(line);
            }
        }
        foreach (var group in begun.Where(g => g.Count() > 1).Take(20))
        {
            output.WriteLine($"began more than once: {string.Join(" | ", group)}");
        }
    }

    [Fact]
    public async Task A_worker_whose_connections_are_terminated_by_the_server_keeps_going_and_completes_its_runs()
    {
        const int runs = 20;
        await using var cluster = await HostCluster.OnPostgreSqlAsync();
        var expected = TenStepRuns.ExpectedOutputs(runs);
        var worker = cluster.Start("work", "--workflow", "ten", "--start", runs.ToString(CultureInfo.InvariantCulture), "--worker-id", "t1",
            "--max-concurrent", "5", "--body-ms", "40", "--lease-ms", "3000", "--poll-ms", "100", "--log-store");

        var terminated = new List<int>();
        for (var round = 0; round < 3; round++)
        {
            var before = cluster.Ledger().Count(e => e.Kind == "end");
            await cluster.WaitForLedgerAsync(l => l.Count(e => e.Kind == "end") >= before + 20, $"20 bodies to end before termination {round + 1}", worker);
            Assert.True(cluster.Ledger().Where(e => e.Kind == "finish").Select(e => e.RunId).Distinct().Count() < runs, "every run had finished already");
            // The store listens for wake-ups on a connection of its own; after a termination it listens again.
            await HostCluster.Eventually(async () => await cluster.ListeningConnectionsAsync(worker) == 1,
                round == 0 ? "the worker's LISTEN connection" : $"the worker to listen again after termination {round}", worker);
            // Whatever the store holds open at that moment: pooled, in a commit, listening.
            terminated.Add(await cluster.TerminateConnectionsAsync(worker));
            Assert.True(terminated[^1] > 0, $"the worker had no connection to terminate in round {round + 1}");
        }

        await worker.WaitForExitAsync();
        Assert.True(worker.ExitCode == 0, $"'{worker.Description}' exited {worker.ExitCode}:\n{worker.Output}");
        var journal = await cluster.ReadJournalAsync();
        foreach (var (run, _) in journal)
        {
            Assert.Contains($"RESULT {run.Id:D} Succeeded {run.Output}", worker.Lines);
        }
        await TenStepRuns.AssertAllSucceededAsync(cluster, journal, expected);
        var ledger = cluster.Ledger();
        var twice = ClusterAssert.EveryRunCompletedOnce(journal, ledger, new HashSet<int>(), expected, TenStepRuns.StepNames, worker.LostClaims()).Count;
        output.WriteLine($"connections terminated: {string.Join(", ", terminated)}; {ledger.Count(e => e.Kind == "end")} bodies ended; {twice} steps whose body ran more than once");
        foreach (var line in worker.Lines.Where(l => l.StartsWith("BACKGROUND ", StringComparison.Ordinal)).Take(20))
        {
            output.WriteLine(line);
        }
    }
}
