namespace Workflows.Journal;

/// <summary>One execution of a workflow, as the journal holds it.</summary>
public sealed record RunRecord
{
    /// <summary>UUIDv7: ids sort by creation time.</summary>
    public required Guid Id { get; init; }
    public required string TenantId { get; init; }
    /// <summary>The workflow's journal name.</summary>
    public required string Workflow { get; init; }
    /// <summary>The generator's hash of the workflow's step names and signatures when the run was created.</summary>
    public required string SchemaVersion { get; init; }
    public required RunStatus Status { get; init; }
    public Guid? ParentRunId { get; init; }
    public int? ParentStep { get; init; }
    /// <summary>The run's input as JSON.</summary>
    public string? Input { get; init; }
    /// <summary>The run's result as JSON, once succeeded.</summary>
    public string? Output { get; init; }
    public ErrorInfo? Error { get; init; }
    public string? IdempotencyKey { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>
    /// The engine (worker id) that holds the run's claim; only it may write the run's journal. Written by claims and
    /// releases only, never by a run update.
    /// </summary>
    public string? Owner { get; init; }
    /// <summary>When the owner's claim lapses unless renewed; another engine may then take the run over. UTC.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    /// <summary>When a <see cref="RunStatus.Waiting"/> run is due to be woken (a durable timer, or the run's deadline). UTC.</summary>
    public DateTimeOffset? WakeAt { get; init; }
    /// <summary>What a waiting run waits for, e.g. <c>sleep:3</c> (the journal entry at sequence 3).</summary>
    public string? WaitingFor { get; init; }
    /// <summary>The run's deadline (<see cref="StartOptions.Timeout"/>): past it, the run is cancelled with a Timeout error. UTC.</summary>
    public DateTimeOffset? DeadlineAt { get; init; }
    /// <summary>When a cancellation was asked for a run that an engine was executing; the owner acts on it. Written by cancel requests only.</summary>
    public DateTimeOffset? CancelRequestedAt { get; init; }
    /// <summary>
    /// When something the run may be waiting for has happened (an event was sent to it, a child of it ended): a
    /// <see cref="RunStatus.Waiting"/> run with it set is ready at once. Written by event deliveries and wake-ups only, never
    /// by a run update; a claim clears it. UTC.
    /// </summary>
    public DateTimeOffset? WakeRequestedAt { get; init; }

    /// <summary>
    /// The W3C trace context (<c>traceparent</c>) of the caller who started the run, so that every execution of it, in
    /// any process, continues that trace. Written when the run is created; a run update never changes it.
    /// </summary>
    public string? TraceParent { get; init; }
    /// <summary>Who asked for the cancellation and why.</summary>
    public string? CancelReason { get; init; }
    /// <summary>The run this one was forked from, if any.</summary>
    public Guid? ForkedFromRunId { get; init; }
    /// <summary>
    /// The queue the run was started on (<see cref="StartOptions.Queue"/>), or null: a queued run is claimed only by engines
    /// that serve its queue, within the queue's concurrency limits, in <see cref="Priority"/> then creation order. Written
    /// when the run is created; a run update never changes it.
    /// </summary>
    public string? Queue { get; init; }
    /// <summary>A queued run's priority: lower values are claimed first (0 by default). Written when the run is created.</summary>
    public int Priority { get; init; }
}
