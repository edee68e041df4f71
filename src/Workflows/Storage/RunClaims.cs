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
}

/// <summary>A renewal of an owner's claims.</summary>
public sealed record ClaimRenewal(string Owner, IReadOnlyList<Guid> RunIds, DateTimeOffset Now, DateTimeOffset LeaseExpiresAt);

/// <summary>What a renewal found for one run.</summary>
/// <param name="Held">False when the owner no longer holds the run (taken over, ended, or gone).</param>
/// <param name="CurrentOwner">Who holds the run now, if anyone.</param>
public sealed record ClaimState(Guid RunId, bool Held, string? CurrentOwner, DateTimeOffset? CancelRequestedAt, string? CancelReason);
