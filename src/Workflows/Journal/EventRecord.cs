namespace Workflows.Journal;

/// <summary>
/// An external event sent to a run (<see cref="Storage.IWorkflowStore.SendEventAsync"/>), kept until the run consumes it
/// (<see cref="Storage.JournalWrite.ConsumeEvent"/>) and afterwards as a record of what it received.
/// </summary>
public sealed record EventRecord
{
    /// <summary>The event's id (UUIDv7).</summary>
    public required Guid Id { get; init; }
    /// <summary>The run the event was sent to.</summary>
    public required Guid RunId { get; init; }
    /// <summary>The run's tenant; every store query is scoped by it.</summary>
    public required string TenantId { get; init; }
    /// <summary>The event's name, what the run waits for (e.g. <c>scan</c>).</summary>
    public required string Name { get; init; }
    /// <summary>The event's data as JSON text, if any.</summary>
    public string? Payload { get; init; }
    /// <summary>The sender's key: a second event with the same key for the same run is a duplicate and is not delivered again.</summary>
    public string? IdempotencyKey { get; init; }
    /// <summary>When the event was sent.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the run consumed the event; null while it is pending.</summary>
    public DateTimeOffset? ConsumedAt { get; init; }
    /// <summary>The sequence number of the journal entry (the run's wait) that consumed the event.</summary>
    public int? ConsumedBySequence { get; init; }
}
