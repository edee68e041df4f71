using System.Diagnostics;
using Workflows.Journal;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Benchmarks;

/// <summary>
/// Resuming a run with 10,000 recorded steps, in process: the run is built through the engine (in memory), its records
/// committed unfinished (Running, unclaimed, no output) into a new SQLite journal through the store, and a fresh store and
/// engine resume it to its result: every step replays, none runs.
/// </summary>
internal static class ResumeWorkload
{
    public const int Steps = 10_000;

    public sealed record Result(double SqliteResumeMs, double SqliteReadStepsMs, double MemoryResumeMs, int Replayed);

    public static async Task<Result> RunAsync(string folder)
    {
        var (run, steps) = await RecordAsync(Steps);
        var (warmRun, warmSteps) = await RecordAsync(10);
        // A small resume first, so that what is timed is the resume, not the first JIT of the replay path.
        await ResumeSqliteAsync(folder, warmRun, warmSteps);
        var (sqliteMs, replayed, path) = await ResumeSqliteAsync(folder, run, steps);

        // Reading the 10,000 step rows alone, through a fresh store on the same (now finished) journal.
        var watch = Stopwatch.StartNew();
        await using (var store = new SqliteWorkflowStore(path))
        {
            var read = await store.GetStepsAsync(run.TenantId, run.Id);
            watch.Stop();
            if (read.Count != steps.Count) throw new InvalidOperationException($"the journal holds {read.Count} steps of the resumed run, not {steps.Count}");
        }

        // The same resume on the in-memory store.
        var memory = new InMemoryWorkflowStore();
        await memory.CreateRunAsync(Unfinished(run), steps);
        var memoryWatch = Stopwatch.StartNew();
        await using (var engine = new WorkflowEngine(memory).Register(PeerSteps.Definition))
        {
            var handle = await engine.ResumeAsync(PeerSteps.Definition, run.Id, run.TenantId);
            await handle.GetResultAsync();
            memoryWatch.Stop();
            await Check(handle, memory, steps);
        }
        return new Result(sqliteMs, watch.Elapsed.TotalMilliseconds, memoryWatch.Elapsed.TotalMilliseconds, replayed);
    }

    /// <summary>From the fresh store's construction to the run's result.</summary>
    private static async Task<(double Ms, int Replayed, string Path)> ResumeSqliteAsync(string folder, RunRecord run, IReadOnlyList<StepRecord> steps)
    {
        var path = Path.Combine(folder, $"resume-{Guid.NewGuid():N}.db");
        await using (var writer = new SqliteWorkflowStore(path))
        {
            await writer.InitializeAsync();
            await writer.CreateRunAsync(Unfinished(run), steps);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var watch = Stopwatch.StartNew();
        await using var store = new SqliteWorkflowStore(path);
        await using var engine = new WorkflowEngine(store).Register(PeerSteps.Definition);
        var handle = await engine.ResumeAsync(PeerSteps.Definition, run.Id, run.TenantId);
        await handle.GetResultAsync();
        watch.Stop();
        var replayed = await Check(handle, store, steps);
        return (watch.Elapsed.TotalMilliseconds, replayed, path);
    }

    /// <summary>
    /// The run's result, and that every step replayed and none ran again: from the handle's report when this call's
    /// execution ended the run, else (the engine's scheduler claimed the ready run first, and the handle has no report)
    /// from the journal, whose step records must be the recorded ones, untouched. Returns how many steps replayed.
    /// </summary>
    private static async Task<int> Check(WorkflowRun<int> handle, IWorkflowStore store, IReadOnlyList<StepRecord> recorded)
    {
        var steps = recorded.Count;
        var result = await handle.GetResultAsync();
        if (result != PeerSteps.Expected(steps)) throw new InvalidOperationException($"the resumed run returned {result}, not {PeerSteps.Expected(steps)}");
        var report = await handle.GetReportAsync();
        if (report.Replayed.Count > 0 || report.Executed.Count > 0)
        {
            if (report.Executed.Count != 0 || report.Replayed.Count != steps)
            {
                throw new InvalidOperationException($"the resume replayed {report.Replayed.Count} and executed {report.Executed.Count} steps, not {steps} and 0");
            }
            return report.Replayed.Count;
        }
        var now = await store.GetStepsAsync(handle.TenantId, handle.RunId);
        var before = recorded.ToDictionary(s => s.Sequence);
        var touched = now.Count(s => !before.TryGetValue(s.Sequence, out var was) || was.UpdatedAt != s.UpdatedAt || was.Attempt != s.Attempt || s.Status != StepStatus.Succeeded);
        if (now.Count != steps || touched != 0)
        {
            throw new InvalidOperationException($"after the resume the journal holds {now.Count} steps, {touched} of them not as recorded; expected the {steps} recorded ones untouched");
        }
        return steps;
    }

    /// <summary>A run of <paramref name="steps"/> steps recorded by the engine (in memory): its run record and step records.</summary>
    private static async Task<(RunRecord Run, IReadOnlyList<StepRecord> Steps)> RecordAsync(int steps)
    {
        var store = new InMemoryWorkflowStore();
        await using var engine = new WorkflowEngine(store).Register(PeerSteps.Definition);
        var handle = await engine.StartAsync(PeerSteps.Definition, steps);
        await handle.GetResultAsync();
        var run = await store.GetRunAsync(handle.TenantId, handle.RunId) ?? throw new InvalidOperationException("the recorded run is gone");
        var records = await store.GetStepsAsync(handle.TenantId, handle.RunId);
        if (records.Count != steps || records.Any(s => s.Status != StepStatus.Succeeded))
        {
            throw new InvalidOperationException($"the recorded run holds {records.Count} steps ({records.Count(s => s.Status == StepStatus.Succeeded)} succeeded), not {steps}");
        }
        return (run, records);
    }

    /// <summary>The run as it was before its end: running, unclaimed, without output.</summary>
    private static RunRecord Unfinished(RunRecord run) => run with
    {
        Status = RunStatus.Running, Output = null, Error = null, CompletedAt = null, Owner = null, LeaseExpiresAt = null,
    };
}
