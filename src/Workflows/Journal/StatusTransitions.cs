namespace Workflows.Journal;

/// <summary>
/// The state machines of runs and steps. Stores use <see cref="RunSources"/> and <see cref="StepSources"/>
/// to make every status write conditional, so an illegal transition is refused where it is applied.
/// </summary>
public static class StatusTransitions
{
    private static readonly RunStatus[] NoRunSource = [];
    private static readonly StepStatus[] NoStepSource = [];

    // A status may be re-written with itself while not final (attempt counts, leases, errors change).
    // Pending again: a parked run resumed, or a failed run reopened from its failed step (explicit resumes only).
    private static readonly RunStatus[] ToPending = [RunStatus.Pending, RunStatus.Parked, RunStatus.Failed];
    private static readonly RunStatus[] ToRunning = [RunStatus.Pending, RunStatus.Running, RunStatus.Waiting];
    private static readonly RunStatus[] ToWaiting = [RunStatus.Running, RunStatus.Waiting];
    private static readonly RunStatus[] ToSucceeded = [RunStatus.Running];
    private static readonly RunStatus[] ToFailed = [RunStatus.Pending, RunStatus.Running, RunStatus.Waiting];
    private static readonly RunStatus[] ToCancelled = [RunStatus.Pending, RunStatus.Running, RunStatus.Waiting, RunStatus.Parked];
    private static readonly RunStatus[] ToParked = [RunStatus.Pending, RunStatus.Running, RunStatus.Waiting, RunStatus.Parked];

    // Pending: an attempt scheduled but not begun: a retry waiting out its backoff (from Running), or the failed step of a
    // failed run reopened for one new attempt by an explicit resume (from Failed).
    private static readonly StepStatus[] ToStepPending = [StepStatus.Pending, StepStatus.Running, StepStatus.Failed];
    private static readonly StepStatus[] ToStepRunning = [StepStatus.Pending, StepStatus.Running];
    private static readonly StepStatus[] ToStepDone = [StepStatus.Pending, StepStatus.Running];
    // Skipped: by its body while it runs (CurrentStep.Skip), or before it began.
    private static readonly StepStatus[] ToStepSkipped = [StepStatus.Pending, StepStatus.Running];

    /// <summary>The statuses a run may be in for a write of <paramref name="target"/> to be legal.</summary>
    public static ReadOnlySpan<RunStatus> RunSources(RunStatus target) => target switch
    {
        RunStatus.Pending => ToPending,
        RunStatus.Running => ToRunning,
        RunStatus.Waiting => ToWaiting,
        RunStatus.Succeeded => ToSucceeded,
        RunStatus.Failed => ToFailed,
        RunStatus.Cancelled => ToCancelled,
        RunStatus.Parked => ToParked,
        _ => NoRunSource,
    };

    /// <summary>The statuses a step may be in for a write of <paramref name="target"/> to be legal.</summary>
    public static ReadOnlySpan<StepStatus> StepSources(StepStatus target) => target switch
    {
        StepStatus.Pending => ToStepPending,
        StepStatus.Running => ToStepRunning,
        StepStatus.Succeeded or StepStatus.Failed => ToStepDone,
        StepStatus.Skipped => ToStepSkipped,
        _ => NoStepSource,
    };

    /// <summary>Whether a run may go from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsAllowed(RunStatus from, RunStatus to) => RunSources(to).Contains(from);

    /// <summary>Whether a step may go from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsAllowed(StepStatus from, StepStatus to) => StepSources(to).Contains(from);

    /// <summary>Whether the run has ended (only an explicit resume reopens a failed run).</summary>
    public static bool IsFinal(RunStatus status) => status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled;

    /// <summary>Whether no engine executes the run any more: it ended, or it is parked until someone resumes it.</summary>
    public static bool HasEnded(RunStatus status) => IsFinal(status) || status == RunStatus.Parked;

    /// <summary>Whether the step has ended (only an explicit resume reopens a failed step).</summary>
    public static bool IsFinal(StepStatus status) => status is StepStatus.Succeeded or StepStatus.Failed or StepStatus.Skipped;
}
