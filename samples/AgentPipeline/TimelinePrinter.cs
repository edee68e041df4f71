using System.Globalization;
using System.Text.Json;
using Workflows;
using Workflows.Journal;

namespace AgentPipeline;

/// <summary>
/// Prints a run's journal: one line per entry with its status, name, duration, position (entries that share one ran in
/// one wave), tokens in/out and cost, and whether this process ran it or replayed it; a child run's entries are printed
/// under the entry that started it. Then the totals over the run and its children, and the run's output.
/// </summary>
internal static class TimelinePrinter
{
    private sealed class Totals
    {
        public long InputTokens;
        public long OutputTokens;
        public decimal CostUsd;
        public int Replayed;
        public int Ran;
    }

    public static async Task PrintAsync(WorkflowEngine engine, RunTimeline timeline, ExecutionReport report, CommittedSteps committedHere)
    {
        var run = timeline.Run;
        var totals = new Totals();
        Console.WriteLine();
        Console.WriteLine($"Run {run.Id}  workflow '{run.Workflow}'  status {run.Status}  schema {run.SchemaVersion}");
        Console.WriteLine($"     {"#",3}  {"step",-22} {"duration",8}  {"pos",3}  {"tokens in/out",13}  {"cost $",9}  {"",-8}  detail");
        await PrintStepsAsync(engine, timeline.Steps, report.WasReplayed, report.Executed.Contains, "", totals, committedHere);
        Console.WriteLine($"  Totals (run and its children): {totals.InputTokens} tokens in, {totals.OutputTokens} tokens out, ${totals.CostUsd.ToString("0.000000", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"  {totals.Replayed} step(s) replayed from the journal, {totals.Ran} ran in this process");
        if (run.Output is not null) Console.WriteLine($"Output: {run.Output}");
        if (run.Error is not null) Console.WriteLine($"Error ({run.Error.Kind}): {run.Error.Message}");
    }

    private static async Task PrintStepsAsync(WorkflowEngine engine, IReadOnlyList<StepRecord> steps, Func<int, bool> wasReplayed, Func<int, bool> ranHere,
        string indent, Totals totals, CommittedSteps committedHere)
    {
        foreach (var step in steps)
        {
            var replayed = wasReplayed(step.Sequence);
            var ran = !replayed && ranHere(step.Sequence);
            if (replayed) totals.Replayed++;
            else if (ran) totals.Ran++;
            totals.InputTokens += step.InputTokens ?? 0;
            totals.OutputTokens += step.OutputTokens ?? 0;
            totals.CostUsd += step.CostUsd ?? 0m;

            var how = replayed ? "replayed" : ran ? "ran" : "recorded";
            var name = indent + step.Name + (step.Kind == StepKind.Step ? "" : $" [{Kind(step.Kind)}]");
            var duration = step.DurationMs is { } ms ? $"{ms,5} ms" : "     - ";
            var tokens = step.InputTokens is not null || step.OutputTokens is not null ? $"{step.InputTokens ?? 0,6}/{step.OutputTokens ?? 0,-6}" : "      -      ";
            var cost = step.CostUsd is { } usd ? usd.ToString("0.000000", CultureInfo.InvariantCulture) : "-";
            Console.WriteLine($"  {Glyph(step.Status)}  {step.Sequence,3}. {name,-22} {duration,8}  {step.Position,3}  {tokens,13}  {cost,9}  {how,-8}  {Detail(step)}");

            if (step.Kind == StepKind.ChildWorkflow && ChildRunId(step) is { } childId)
            {
                // A child is never replayed by its parent: its entries either ran in this process or were recorded before.
                var child = await engine.GetTimelineAsync(childId, step.TenantId);
                await PrintStepsAsync(engine, child.Steps, _ => false, sequence => committedHere.Contains(childId, sequence), indent + "  ", totals, committedHere);
            }
        }
    }

    private static string Detail(StepRecord step) => step.Status switch
    {
        StepStatus.Skipped => "skipped: " + step.Error?.Message,
        StepStatus.Failed => $"{step.Error?.Kind}: {step.Error?.Message}",
        StepStatus.Running => "running",
        _ => step.Kind switch
        {
            StepKind.Event => "payload " + step.Output,
            StepKind.ChildWorkflow => "child run " + ChildRunId(step),
            _ => Shorten(step.Output),
        },
    };

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 60 ? text : text[..57] + "...";

    private static Guid? ChildRunId(StepRecord step)
    {
        if (step.Input is null) return null;
        using var json = JsonDocument.Parse(step.Input);
        return json.RootElement.TryGetProperty("runId", out var id) && id.TryGetGuid(out var guid) ? guid : null;
    }

    private static string Kind(StepKind kind) => kind switch
    {
        StepKind.ChildWorkflow => "child",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string Glyph(StepStatus status) => status switch
    {
        StepStatus.Succeeded => "✓",
        StepStatus.Failed => "✗",
        StepStatus.Running => "…",
        StepStatus.Skipped => "↷",
        _ => "○",
    };
}

/// <summary>The journal entries whose final outcome this process committed.</summary>
internal sealed class CommittedSteps
{
    private readonly HashSet<(Guid RunId, int Sequence)> _steps = [];

    public void Add(JournalCommitted commit)
    {
        lock (_steps)
        {
            foreach (var step in commit.Steps.Where(s => StatusTransitions.IsFinal(s.Status))) _steps.Add((step.RunId, step.Sequence));
        }
    }

    public bool Contains(Guid runId, int sequence)
    {
        lock (_steps)
        {
            return _steps.Contains((runId, sequence));
        }
    }
}
