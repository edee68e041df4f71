using Workflows;
using Workflows.Journal;

namespace OrderFulfillment;

/// <summary>Prints a run's journal: one line per step with its status, duration, whether it ran or was replayed, and its output.</summary>
internal static class TimelinePrinter
{
    public static void Print(RunTimeline timeline, ExecutionReport report)
    {
        var run = timeline.Run;
        Console.WriteLine();
        Console.WriteLine($"Run {run.Id}  workflow '{run.Workflow}'  status {run.Status}  schema {run.SchemaVersion}");
        foreach (var step in timeline.Steps)
        {
            var how = report.WasReplayed(step.Sequence) ? "replayed" : report.Executed.Contains(step.Sequence) ? "ran" : "recorded";
            var duration = step.DurationMs is { } ms ? $"{ms,5} ms" : "     - ";
            var attempts = step.Attempt > 1 ? $" (attempt {step.Attempt})" : "";
            Console.WriteLine($"  {Glyph(step.Status)} {step.Sequence,2}. {step.Name,-18} {duration}  {how,-8}{attempts}  {step.Output ?? step.Error?.Message ?? ""}");
        }
        var replayed = timeline.Steps.Count(s => report.WasReplayed(s.Sequence));
        var ran = timeline.Steps.Count(s => report.Executed.Contains(s.Sequence));
        Console.WriteLine($"  {replayed} step(s) replayed from the journal, {ran} ran in this process");
        if (run.Output is not null) Console.WriteLine($"Output: {run.Output}");
        if (run.Error is not null) Console.WriteLine($"Error ({run.Error.Kind}): {run.Error.Message}");
    }

    private static string Glyph(StepStatus status) => status switch
    {
        StepStatus.Succeeded => "✔",
        StepStatus.Failed => "✘",
        StepStatus.Running => "…",
        StepStatus.Skipped => "↷",
        _ => "○",
    };
}
