using Workflows.Journal;

namespace Workflows.Inspection;

/// <summary>The state of one timeline row, as an operator reads it (from the entry's <see cref="StepStatus"/>, its kind and its error).</summary>
public enum TimelineState
{
    /// <summary>The entry ended with a value.</summary>
    Succeeded,
    /// <summary>The entry ended with an error (its last allowed attempt threw, an event wait timed out, a child failed).</summary>
    Failed,
    /// <summary>A step whose body is executing (or was, when its engine stopped).</summary>
    Running,
    /// <summary>Journaled, not begun: a retry waiting out its backoff, or a step reopened by a resume.</summary>
    Pending,
    /// <summary>A durable wait not yet answered: a sleep, an event wait, a child run.</summary>
    Waiting,
    /// <summary>The step skipped itself (<see cref="CurrentStep.Skip"/>).</summary>
    Skipped,
    /// <summary>The entry was cut short by the run's cancellation or deadline.</summary>
    Cancelled,
}

/// <summary>
/// A glyph and a word for every state, so a timeline reads without colour:
/// <list type="table">
/// <item><term>✓</term><description>succeeded</description></item>
/// <item><term>✗</term><description>failed</description></item>
/// <item><term>⟳</term><description>running</description></item>
/// <item><term>○</term><description>pending</description></item>
/// <item><term>◷</term><description>waiting</description></item>
/// <item><term>↷</term><description>skipped</description></item>
/// <item><term>⊘</term><description>cancelled</description></item>
/// </list>
/// Runs have the same glyphs by their status, and ⏸ for parked.
/// </summary>
public static class TimelineGlyphs
{
    /// <summary>The one glyph of <paramref name="state"/>: ✓ ✗ ⟳ ○ ◷ ↷ ⊘.</summary>
    public static string Of(TimelineState state) => state switch
    {
        TimelineState.Succeeded => "✓",
        TimelineState.Failed => "✗",
        TimelineState.Running => "⟳",
        TimelineState.Pending => "○",
        TimelineState.Waiting => "◷",
        TimelineState.Skipped => "↷",
        TimelineState.Cancelled => "⊘",
        _ => "?",
    };

    /// <summary>The lower-case word of <paramref name="state"/>: "succeeded", "failed", "running", "pending", "waiting", "skipped", "cancelled".</summary>
    public static string Word(TimelineState state) => state switch
    {
        TimelineState.Succeeded => "succeeded",
        TimelineState.Failed => "failed",
        TimelineState.Running => "running",
        TimelineState.Pending => "pending",
        TimelineState.Waiting => "waiting",
        TimelineState.Skipped => "skipped",
        TimelineState.Cancelled => "cancelled",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>The glyph of a run's status: those of the row states, and ⏸ for <see cref="RunStatus.Parked"/>.</summary>
    public static string Of(RunStatus status) => status == RunStatus.Parked ? "⏸" : Of(StateOf(status));

    /// <summary>The lower-case word of a run's status ("parked" for <see cref="RunStatus.Parked"/>).</summary>
    public static string Word(RunStatus status) => status == RunStatus.Parked ? "parked" : Word(StateOf(status));

    /// <summary>The row state of a journal entry: its status, with waits shown as waiting and cut-short entries as cancelled.</summary>
    public static TimelineState StateOf(StepRecord step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return step.Status switch
        {
            StepStatus.Succeeded => TimelineState.Succeeded,
            StepStatus.Skipped => TimelineState.Skipped,
            StepStatus.Failed when step.Error?.Kind is ErrorKind.Cancelled or ErrorKind.Timeout => TimelineState.Cancelled,
            StepStatus.Failed => TimelineState.Failed,
            StepStatus.Running when step.Kind is StepKind.Sleep or StepKind.Event or StepKind.ChildWorkflow => TimelineState.Waiting,
            StepStatus.Running => TimelineState.Running,
            _ => TimelineState.Pending,
        };
    }

    /// <summary>The row state closest to a run's status (<see cref="RunStatus.Parked"/> reads as failed: it stopped on an error).</summary>
    public static TimelineState StateOf(RunStatus status) => status switch
    {
        RunStatus.Succeeded => TimelineState.Succeeded,
        RunStatus.Failed or RunStatus.Parked => TimelineState.Failed,
        RunStatus.Running => TimelineState.Running,
        RunStatus.Waiting => TimelineState.Waiting,
        RunStatus.Cancelled => TimelineState.Cancelled,
        _ => TimelineState.Pending,
    };
}
