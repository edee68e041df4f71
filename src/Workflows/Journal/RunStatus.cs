namespace Workflows.Journal;

/// <summary>The life cycle of a run. <see cref="Succeeded"/>, <see cref="Failed"/> and <see cref="Cancelled"/> are final.</summary>
public enum RunStatus
{
    Pending,
    Running,
    Waiting,
    Succeeded,
    Failed,
    Cancelled,
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
}
