using Workflows;
using Workflows.Inspection;
using Workflows.Journal;

namespace OrderFulfillment;

/// <summary>
/// Prints a run's journal with the shared renderer (<see cref="TimelineText"/>, the one the <c>workflows</c> CLI uses):
/// one line per step with its status, duration, whether this process ran it or replayed it, and its output.
/// </summary>
internal static class TimelinePrinter
{
    public static void Print(RunTimeline timeline, ExecutionReport report)
    {
        var view = TimelineView.Of(timeline, origin: step =>
            report.WasReplayed(step.Sequence) ? "replayed" : report.Executed.Contains(step.Sequence) ? "ran" : "recorded");
        Console.WriteLine();
        Console.Write(TimelineText.Render(view, new TimelineTextOptions { HeaderDetails = false, JsonBeneath = false }));
    }
}
