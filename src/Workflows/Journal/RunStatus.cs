namespace Workflows.Journal;

/// <summary>
/// The life cycle of a run. <see cref="Succeeded"/>, <see cref="Failed"/> and <see cref="Cancelled"/> are final; a failed run
/// can only be reopened by an explicit resume from its failed step.
/// </summary>
public enum RunStatus
{
    /// <summary>Created, not yet claimed by an engine.</summary>
    Pending,
    /// <summary>Claimed by an engine (<see cref="RunRecord.Owner"/>) that executes it, or was executing it when it stopped.</summary>
    Running,
    /// <summary>Suspended until <see cref="RunRecord.WakeAt"/> (or what <see cref="RunRecord.WaitingFor"/> names); nothing of it is in memory.</summary>
    Waiting,
    Succeeded,
    Failed,
    Cancelled,
    /// <summary>
    /// Stopped for something only a person can fix (non-determinism, a schema mismatch, an unreadable journal payload, a
    /// missing service): not final, not retried, until it is resumed. <see cref="RunRecord.Error"/> says why.
    /// </summary>
    Parked,
}

/// <summary>The life cycle of one journaled step. <see cref="Succeeded"/>, <see cref="Failed"/> and <see cref="Skipped"/> are final.</summary>
public enum StepStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

/// <summary>What a journal entry records: a user step or one of the durable primitives.</summary>
public enum StepKind
{
    Step,
    Sleep,
    Event,
    ChildWorkflow,
    Now,
    Guid,
    Random,
    /// <summary>A value the run published for its callers (<see cref="Workflow.SetEventAsync{T}(string, T)"/>).</summary>
    Publish,
    /// <summary>Which of several tasks finished first (<see cref="Workflow.WhenAnyAsync(Task[])"/>): a replay takes the same one.</summary>
    WhenAny,
    /// <summary>A code change the run took (<see cref="Workflow.Patched(string)"/>): recorded where the new code first asked; a run recorded without it takes the old branch.</summary>
    Patch,
}
