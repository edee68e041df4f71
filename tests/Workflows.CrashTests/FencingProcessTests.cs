using System.Globalization;
using Workflows.Journal;
using Xunit.Abstractions;

namespace Workflows.CrashTests;

/// <summary>
/// An engine process paused (SIGSTOP) inside a step body past its lease: another engine process takes the run over and
/// records the step itself; when the paused engine goes on (SIGCONT) and its body finishes, its late commit is refused,
/// and the run's journal is the new owner's. Both while the new owner still holds the run (the refusal names both
/// engines) and after it completed the run (the refusal finds no owner, and the journal does not change at all), on a
/// SQLite file and on a PostgreSQL schema.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FencingProcessTests(CrashFreeRuns crashFree, ITestOutputHelper output)
{
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task An_engine_stopped_past_its_lease_cannot_commit_after_another_engine_took_its_run_over(bool newOwnerStillHoldsTheRun, bool onPostgreSql)
    {
        await using var cluster = onPostgreSql ? await HostCluster.OnPostgreSqlAsync() : new HostCluster();
        var releaseA = cluster.FilePath("release-a");
        var releaseB = cluster.FilePath("release-b");
        string[] common = ["--lease-ms", "2000", "--poll-ms", "100", "--log-store"];

        var a = cluster.Start("work", [.. common, "--start", "1", "--worker-id", "engine-A", "--block-step", "s2", "--release-file", releaseA]);
        await cluster.WaitForLedgerAsync(l => l.Any(e => e.Pid == a.Pid && e.Kind == "begin" && e.Step == "s2"), "A inside the body of s2", a);
        await cluster.StopOutsideTransactionAsync(a);

        // Past A's lease as the journal records it (A cannot renew it: it is stopped).
        // (SQLite keeps it as round-trip text, PostgreSQL as UTC ticks.)
        await HostCluster.Eventually(() => Task.FromResult(
            cluster.QueryScalar("SELECT lease_expires_at FROM workflow_runs WHERE owner = 'engine-A'") switch
            {
                string lease => DateTimeOffset.Parse(lease, CultureInfo.InvariantCulture) < DateTimeOffset.UtcNow,
                long ticks => ticks < DateTimeOffset.UtcNow.UtcTicks,
                _ => false,
            }), "A's lease to lapse");

        // B takes the run over and records s2 (its own attempt) and s3; it then holds the run inside s4, or completes it.
        string[] bArguments = [.. common, "--resume", "--until-all-done", "--worker-id", "engine-B"];
        var b = cluster.Start("work", newOwnerStillHoldsTheRun ? [.. bArguments, "--block-step", "s4", "--release-file", releaseB] : bArguments);
        IReadOnlyList<JournalRun>? journalOfB = null;
        if (newOwnerStillHoldsTheRun)
        {
            await cluster.WaitForLedgerAsync(l => l.Any(e => e.Pid == b.Pid && e.Kind == "begin" && e.Step == "s4"), "B inside the body of s4", b);
            Assert.Equal("engine-B", cluster.QueryScalar("SELECT owner FROM workflow_runs"));
        }
        else
        {
            await b.WaitForExitAsync();
            Assert.True(b.ExitCode == 0, b.Output);
            journalOfB = await cluster.ReadJournalAsync();
            Assert.Equal(RunStatus.Succeeded, Assert.Single(journalOfB).Run.Status);
        }

        // A goes on: its s2 body finishes, and A tries to commit it.
        File.WriteAllText(releaseA, "");
        a.Signal("CONT");
        await cluster.WaitForLedgerAsync(l => l.Any(e => e.Pid == a.Pid && e.Kind == "end" && e.Step == "s2"), "A's s2 body to end", a);
        var refusal = await a.WaitForLineAsync(l => l.StartsWith("FENCED ", StringComparison.Ordinal) || l.StartsWith("COMMIT-CANCELLED ", StringComparison.Ordinal),
            "A's late commit of s2 to be refused");
        output.WriteLine($"A's late commit: {refusal}");

        File.WriteAllText(releaseB, "");
        await b.WaitForExitAsync();
        await a.WaitForExitAsync();
        Assert.True(b.ExitCode == 0, b.Output);
        Assert.True(a.ExitCode == 0, a.Output);
        output.WriteLine($"--- A ({a.Pid}):\n{a.Output}\n--- B ({b.Pid}):\n{b.Output}");

        var journal = await cluster.ReadJournalAsync();
        var (run, steps) = Assert.Single(journal);
        if (journalOfB is not null)
        {
            // Nothing A did after it went on reached the journal.
            Assert.Equal(journalOfB[0].Run, run);
            Assert.Equal(journalOfB[0].Steps, steps);
        }

        // A's refused commit was its s2 outcome. The refusal is the fence's error naming A and the current owner, or (when
        // A's renewal saw the loss first) the renewal naming the current owner, after which A's commit was dropped.
        var currentOwner = newOwnerStillHoldsTheRun ? "engine-B" : "(none)";
        Assert.Contains($"run={run.Id:D}", refusal);
        Assert.Contains("step:s2:Succeeded:1", refusal);
        if (refusal.StartsWith("FENCED ", StringComparison.Ordinal))
        {
            Assert.Contains($"expected=engine-A current={currentOwner}", refusal);
            Assert.Contains("Engine 'engine-A' no longer holds run", refusal);
            Assert.Contains(newOwnerStillHoldsTheRun ? "engine 'engine-B' holds it now" : "no engine holds it now", refusal);
        }
        else
        {
            Assert.Contains(a.Lines, l => l == $"RENEW-LOST run={run.Id:D} owner=engine-A current={currentOwner}");
        }
        Assert.DoesNotContain(b.Lines, l => l.StartsWith("FENCED ", StringComparison.Ordinal) || l.StartsWith("COMMIT-CANCELLED ", StringComparison.Ordinal));

        // The journal is B's from s2 on, and the run ended as a crash-free run does; A's handle saw it end in B.
        var ledger = cluster.Ledger();
        ClusterAssert.EveryRunCompletedOnce(journal, ledger, new HashSet<int> { a.Pid }, crashFree.Outputs.Where(p => p.Key == "run-0").ToDictionary(),
            ["s1", "s2", "s3", "s4", "s5"]);
        Assert.Equal(a.Pid, StepOutput.Of(steps[0]).Pid);
        Assert.All(steps.Skip(1), s => Assert.Equal(b.Pid, StepOutput.Of(s).Pid));
        var s2 = steps[1];
        Assert.Equal((2, 1, 0), (s2.Attempt, s2.InterruptedAttempts, s2.FailedAttempts));
        Assert.Equal(2, StepOutput.Of(s2).Attempt);
        Assert.Equal(["begin s2 1", "end s2 1"], ledger.Where(e => e.Pid == a.Pid && e.Step == "s2").Select(e => $"{e.Kind} {e.Step} {e.Attempt}"));
        Assert.DoesNotContain(ledger, e => e.Pid == a.Pid && e.Step is "s3" or "s4" or "s5");
        Assert.Contains(a.Lines, l => l == $"RESULT {run.Id:D} Succeeded {run.Output}");
    }
}
