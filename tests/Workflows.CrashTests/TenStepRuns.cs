using System.Globalization;
using System.Text.Json;
using Workflows.Journal;

namespace Workflows.CrashTests;

/// <summary>The runs of EngineHost's ten-step workflow (cluster-ten) the PostgreSQL process tests create, and what each must end with.</summary>
internal static class TenStepRuns
{
    public static readonly IReadOnlyList<string> StepNames = [.. Enumerable.Range(1, 10).Select(i => $"s{i}")];

    /// <summary>
    /// The journaled output of run <c>run-i</c> for i in [0, count) when every step ran once with its recorded input: the
    /// ten values EngineHost's bodies compute (value = previous * 31 + index * 7 + the step name's first digit, starting
    /// from index + 1), as the workflow joins them, JSON-encoded as the string codec writes it.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ExpectedOutputs(int count)
    {
        var outputs = new Dictionary<string, string>();
        for (var index = 0; index < count; index++)
        {
            var previous = (long)index + 1;
            var values = new List<long>();
            foreach (var step in StepNames)
            {
                previous = unchecked(previous * 31 + index * 7 + step[1] - '0');
                values.Add(previous);
            }
            outputs[$"run-{index}"] = JsonSerializer.Serialize(string.Create(CultureInfo.InvariantCulture, $"{index}:{string.Join(':', values)}"));
        }
        return outputs;
    }

    /// <summary>
    /// Every run is there once (one row per idempotency key), Succeeded with the expected output, released, its ten steps
    /// Succeeded at sequences 1..10 with no duplicate row, checked on the journal as the store reads it and with plain SQL.
    /// </summary>
    public static async Task AssertAllSucceededAsync(HostCluster cluster, IReadOnlyList<JournalRun> journal, IReadOnlyDictionary<string, string> expected)
    {
        Assert.Equal(expected.Keys.Order(), journal.Select(r => r.Key).Order());
        var notDone = journal.Where(r => r.Run.Status != RunStatus.Succeeded).ToList();
        Assert.True(notDone.Count == 0, $"{notDone.Count} runs did not succeed:\n  " +
            string.Join("\n  ", notDone.Select(r => $"{r.Key} {r.Run.Id} {r.Run.Status} owner={r.Run.Owner} steps={r.Steps.Count} error={r.Run.Error}")));
        foreach (var (run, steps) in journal)
        {
            var where = $"run {run.Id} ({run.IdempotencyKey})";
            Assert.True(expected[run.IdempotencyKey!] == run.Output, $"{where}: output {run.Output}, expected {expected[run.IdempotencyKey!]}");
            Assert.True(run.Owner is null, $"{where} is still claimed by {run.Owner}");
            Assert.Equal(StepNames, steps.Select(s => s.Name));
            Assert.Equal(Enumerable.Range(1, StepNames.Count), steps.Select(s => s.Sequence));
            Assert.All(steps, s => Assert.True(s.Status == StepStatus.Succeeded && s.FailedAttempts == 0, $"{where} step {s.Name}: {s.Status}, {s.FailedAttempts} failed attempts, {s.Error}"));
        }

        // The same, below the store: one run row per key, one step row per (run, sequence), ten per run.
        var duplicateRuns = await cluster.QueryRowsAsync("SELECT idempotency_key, count(*) FROM workflow_runs GROUP BY idempotency_key HAVING count(*) > 1");
        Assert.Empty(duplicateRuns);
        var duplicateSteps = await cluster.QueryRowsAsync("SELECT run_id, sequence, count(*) FROM workflow_steps GROUP BY run_id, sequence HAVING count(*) > 1");
        Assert.Empty(duplicateSteps);
        var stepCounts = await cluster.QueryRowsAsync("SELECT count(*), count(DISTINCT run_id) FROM workflow_steps");
        Assert.Equal((long)expected.Count * StepNames.Count, stepCounts[0][0]);
        Assert.Equal((long)expected.Count, stepCounts[0][1]);
    }
}
