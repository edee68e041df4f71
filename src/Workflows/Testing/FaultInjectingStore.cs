using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Testing;

/// <summary>
/// The engine's fault points (<see cref="WorkflowFaults"/>), at its boundary with the store: the engine sees exactly what a
/// failing store or a lost reply would show it. Only an engine given <see cref="WorkflowEngineOptions.Faults"/> has one.
/// </summary>
internal sealed class FaultInjectingStore(IWorkflowStore inner, WorkflowFaults faults) : DelegatingWorkflowStore(inner)
{
    public override async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        var (before, after) = Points(writes);
        if (before is { } b) faults.Hit(b);
        await Inner.CommitAsync(writes, durability, cancellationToken).ConfigureAwait(false);
        if (after is { } a) faults.Hit(a);
    }

    public override ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default)
    {
        faults.Hit(FaultPoint.ClaimRenewal);
        return Inner.RenewClaimsAsync(renewal, cancellationToken);
    }

    /// <summary>A commit that ends its run strikes the run-end points; one that records a step's outcome, the step points.</summary>
    private static (FaultPoint? Before, FaultPoint? After) Points(IReadOnlyList<JournalWrite> writes)
    {
        var outcome = false;
        foreach (var write in writes)
        {
            switch (write)
            {
                case UpdateRun { Run: var run } when StatusTransitions.HasEnded(run.Status):
                    return (FaultPoint.BeforeRunEndCommit, FaultPoint.AfterRunEndCommit);
                case UpdateStep { Step.Status: StepStatus.Succeeded or StepStatus.Failed or StepStatus.Skipped }:
                case InsertStep { Step.Status: StepStatus.Succeeded or StepStatus.Failed or StepStatus.Skipped }:
                    outcome = true;
                    break;
            }
        }
        return outcome ? (FaultPoint.BeforeStepCommit, FaultPoint.AfterStepCommit) : (null, null);
    }
}
