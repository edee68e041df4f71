using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>
/// Where runs and their steps are journaled. Implementations enforce the status state machines themselves
/// (conditional writes), scope every query by tenant, and make a commit durable before it returns.
/// </summary>
/// <remarks>
/// <para>
/// Ownership is part of the contract: an engine executes a run only while it holds the run's claim (<see cref="RunRecord.Owner"/>,
/// <see cref="RunRecord.LeaseExpiresAt"/>), taken by <see cref="ClaimRunAsync"/> or <see cref="ClaimReadyRunsAsync"/> with a
/// conditional write, kept by <see cref="RenewClaimsAsync"/>, and given up by a <see cref="JournalWrite.ReleaseClaim"/> in the
/// commit that suspends or ends the run. Every commit of an executing run starts with a <see cref="JournalWrite.RequireClaim"/>
/// fence, checked in the same transaction as the writes, so an engine that lost the run cannot write to it.
/// </para>
/// <para>
/// Errors: a store that cannot be reached, or is locked or busy past its timeout, throws <see cref="StoreUnavailableException"/>
/// (nothing was applied; the caller may retry). Anything else it throws is about the data.
/// </para>
/// </remarks>
public interface IWorkflowStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the store's schema. Safe to call more than once.</summary>
    ValueTask InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a run, and with it <paramref name="steps"/> (a fork's copied journal), in one transaction. When a run of the same
    /// tenant and workflow already has the run's idempotency key, or the run's id already exists, nothing is written and the
    /// existing run is returned. The run's owner and lease are written as given: a run can be created already claimed.
    /// </summary>
    ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, IReadOnlyList<StepRecord>? steps = null, CancellationToken cancellationToken = default);

    /// <summary>Reads a run, or null when the tenant has no run with that id.</summary>
    ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>Reads a run's steps in sequence order.</summary>
    ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads what a replay needs of a run's steps, in sequence order, only those after <paramref name="afterSequence"/> (0:
    /// all): empty when the tenant has no such run. A step that has not ended (<see cref="StepStatus.Pending"/>,
    /// <see cref="StepStatus.Running"/>) is read whole, as <see cref="GetStepsAsync"/> reads it. Of an ended step only
    /// <see cref="StepRecord.Id"/>, <see cref="StepRecord.RunId"/>, <see cref="StepRecord.TenantId"/>,
    /// <see cref="StepRecord.Sequence"/>, <see cref="StepRecord.Position"/>, <see cref="StepRecord.Name"/>,
    /// <see cref="StepRecord.Kind"/>, <see cref="StepRecord.Status"/>, <see cref="StepRecord.Attempt"/>,
    /// <see cref="StepRecord.FailedAttempts"/>, <see cref="StepRecord.InterruptedAttempts"/>, <see cref="StepRecord.Output"/>
    /// and <see cref="StepRecord.Error"/> are read, and <see cref="StepRecord.Input"/> for the kinds whose replay reads it
    /// (<see cref="ReplaySteps.ReadsInput"/>: child runs, event waits); everything else is absent, not read: null
    /// (<see cref="StepRecord.Input"/> of other kinds, <see cref="StepRecord.AttemptHistory"/>, <see cref="StepRecord.DurationMs"/>,
    /// <see cref="StepRecord.StartedAt"/>, <see cref="StepRecord.CompletedAt"/>, <see cref="StepRecord.CostUsd"/>,
    /// <see cref="StepRecord.InputTokens"/>, <see cref="StepRecord.OutputTokens"/>, <see cref="StepRecord.DebugMessages"/>) or
    /// default (<see cref="StepRecord.CreatedAt"/>, <see cref="StepRecord.UpdatedAt"/>). Such a record is for replaying, never
    /// for writing back (an update would write the absent fields as absent). <see cref="ReplaySteps.Of"/> is the same
    /// projection of a whole record.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterSequence"/> is negative.</exception>
    ValueTask<IReadOnlyList<StepRecord>> GetReplayStepsAsync(string tenantId, Guid runId, int afterSequence = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the run's snapshot, replacing the one it had, fenced by the run's claim like a journal commit, in one
    /// transaction. Refused, with nothing changed (the previous snapshot stays), with
    /// <see cref="RunOwnershipLostException"/> unless <paramref name="owner"/> holds the run's claim;
    /// <see cref="JournalConflictException"/> when the tenant has no such run (another tenant's run included) or the run
    /// has no journal entry at <see cref="SnapshotRecord.Sequence"/>; <see cref="SnapshotTooLargeException"/> when the payload
    /// is over <see cref="SnapshotRecord.MaxPayloadBytes"/>, and <see cref="ArgumentException"/> for a missing field or a
    /// sequence below 1 (<see cref="RunSnapshots.ValidateForPut"/>), before anything is sent. The snapshot is deleted with its
    /// run (retention).
    /// </summary>
    ValueTask PutSnapshotAsync(SnapshotRecord snapshot, string owner, CancellationToken cancellationToken = default);

    /// <summary>The run's snapshot, or null when it has none or the tenant has no such run.</summary>
    ValueTask<SnapshotRecord?> GetSnapshotAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The run's claim history (<see cref="ClaimRecord"/>), oldest first: empty when the tenant has no such run. The store
    /// keeps it as claims, renewals, releases and takeovers change the run's owner and lease, and deletes it with the run.
    /// </summary>
    ValueTask<IReadOnlyList<ClaimRecord>> GetClaimsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>Lists runs matching the query in id order (creation order for UUIDv7 ids), after <see cref="RunQuery.AfterId"/>.</summary>
    ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies the writes atomically and durably. Throws <see cref="IllegalTransitionException"/> (and applies
    /// nothing) when any write would break a state machine, <see cref="JournalConflictException"/> when an
    /// inserted step's sequence is already recorded or an updated record does not exist, and
    /// <see cref="RunOwnershipLostException"/> when a <see cref="JournalWrite.RequireClaim"/> fence does not hold.
    /// </summary>
    ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="CommitAsync(IReadOnlyList{JournalWrite}, CancellationToken)"/> at the given durability: a
    /// <see cref="CommitDurability.Buffered"/> commit survives the process being killed but may be lost with the machine
    /// (until the next flushed commit). A store that cannot tell the two apart commits both flushed.
    /// </summary>
    ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims one run if it is ready (see <see cref="RunReadiness"/>), or already claimed by the same owner: sets it
    /// <see cref="RunStatus.Running"/> under the claim and returns it. Null when the run is not ready or another owner's claim holds.
    /// </summary>
    ValueTask<RunRecord?> ClaimRunAsync(RunClaim claim, CancellationToken cancellationToken = default);

    /// <summary>Claims up to <see cref="ReadyRunsClaim.Limit"/> ready runs of the given workflows, oldest due first.</summary>
    ValueTask<IReadOnlyList<RunRecord>> ClaimReadyRunsAsync(ReadyRunsClaim claim, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends the owner's claims on the given runs. Returns one entry per run: whether the owner still holds it, and any
    /// cancellation asked for it meanwhile.
    /// </summary>
    ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default);

    /// <summary>
    /// The earliest moment a run of the given workflows becomes ready: a waiting run's wake-up time, or the expiry of a claim
    /// (a takeover). <see cref="DateTimeOffset.MinValue"/> when a run is ready now; null when nothing is scheduled.
    /// </summary>
    /// <param name="tenants">Only runs of these tenants; null for every tenant.</param>
    ValueTask<DateTimeOffset?> GetNextDueAsync(IReadOnlyCollection<string> workflows, DateTimeOffset now, IReadOnlyCollection<string>? tenants = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels a run that no live engine holds (pending, waiting, parked; or running under an expired claim) at once, without
    /// loading it; for a run an engine holds, records the request for its owner to act on.
    /// </summary>
    ValueTask<CancelResult> RequestCancelAsync(CancelRequest request, CancellationToken cancellationToken = default);

    /// <summary>Keeps the shape text of a workflow's schema version (the first one kept for a version stays).</summary>
    ValueTask SaveSchemaAsync(SchemaRecord schema, CancellationToken cancellationToken = default);

    /// <summary>The shape text kept for a workflow's schema version, or null.</summary>
    ValueTask<SchemaRecord?> GetSchemaAsync(string workflow, string schemaVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Delivers an event to a run, in one transaction: <see cref="SendEventOutcome.RunNotFound"/> when the tenant has no such
    /// run, <see cref="SendEventOutcome.RunEnded"/> when it has ended, <see cref="SendEventOutcome.Duplicate"/> (with the
    /// stored event, nothing written) when the run already has an event with the same idempotency key; otherwise the event is
    /// stored and the run's <see cref="RunRecord.WakeRequestedAt"/> set to its <see cref="EventRecord.CreatedAt"/>
    /// (<see cref="SendEventOutcome.Delivered"/>). The event must not be consumed yet.
    /// </summary>
    ValueTask<SendEventResult> SendEventAsync(EventRecord ev, CancellationToken cancellationToken = default);

    /// <summary>Reads a run's events in the order they were sent.</summary>
    ValueTask<IReadOnlyList<EventRecord>> GetEventsAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes, in one transaction, up to <see cref="RetentionQuery.Limit"/> runs that ended
    /// (<see cref="RunStatus.Succeeded"/>, <see cref="RunStatus.Failed"/>, <see cref="RunStatus.Cancelled"/>) before
    /// <see cref="RetentionQuery.EndedBefore"/>, in id order, with their steps, events, claim history and snapshot. A run that has not ended
    /// (pending, running, waiting, parked) is never deleted, whatever its age. Returns the ids deleted.
    /// </summary>
    ValueTask<IReadOnlyList<Guid>> DeleteEndedRunsAsync(RetentionQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Which ended runs <see cref="IWorkflowStore.DeleteEndedRunsAsync"/> deletes: one batch.</summary>
/// <param name="EndedBefore">Only runs whose <see cref="RunRecord.CompletedAt"/> is before this instant.</param>
public sealed record RetentionQuery(DateTimeOffset EndedBefore)
{
    /// <summary>Only this tenant's runs; null for every tenant (an administrative purge).</summary>
    public string? TenantId { get; init; }

    /// <summary>The batch size, 1 to <see cref="RunQuery.MaxLimit"/>.</summary>
    public int Limit { get; init; } = 500;

    /// <summary>Throws when <see cref="Limit"/> is out of range.</summary>
    public void Validate()
    {
        if (Limit is < 1 or > RunQuery.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"RetentionQuery.Limit must be 1 to {RunQuery.MaxLimit}.");
        }
    }
}

/// <summary>The shape text of one schema version of a workflow, as the build that recorded runs under it knew it.</summary>
public sealed record SchemaRecord(string Workflow, string SchemaVersion, string Shape, DateTimeOffset CreatedAt);

/// <summary>The outcome of <see cref="IWorkflowStore.CreateRunAsync"/>.</summary>
/// <param name="Run">The stored run: the new one, or the one found by id or idempotency key.</param>
/// <param name="Created">False when an existing run was returned.</param>
public readonly record struct CreateRunResult(RunRecord Run, bool Created);

/// <summary>
/// Selects runs, in id (creation) order or newest first, a page at a time: pass the last id of a page as
/// <see cref="AfterId"/> for the next one. A null tenant means every tenant (engine start-up, administration).
/// </summary>
public sealed record RunQuery
{
    /// <summary>The most a page may hold.</summary>
    public const int MaxLimit = 1000;

    public string? TenantId { get; init; }
    /// <summary>Only runs of these tenants (a user who may see several); empty matches nothing; null for any. Combines with <see cref="TenantId"/>.</summary>
    public IReadOnlyList<string>? TenantIds { get; init; }
    public string? Workflow { get; init; }
    /// <summary>Only runs in one of these statuses; null or empty for any.</summary>
    public IReadOnlyList<RunStatus>? Statuses { get; init; }
    /// <summary>Only runs created at or after this instant.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }
    /// <summary>Only runs created before this instant.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }
    /// <summary>Only these runs (at most <see cref="MaxLimit"/> ids); null for any.</summary>
    public IReadOnlyList<Guid>? RunIds { get; init; }
    /// <summary>Only the children of this run; null for any.</summary>
    public Guid? ParentRunId { get; init; }
    /// <summary>Keyset paging: only runs that come after this one in the query's order (older ones when <see cref="NewestFirst"/>).</summary>
    public Guid? AfterId { get; init; }
    /// <summary>Newest first (id descending) instead of oldest first.</summary>
    public bool NewestFirst { get; init; }
    /// <summary>Page size, 1 to <see cref="MaxLimit"/>; 0 or less returns nothing.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Runs that are not final and not parked: what an engine resumes.</summary>
    public static RunQuery Unfinished(string? tenantId = null) => new()
    {
        TenantId = tenantId,
        Statuses = [RunStatus.Pending, RunStatus.Running, RunStatus.Waiting],
    };
}
