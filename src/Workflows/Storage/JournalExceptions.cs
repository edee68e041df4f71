using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>Base of the errors a store raises about the journal's content.</summary>
public class JournalException : Exception
{
    public JournalException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A write would move a run or step along a transition its state machine forbids; nothing was applied.</summary>
public sealed class IllegalTransitionException : JournalException
{
    public IllegalTransitionException(string record, string from, string to)
        : base($"Illegal status transition for {record}: {from} -> {to}. The journal was not changed.")
    {
        Record = record;
        From = from;
        To = to;
    }

    /// <summary>Names the run or step, e.g. "step 3 'charge' of run 0190…".</summary>
    public string Record { get; }
    public string From { get; }
    public string To { get; }

    /// <summary>The refusal of a run write.</summary>
    public static IllegalTransitionException For(RunRecord run, RunStatus from) =>
        new($"run {run.Id} ({run.Workflow})", from.ToString(), run.Status.ToString());

    /// <summary>The refusal of a step write.</summary>
    public static IllegalTransitionException For(StepRecord step, StepStatus from) =>
        new($"step {step.Sequence} '{step.Name}' of run {step.RunId}", from.ToString(), step.Status.ToString());
}

/// <summary>A write collides with what is recorded (a sequence number taken twice) or targets a missing record.</summary>
public sealed class JournalConflictException : JournalException
{
    public JournalConflictException(string message) : base(message) { }

    public JournalConflictException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A stored row cannot be read back: an unknown status, a malformed error payload, and so on.</summary>
public sealed class JournalCorruptException : JournalException
{
    public JournalCorruptException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A commit was fenced out: the engine that wrote it no longer holds the run (its claim was taken over after it lapsed, or
/// the run was released or ended). Nothing was applied; the engine must abandon the run without writing to it again.
/// </summary>
public sealed class RunOwnershipLostException : JournalException
{
    public RunOwnershipLostException(Guid runId, string expectedOwner, string? currentOwner)
        : base($"Engine '{expectedOwner}' no longer holds run {runId}: " +
               (currentOwner is null ? "no engine holds it now" : $"engine '{currentOwner}' holds it now") +
               ". The write was refused and the journal is unchanged.")
    {
        RunId = runId;
        ExpectedOwner = expectedOwner;
        CurrentOwner = currentOwner;
    }

    public Guid RunId { get; }
    /// <summary>The engine whose write was refused.</summary>
    public string ExpectedOwner { get; }
    /// <summary>The engine that holds the run now, or null.</summary>
    public string? CurrentOwner { get; }
}

/// <summary>
/// The store cannot be used right now: it is locked or busy past its timeout, an I/O error occurred, or the connection is
/// lost. Nothing of the failed call was applied. This is never a failure of a run: the engine backs off and retries.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message, Exception? inner = null) : base(message, inner) { }

    public StoreUnavailableException(string message, string dataSource, int errorCode, Exception? inner = null) : base(message, inner)
    {
        DataSource = dataSource;
        ErrorCode = errorCode;
    }

    /// <summary>The store's file or connection (for SQLite, the database file).</summary>
    public string? DataSource { get; }

    /// <summary>The database's own error code (for SQLite, its result code, e.g. 5 busy, 8 read-only, 13 disk full).</summary>
    public int? ErrorCode { get; }
}

/// <summary>A snapshot's payload is over <see cref="SnapshotRecord.MaxPayloadBytes"/>: nothing was stored (the run's previous snapshot, if any, stays).</summary>
public sealed class SnapshotTooLargeException : JournalException
{
    public SnapshotTooLargeException(Guid runId, int sequence, int payloadBytes)
        : base($"The snapshot of run {runId} at sequence {sequence} is {payloadBytes} bytes of UTF-8; a snapshot may be at most {SnapshotRecord.MaxPayloadBytes} bytes. It was not stored.")
    {
        RunId = runId;
        Sequence = sequence;
        PayloadBytes = payloadBytes;
    }

    public Guid RunId { get; }
    public int Sequence { get; }
    /// <summary>The payload's size in UTF-8 bytes.</summary>
    public int PayloadBytes { get; }
    /// <summary>The limit it is over.</summary>
    public static int MaxPayloadBytes => SnapshotRecord.MaxPayloadBytes;
}
