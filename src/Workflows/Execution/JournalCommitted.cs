using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// What one durable commit wrote to a run's journal, as <see cref="WorkflowEngineOptions.OnJournalCommitted"/> sees it:
/// every step record inserted or updated (a step's start, success, failure, a retry scheduled, a durable value, a sleep),
/// and the run record when the commit changed it (created, running, waiting, succeeded, failed, cancelled, parked,
/// reopened). The hook for logging, metrics and tests; it is called after the commit is durable.
/// </summary>
/// <param name="Steps">The step records the commit wrote, in the order they were written.</param>
/// <param name="Run">The run record as the commit wrote it, or null when it wrote only steps.</param>
public sealed record JournalCommitted(Guid RunId, string TenantId, string Workflow, IReadOnlyList<StepRecord> Steps, RunRecord? Run)
{
    /// <summary>The records of one run's commit, from its writes; null when the writes hold no record.</summary>
    internal static JournalCommitted? Of(RunRecord run, IReadOnlyList<JournalWrite> writes)
    {
        List<StepRecord>? steps = null;
        RunRecord? written = null;
        foreach (var write in writes)
        {
            switch (write)
            {
                case InsertStep { Step: var step }:
                    (steps ??= []).Add(step);
                    break;
                case UpdateStep { Step: var step }:
                    (steps ??= []).Add(step);
                    break;
                case UpdateRun { Run: var updated }:
                    written = updated;
                    break;
            }
        }
        return steps is null && written is null ? null : new JournalCommitted(run.Id, run.TenantId, run.Workflow, steps ?? [], written);
    }
}
