using System.Text.Json;
using Workflows.Journal;

namespace Workflows.CrashTests;

/// <summary>
/// A run suspended on a 2 s durable sleep in a child process: journaled as Waiting with nothing in memory; the child is
/// killed while it waits; a new process wakes the run, no earlier than its recorded wake-up time, and completes it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SuspendedRunProcessTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_run_sleeping_in_a_killed_process_wakes_in_the_next_one_no_earlier_than_its_recorded_wake_time(bool onPostgreSql)
    {
        await using var cluster = await HostCluster.CreateAsync(onPostgreSql);
        string[] common = ["--lease-ms", "2000", "--poll-ms", "100"];

        var first = cluster.Start("work", [.. common, "--workflow", "sleep", "--start", "1", "--sleep-ms", "2000", "--print-waiting"]);
        var waiting = await first.WaitForLineAsync(l => l.StartsWith("WAITING ", StringComparison.Ordinal) || l.StartsWith("NOT-SUSPENDED ", StringComparison.Ordinal),
            "the run to be suspended");
        Assert.StartsWith("WAITING inMemory=0 ", waiting);

        var (run, steps) = Assert.Single(await cluster.ReadJournalAsync());
        Assert.Equal(RunStatus.Waiting, run.Status);
        Assert.Null(run.Owner);
        Assert.Equal("sleep:2", run.WaitingFor);
        Assert.Equal(["s1", "sleep"], steps.Select(s => s.Name));
        Assert.Equal(StepStatus.Succeeded, steps[0].Status);
        var sleep = steps[1];
        Assert.Equal(StepKind.Sleep, sleep.Kind);
        Assert.NotEqual(StepStatus.Succeeded, sleep.Status);
        var wakeAt = ReadWakeAt(sleep);
        Assert.Equal(wakeAt, run.WakeAt);

        await first.KillAsync();
        var (killedWhileWaiting, _) = Assert.Single(await cluster.ReadJournalAsync());
        Assert.Equal(RunStatus.Waiting, killedWhileWaiting.Status); // the kill came while the run slept

        var second = await cluster.RunToEndAsync("work", [.. common, "--resume", "--until-all-done"]);

        var (woken, after) = Assert.Single(await cluster.ReadJournalAsync());
        Assert.Equal(RunStatus.Succeeded, woken.Status);
        Assert.Equal("\"0:32:994\"", woken.Output);
        Assert.Equal(["s1", "sleep", "s2"], after.Select(s => s.Name));
        Assert.All(after, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        var slept = after[1];
        Assert.Equal(wakeAt, ReadWakeAt(slept)); // the wake-up time was not recomputed after the restart
        var completedAt = JsonSerializer.Deserialize<DateTimeOffset>(slept.Output!);
        Assert.True(completedAt >= wakeAt, $"the sleep completed at {completedAt:O}, before its wake-up time {wakeAt:O}");
        Assert.True(slept.CompletedAt >= wakeAt, $"the sleep record says completed {slept.CompletedAt:O}, before {wakeAt:O}");

        // s1 ran once, in the first process; s2 once, in the second, after the wake-up time.
        var ledger = cluster.Ledger().Where(e => e.Kind == "begin").ToList();
        var s1 = Assert.Single(ledger, e => e.Step == "s1");
        Assert.Equal(first.Pid, s1.Pid);
        var s2 = Assert.Single(ledger, e => e.Step == "s2");
        Assert.Equal(second.Pid, s2.Pid);
        Assert.True(s2.At >= wakeAt, $"s2 began at {s2.At:O}, before the wake-up time {wakeAt:O}");
    }

    private static DateTimeOffset ReadWakeAt(StepRecord sleep)
    {
        Assert.NotNull(sleep.Input);
        using var json = JsonDocument.Parse(sleep.Input);
        return json.RootElement.GetProperty("wakeAt").GetDateTimeOffset();
    }
}
