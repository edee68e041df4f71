using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>
/// What <see cref="IWorkflowStore.GetReplayStepsAsync"/> reads of a step, for every store: the replay of an ended entry
/// needs its identity, place, outcome and attempt counters, and (for the kinds whose replay reads it) its input; an entry
/// that has not ended is resumed, rewritten and carries its usage and debug trace into the next attempt, so it is read whole.
/// </summary>
public static class ReplaySteps
{
    /// <summary>Whether a step in <paramref name="status"/> is read whole: it has not ended (pending or running).</summary>
    public static bool ReadsWhole(StepStatus status) => !StatusTransitions.IsFinal(status);

    /// <summary>
    /// Whether an ended entry of <paramref name="kind"/> is read with its input: a child entry names its child run there, and
    /// an event wait its timeout. A step's input (its arguments, often the largest column) is not read.
    /// </summary>
    public static bool ReadsInput(StepKind kind) => kind is StepKind.ChildWorkflow or StepKind.Event;

    /// <summary>
    /// <paramref name="step"/> as the replay read returns it: whole when it has not ended; otherwise without what the read
    /// leaves out (input unless <see cref="ReadsInput"/>, attempt history, duration, start and completion times, usage,
    /// debug messages: null; <see cref="StepRecord.CreatedAt"/> and <see cref="StepRecord.UpdatedAt"/>: default).
    /// </summary>
    public static StepRecord Of(StepRecord step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return ReadsWhole(step.Status) ? step : new StepRecord
        {
            Id = step.Id,
            RunId = step.RunId,
            TenantId = step.TenantId,
            Sequence = step.Sequence,
            Position = step.Position,
            Name = step.Name,
            Kind = step.Kind,
            Status = step.Status,
            Attempt = step.Attempt,
            FailedAttempts = step.FailedAttempts,
            InterruptedAttempts = step.InterruptedAttempts,
            Input = ReadsInput(step.Kind) ? step.Input : null,
            Output = step.Output,
            Error = step.Error,
            CreatedAt = default,
            UpdatedAt = default,
        };
    }
}
