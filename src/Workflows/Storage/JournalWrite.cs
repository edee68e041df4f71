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

    /// <summary>
    /// Replaces a run record, refused unless its stored status may move to the new one. The claim (owner, lease) and a
    /// pending cancel request are not written: only claims, releases and cancel requests change them.
    /// </summary>
    public static JournalWrite Update(RunRecord run) => new UpdateRun(run);

    /// <summary>The fence: the whole commit is refused with <see cref="RunOwnershipLostException"/> unless <paramref name="owner"/> holds the run.</summary>
    public static JournalWrite RequireClaim(Guid runId, string tenantId, string owner) => new RequireClaim(runId, tenantId, owner);

    /// <summary>Gives up <paramref name="owner"/>'s claim on the run (no-op when it holds none): put it after the fence.</summary>
    public static JournalWrite ReleaseClaim(Guid runId, string tenantId, string owner) => new ReleaseClaim(runId, tenantId, owner);

    /// <summary>
    /// Marks an event of the run consumed by the journal entry at <paramref name="sequence"/>. The whole commit is refused
    /// with <see cref="JournalConflictException"/> unless the event belongs to that run and tenant and is not consumed yet.
    /// Not fenced by itself: put it after the run's <see cref="RequireClaim(Guid, string, string)"/> fence.
    /// </summary>
    public static JournalWrite ConsumeEvent(Guid eventId, Guid runId, string tenantId, int sequence, DateTimeOffset at) =>
        new ConsumeEvent(eventId, runId, tenantId, sequence, at);

    /// <summary>
    /// Asks another run to wake up (<see cref="RunRecord.WakeRequestedAt"/>): how a child's final commit wakes its parent.
    /// A no-op when the tenant has no such run or the run has ended. Not fenced by itself.
    /// </summary>
    public static JournalWrite WakeRun(Guid runId, string tenantId, DateTimeOffset at) => new WakeRun(runId, tenantId, at);
}

/// <summary>Adds a step record.</summary>
public sealed record InsertStep(StepRecord Step) : JournalWrite;

/// <summary>Replaces a step record under the step state machine.</summary>
public sealed record UpdateStep(StepRecord Step) : JournalWrite;

/// <summary>Replaces a run record under the run state machine.</summary>
public sealed record UpdateRun(RunRecord Run) : JournalWrite;

/// <summary>Refuses the commit unless <see cref="Owner"/> holds the run's claim.</summary>
public sealed record RequireClaim(Guid RunId, string TenantId, string Owner) : JournalWrite;

/// <summary>Clears the run's owner and lease if <see cref="Owner"/> holds them.</summary>
public sealed record ReleaseClaim(Guid RunId, string TenantId, string Owner) : JournalWrite;

/// <summary>Marks event <see cref="EventId"/> of the run consumed by the journal entry at <see cref="Sequence"/>.</summary>
public sealed record ConsumeEvent(Guid EventId, Guid RunId, string TenantId, int Sequence, DateTimeOffset At) : JournalWrite;

/// <summary>Sets the run's <see cref="RunRecord.WakeRequestedAt"/> unless it has ended or does not exist.</summary>
public sealed record WakeRun(Guid RunId, string TenantId, DateTimeOffset At) : JournalWrite;
