namespace Workflows.Storage;

/// <summary>How far a journal commit must have reached before <see cref="IWorkflowStore.CommitAsync(IReadOnlyList{JournalWrite}, CommitDurability, CancellationToken)"/> returns.</summary>
/// <remarks>
/// Whatever the durability, a commit is atomic, visible to every reader once it returns, and ordered: a
/// <see cref="Flushed"/> commit makes every commit before it durable too, so a buffered commit can be lost only together
/// with the flushed commits after it, never on its own in between.
/// </remarks>
public enum CommitDurability
{
    /// <summary>On stable storage before the call returns (an fsync'd write-ahead log): survives a power loss.</summary>
    Flushed = 0,

    /// <summary>
    /// Handed to the database and the operating system, not waited for on disk: survives the process being killed,
    /// but a power loss or an operating-system crash before the next flush (the next <see cref="Flushed"/> commit, or the
    /// database's own background flush) may lose it. For records whose loss costs bookkeeping, never an outcome: the
    /// engine's "step started" marker.
    /// </summary>
    Buffered = 1,
}
