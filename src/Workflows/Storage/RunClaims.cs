using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>
/// What makes a run ready to be claimed, for every store alike (at <c>now</c>):
/// <see cref="RunStatus.Pending"/> or <see cref="RunStatus.Running"/> with no owner or an expired claim (new, released, or
/// whose engine died), and <see cref="RunStatus.Waiting"/> (unheld) whose <see cref="RunRecord.WakeAt"/> has come, that has a
/// cancel request (recorded while it was suspending: its next execution ends it), or that has a wake-up request
/// (<see cref="RunRecord.WakeRequestedAt"/>: an event was sent to it, a child of it ended).
/// Parked and final runs are never ready.
/// </summary>
public static class RunReadiness
{
    /// <summary>
    /// Whether <paramref name="run"/> may be claimed by <paramref name="owner"/> at <paramref name="now"/>: it is ready, or
    /// (when <paramref name="includeOwnClaim"/>, for a claim by id) already claimed by that owner.
    /// </summary>
    public static bool IsClaimable(RunRecord run, string owner, DateTimeOffset now, bool includeOwnClaim = true)
    {
        var unheld = run.Owner is null || run.LeaseExpiresAt is not { } lease || lease <= now || (includeOwnClaim && run.Owner == owner);
        return run.Status switch
        {
            RunStatus.Pending or RunStatus.Running => unheld,
            RunStatus.Waiting => (run.CancelRequestedAt is not null || run.WakeRequestedAt is not null || run.WakeAt is { } wake && wake <= now) && unheld,
            _ => false,
        };
    }

    /// <summary>When <paramref name="run"/> becomes claimable by someone else than its owner, or null if never by itself.</summary>
    public static DateTimeOffset? DueAt(RunRecord run) => run.Status switch
    {
        RunStatus.Pending or RunStatus.Running => run.Owner is null ? DateTimeOffset.MinValue : run.LeaseExpiresAt ?? DateTimeOffset.MinValue,
        RunStatus.Waiting => run.CancelRequestedAt is not null || run.WakeRequestedAt is not null ? DateTimeOffset.MinValue : run.WakeAt,
        _ => null,
    };

    /// <summary>
    /// <see cref="DueAt(RunRecord)"/> for the scheduler at <paramref name="now"/>: a queued run that is ready now may still
    /// have to wait for room in its queue, which no time brings, so it is not due (its engine learns of room from the end of
    /// another run, or polls); what a queued run is due at is only a future moment: its lease's expiry or its wake-up time.
    /// </summary>
    public static DateTimeOffset? DueAt(RunRecord run, DateTimeOffset now) =>
        run.Queue is null ? DueAt(run) : DueAt(run) is { } due && due > now ? due : null;

    /// <summary>The claimed form of a run: running, under the owner's lease, no longer waiting, its wake-up request taken.</summary>
    public static RunRecord Claimed(RunRecord run, string owner, DateTimeOffset now, DateTimeOffset leaseExpiresAt) => run with
    {
        Status = RunStatus.Running,
        Owner = owner,
        LeaseExpiresAt = leaseExpiresAt,
        StartedAt = run.StartedAt ?? now,
        WakeAt = null,
        WaitingFor = null,
        WakeRequestedAt = null,
        UpdatedAt = now,
    };
}

/// <summary>A claim of one run by id.</summary>
public sealed record RunClaim(Guid RunId, string TenantId, string Owner, DateTimeOffset Now, DateTimeOffset LeaseExpiresAt);

/// <summary>A claim of whatever runs are ready.</summary>
/// <param name="Workflows">Only runs of these workflows (the ones the claiming engine can execute).</param>
public sealed record ReadyRunsClaim(string Owner, DateTimeOffset Now, DateTimeOffset LeaseExpiresAt, int Limit, IReadOnlyCollection<string> Workflows)
{
    /// <summary>Only runs of these tenants (an engine that serves some tenants); null for every tenant.</summary>
    public IReadOnlyCollection<string>? Tenants { get; init; }

    /// <summary>
    /// The queues the claiming engine serves, with their limits: besides unqueued runs, ready runs of these queues are
    /// claimed (lowest <see cref="RunRecord.Priority"/> first, then oldest) while the queue has fewer than
    /// <see cref="QueueLimit.Concurrency"/> runs executing across all engines and the claiming owner fewer than
    /// <see cref="QueueLimit.WorkerConcurrency"/>. Runs of other queues are never claimed. Empty for none.
    /// </summary>
    public IReadOnlyList<QueueLimit> Queues { get; init; } = [];
}

/// <summary>
/// A queue's limits as one engine applies them when it claims. "Executing" means <see cref="RunStatus.Running"/> under a
/// claim that has not lapsed: a suspended (waiting) run does not count, a run whose engine died stops counting at its lease.
/// </summary>
/// <param name="Name">The queue's name.</param>
/// <param name="Concurrency">At most this many of the queue's runs executing at once, across all engines (at least 1).</param>
/// <param name="WorkerConcurrency">At most this many executing under one owner; null for no limit of its own; 0 for an engine that only enqueues.</param>
public sealed record QueueLimit(string Name, int Concurrency, int? WorkerConcurrency = null)
{
    /// <summary>How many more runs of the queue the owner may claim now, given what executes (all engines, the owner's own).</summary>
    public int Room(int executing, int executingByOwner) =>
        Math.Max(0, Math.Min(Concurrency - executing, WorkerConcurrency is { } own ? own - executingByOwner : int.MaxValue));

    /// <summary>Whether a run counts against a queue's limits at <paramref name="now"/>: running under a live claim.</summary>
    public static bool IsExecuting(RunRecord run, DateTimeOffset now) =>
        run.Status == RunStatus.Running && run.Owner is not null && run.LeaseExpiresAt is { } lease && lease > now;
}

/// <summary>A renewal of an owner's claims.</summary>
public sealed record ClaimRenewal(string Owner, IReadOnlyList<Guid> RunIds, DateTimeOffset Now, DateTimeOffset LeaseExpiresAt);

/// <summary>What a renewal found for one run.</summary>
/// <param name="Held">False when the owner no longer holds the run (taken over, ended, or gone).</param>
/// <param name="CurrentOwner">Who holds the run now, if anyone.</param>
public sealed record ClaimState(Guid RunId, bool Held, string? CurrentOwner, DateTimeOffset? CancelRequestedAt, string? CancelReason);
