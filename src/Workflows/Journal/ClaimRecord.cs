namespace Workflows.Journal;

/// <summary>How a claim in a run's claim history ended.</summary>
public enum ClaimEnd
{
    /// <summary>Its owner gave the run up: it suspended, ended, was parked or the owner stopped.</summary>
    Released = 0,

    /// <summary>Another owner claimed the run after this claim lapsed (its lease expired, or its owner was found dead).</summary>
    TakenOver = 1,
}

/// <summary>
/// One claim of a run, as the journal's claim history keeps it: who executed the run, from when to when. The store writes
/// it as the run's owner changes (a claim, a release, a takeover), in the same transaction, so it is as exact as the claims
/// themselves: at any instant, the runs executing are those with a claim begun and not ended or lapsed.
/// </summary>
/// <remarks>
/// <see cref="ClaimedAt"/> and <see cref="EndedAt"/> are read off the database's clock when the claim began and ended, one
/// clock for every worker; <see cref="LeaseExpiresAt"/> is the lease as its owner last set it (the owner's clock). A claim
/// whose owner died ends when another owner takes the run over (<see cref="ClaimEnd.TakenOver"/>), but it held the run only
/// until its lease: the moment it stopped counting is <see cref="HeldUntil"/>.
/// </remarks>
public sealed record ClaimRecord
{
    public required Guid RunId { get; init; }
    public required string TenantId { get; init; }

    /// <summary>1 for the run's first claim, then 2, 3, …</summary>
    public required int Number { get; init; }

    public required string Owner { get; init; }
    public required DateTimeOffset ClaimedAt { get; init; }

    /// <summary>The lease as the owner last set (or renewed) it; null when the claim was taken without one.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>When the claim ended; null while it is open (the owner holds the run, or died and nobody took the run yet).</summary>
    public DateTimeOffset? EndedAt { get; init; }

    public ClaimEnd? End { get; init; }

    /// <summary>Until when the claim held the run: its end when released, else the earlier of its end and its lease; null while open with no lease.</summary>
    public DateTimeOffset? HeldUntil => End == ClaimEnd.Released ? EndedAt
        : (EndedAt, LeaseExpiresAt) switch
        {
            ({ } ended, { } lease) => ended < lease ? ended : lease,
            (var ended, var lease) => ended ?? lease,
        };
}
