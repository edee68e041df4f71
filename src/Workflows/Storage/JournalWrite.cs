using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>
/// One change to the journal. A store applies a list of writes, possibly of many runs, in one transaction:
/// all of them or none.
/// </summary>
public abstract record JournalWrite
{
    private protected JournalWrite() { }

    /// <summary>Adds a step record; its (run, sequence) must be new.</summary>
    public static JournalWrite Insert(StepRecord step) => new InsertStep(step);

    /// <summary>Replaces a step record, refused unless its stored status may move to the new one.</summary>
    public static JournalWrite Update(StepRecord step) => new UpdateStep(step);

    /// <summary>Replaces a run record, refused unless its stored status may move to the new one.</summary>
    public static JournalWrite Update(RunRecord run) => new UpdateRun(run);
}

/// <summary>Adds a step record.</summary>
public sealed record InsertStep(StepRecord Step) : JournalWrite;

/// <summary>Replaces a step record under the step state machine.</summary>
public sealed record UpdateStep(StepRecord Step) : JournalWrite;

/// <summary>Replaces a run record under the run state machine.</summary>
public sealed record UpdateRun(RunRecord Run) : JournalWrite;
