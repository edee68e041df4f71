using Xunit.Abstractions;

namespace Workflows.CrashTests;

/// <summary>
/// Engine processes killed (SIGKILL) or paused past their lease (SIGSTOP, then SIGCONT) at random moments, again and again, while two at a time work through the same runs: whatever
/// the moments, every run completes exactly once with a crash-free run's output, and a step body ran again only where a
/// killed process, or one that lost the claim (paused) and had its late commit refused, had begun it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class KillLoopProcessTests(CrashFreeRuns crashFree, ITestOutputHelper output)
{
    [Fact]
    public async Task Runs_worked_by_engine_processes_that_are_killed_or_paused_at_random_moments_each_complete_exactly_once()
    {
        await using var cluster = new HostCluster();
        await KillLoopAsync(cluster);
    }

    /// <summary>The same on a PostgreSQL schema (the shared test server, WORKFLOWS_POSTGRES).</summary>
    [Fact]
    public async Task On_PostgreSQL_runs_worked_by_engine_processes_that_are_killed_or_paused_at_random_moments_each_complete_exactly_once()
    {
        await using var cluster = await HostCluster.OnPostgreSqlAsync();
        await KillLoopAsync(cluster);
    }

    private async Task KillLoopAsync(HostCluster cluster)
    {
        // Longer torture by hand: WORKFLOWS_KILL_ROUNDS=40 WORKFLOWS_KILL_BODY_MS=400 dotnet test ... --filter KillLoop
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("WORKFLOWS_KILL_ROUNDS"), out var n) ? n : 6;
        var bodyMs = int.TryParse(Environment.GetEnvironmentVariable("WORKFLOWS_KILL_BODY_MS"), out var b) ? b : 80;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}, up to {rounds} kills, bodies up to {bodyMs} ms, on {(cluster.IsPostgreSql ? "PostgreSQL" : "SQLite")}");

        await cluster.RunToEndAsync("create", "--count", "50");
        var killed = new HashSet<int>();
        var alive = new List<HostChild>();
        var survivors = new List<HostChild>();
        var paused = 0;
        HostChild StartWorker(int i) => cluster.Start("work", "--resume", "--until-all-done", "--worker-id", $"k{i}", "--max-concurrent", "3",
            "--body-ms", random.Next(bodyMs / 4, bodyMs).ToString(), "--lease-ms", "2000", "--poll-ms", "100", "--log-store");

        for (var round = 0; round < rounds; round++)
        {
            while (alive.Count < 2) alive.Add(StartWorker(round * 2 + alive.Count));
            await Task.Delay(random.Next(150, 1200));
            var victim = alive[random.Next(alive.Count)];
            if (victim.HasExited) break; // everything is done already
            if (random.Next(3) == 0)
            {
                // Paused past its lease: its runs are taken over, and what it writes when it goes on must be refused.
                await cluster.StopOutsideTransactionAsync(victim);
                await Task.Delay(random.Next(2300, 3500));
                victim.Signal("CONT");
                paused++;
                continue;
            }
            await victim.KillAsync();
            killed.Add(victim.Pid);
            alive.Remove(victim);
        }
        alive.Add(StartWorker(999));
        foreach (var child in alive)
        {
            await child.WaitForExitAsync();
            Assert.True(child.ExitCode == 0, child.Output);
            survivors.Add(child);
        }

        var ledger = cluster.Ledger();
        var reruns = ClusterAssert.EveryRunCompletedOnce(await cluster.ReadJournalAsync(), ledger, killed, crashFree.Outputs, ["s1", "s2", "s3", "s4", "s5"],
            [.. survivors.SelectMany(s => s.LostClaims())]);
        output.WriteLine($"{killed.Count} processes killed, {paused} paused past their lease; {reruns.Count} bodies ran more than once; {survivors.Sum(s => s.LostClaims().Count)} claims lost by live engines");
    }
}
