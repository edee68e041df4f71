using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Sqlite;

namespace Workflows.CrashTests;

/// <summary>
/// Kills a real child process in the middle of a run and checks, through the journal and the child's ledger of step
/// bodies, that the next process resumes the run without running any recorded step again.
/// </summary>
public sealed class ProcessCrashTests
{
    private const string CleanResult = "RESULT \"INV-7:CH-INV-7:200.00:R-CH-INV-7-200.00:True\"";

    [Fact]
    public async Task A_run_completes_in_one_process_when_nothing_crashes()
    {
        using var host = new CrashHostProcess();

        var (code, output) = await host.RunAsync();

        Assert.Equal(0, code);
        Assert.Contains(CleanResult, output);
        Assert.Equal(["begin:sum", "end:sum", "begin:charge", "end:charge", "begin:receipt", "end:receipt", "begin:archive", "end:archive"], host.Ledger);
    }

    [Fact]
    public async Task A_process_killed_right_after_a_step_commits_resumes_without_running_recorded_steps_again()
    {
        using var host = new CrashHostProcess();

        var (crashCode, _) = await host.RunAsync("--crash-after", "charge");
        Assert.NotEqual(0, crashCode);

        var (run, steps) = await ReadJournalAsync(host.DatabasePath);
        Assert.Equal(RunStatus.Running, run.Status);
        // charge's outcome was committed with receipt's start (the step outcome window): receipt is Running, its body not begun.
        Assert.Equal([("sum", StepStatus.Succeeded), ("charge", StepStatus.Succeeded), ("receipt", StepStatus.Running)], steps.Select(s => (s.Name, s.Status)));
        Assert.Equal(0, host.Count("begin:receipt"));

        var (code, output) = await host.RunAsync();

        Assert.Equal(0, code);
        Assert.Contains(CleanResult, output);
        Assert.Equal(1, host.Count("end:sum"));
        Assert.Equal(1, host.Count("end:charge"));
        Assert.Equal(1, host.Count("begin:charge"));
        Assert.Equal(1, host.Count("end:receipt"));
        Assert.Equal(1, host.Count("end:archive"));

        var (finished, allSteps) = await ReadJournalAsync(host.DatabasePath);
        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.Equal(run.Id, finished.Id);
        Assert.Equal([1, 2, 3, 4], allSteps.Select(s => s.Sequence));
        Assert.Equal(steps[0].CompletedAt, allSteps[0].CompletedAt);
        Assert.Equal(steps[1].Output, allSteps[1].Output);
    }

    [Fact]
    public async Task A_process_killed_inside_a_step_body_runs_only_that_step_again()
    {
        using var host = new CrashHostProcess();

        await host.KillWhenLedgerShowsAsync("begin:receipt", "--hang-in", "receipt");

        var (run, steps) = await ReadJournalAsync(host.DatabasePath);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal(["sum", "charge", "receipt"], steps.Select(s => s.Name));
        Assert.Equal(StepStatus.Running, steps[2].Status);
        Assert.Equal(1, steps[2].Attempt);

        var (code, output) = await host.RunAsync();

        Assert.Equal(0, code);
        Assert.Contains(CleanResult, output);
        Assert.Equal(1, host.Count("begin:sum"));
        Assert.Equal(1, host.Count("begin:charge"));
        Assert.Equal(2, host.Count("begin:receipt")); // its record never committed, so its body ran again
        Assert.Equal(1, host.Count("end:receipt"));
        Assert.Equal(1, host.Count("end:archive"));

        var (_, allSteps) = await ReadJournalAsync(host.DatabasePath);
        Assert.Equal(2, allSteps[2].Attempt);
        Assert.All(allSteps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
    }

    private static async Task<(RunRecord Run, IReadOnlyList<StepRecord> Steps)> ReadJournalAsync(string path)
    {
        await using var store = new SqliteWorkflowStore(path);
        await store.InitializeAsync();
        var runs = await store.ListRunsAsync(new Storage.RunQuery());
        var run = Assert.Single(runs);
        var steps = await store.GetStepsAsync(run.TenantId, run.Id);
        SqliteConnection.ClearAllPools();
        return (run, steps);
    }
}
