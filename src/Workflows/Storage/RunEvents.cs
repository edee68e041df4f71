using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>What <see cref="IWorkflowStore.SendEventAsync"/> did with an event.</summary>
public enum SendEventOutcome
{
    /// <summary>The event was stored and the run asked to wake up.</summary>
    Delivered,
    /// <summary>The run already had an event with the same idempotency key: that one is returned, nothing was written.</summary>
    Duplicate,
    /// <summary>The tenant has no such run; nothing was written.</summary>
    RunNotFound,
    /// <summary>The run has ended (succeeded, failed or cancelled); nothing was written.</summary>
    RunEnded,
}

/// <summary>The outcome of <see cref="IWorkflowStore.SendEventAsync"/>.</summary>
/// <param name="Outcome">What was done.</param>
/// <param name="Event">The stored event: the new one when delivered, the earlier one when a duplicate; otherwise null.</param>
/// <param name="RunStatus">The run's status when it was found; null when it was not.</param>
public readonly record struct SendEventResult(SendEventOutcome Outcome, EventRecord? Event, RunStatus? RunStatus);

/// <summary>Selects the events of one run, in the order they were sent.</summary>
/// <param name="TenantId">The run's tenant.</param>
/// <param name="RunId">The run.</param>
public sealed record EventQuery(string TenantId, Guid RunId)
{
    /// <summary>The most one query may return.</summary>
    public const int MaxLimit = 1000;

    /// <summary>Only events of this name; null for any.</summary>
    public string? Name { get; init; }

    /// <summary>Whether consumed events are returned too; by default only pending ones.</summary>
    public bool IncludeConsumed { get; init; }

    /// <summary>How many events at most, 1 to <see cref="MaxLimit"/>; anything else is refused.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Refuses a query a store cannot answer: no tenant, or a limit out of range.</summary>
    /// <exception cref="ArgumentException">The query is not valid.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(TenantId, nameof(TenantId));
        if (Limit is < 1 or > MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"EventQuery.Limit must be 1 to {MaxLimit}.");
        }
    }
}

/// <summary>How every store checks an event it is asked to send, so that they agree.</summary>
public static class RunEvents
{
    /// <summary>Refuses an event that cannot be sent as it is: no tenant or name, or already marked consumed.</summary>
    /// <exception cref="ArgumentException">The event is not valid.</exception>
    public static void ValidateForSend(EventRecord ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        ArgumentNullException.ThrowIfNull(ev.TenantId, nameof(ev));
        ArgumentNullException.ThrowIfNull(ev.Name, nameof(ev));
        if (ev.ConsumedAt is not null || ev.ConsumedBySequence is not null)
        {
            throw new ArgumentException($"Event {ev.Id} '{ev.Name}' is marked consumed; an event is sent unconsumed.", nameof(ev));
        }
    }

    /// <summary>Whether a run in <paramref name="status"/> accepts events: every status but the final ones.</summary>
    public static bool Accepts(RunStatus status) => !StatusTransitions.IsFinal(status);

    /// <summary>The refusal of a consume that does not apply: the event is missing, of another run, or consumed already.</summary>
    public static JournalConflictException ConsumeRefused(ConsumeEvent consume, EventRecord? stored) => new(stored switch
    {
        null => $"Event {consume.EventId} of run {consume.RunId} cannot be consumed: tenant '{consume.TenantId}' has no such event of that run. Nothing of the commit was applied.",
        { ConsumedAt: not null } => $"Event {consume.EventId} of run {consume.RunId} cannot be consumed by sequence {consume.Sequence}: it was consumed already (by sequence {stored.ConsumedBySequence}). Nothing of the commit was applied.",
        _ => $"Event {consume.EventId} of run {consume.RunId} cannot be consumed. Nothing of the commit was applied.",
    });
}
