using Workflows;
using Workflows.Inspection;
using Workflows.Journal;

namespace AgentPipeline;

/// <summary>
/// Prints a run's journal with the shared renderer (<see cref="TimelineText"/>, the one the <c>workflows</c> CLI uses):
/// one line per entry with its status, name, duration, position (entries that share one ran in one wave, marked ∥),
/// tokens in/out and cost, and whether this process ran it or replayed it; a child run's entries are printed under the
/// entry that started it. Then the totals over the run and its children, and the run's output.
/// </summary>
internal static class TimelinePrinter
{
    public static async Task PrintAsync(WorkflowEngine engine, RunTimeline timeline, ExecutionReport report, CommittedSteps committedHere)
    {
        var runId = timeline.Run.Id;
        // A child is never replayed by its parent: its entries either ran in this process or were recorded before.
        var view = await TimelineView.LoadAsync(engine, timeline, step => step.RunId != runId
            ? committedHere.Contains(step.RunId, step.Sequence) ? "ran" : "recorded"
            : report.WasReplayed(step.Sequence) ? "replayed" : report.Executed.Contains(step.Sequence) ? "ran" : "recorded");
        Console.WriteLine();
        Console.Write(TimelineText.Render(view, new TimelineTextOptions { HeaderDetails = false, JsonBeneath = false }));
    }
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
