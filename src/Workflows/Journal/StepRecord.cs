namespace Workflows.Journal;

/// <summary>One journaled step of a run: the replay key is <see cref="Sequence"/>.</summary>
public sealed record StepRecord
{
    public required Guid Id { get; init; }
    public required Guid RunId { get; init; }
    /// <summary>The run's tenant; every store query is scoped by it.</summary>
    public required string TenantId { get; init; }
    /// <summary>Call order within the run, from 1: the replay key.</summary>
    public required int Sequence { get; init; }
    /// <summary>Execution wave: steps started while others were still running share a position.</summary>
    public required int Position { get; init; }
    public required string Name { get; init; }
    public required StepKind Kind { get; init; }
    public required StepStatus Status { get; init; }
    /// <summary>The attempt now running or last finished, from 1: every start of the body counts.</summary>
    public required int Attempt { get; init; }
    /// <summary>Attempts whose body threw: what <see cref="StepDescriptor.MaxAttempts"/> is checked against.</summary>
    public int FailedAttempts { get; init; }
    /// <summary>Attempts cut short by a crash or a stop of the engine; they do not count against <see cref="StepDescriptor.MaxAttempts"/>.</summary>
    public int InterruptedAttempts { get; init; }
    /// <summary>The step's arguments as a JSON object keyed by parameter name.</summary>
    public string? Input { get; init; }
    /// <summary>The step's result as JSON, once succeeded.</summary>
    public string? Output { get; init; }
    /// <summary>The error of the step's last failed attempt (its final error once the step failed).</summary>
    public ErrorInfo? Error { get; init; }
    /// <summary>
    /// The failed earlier attempts, oldest first; the latest failure stays in <see cref="Error"/>. Null when none were
    /// recorded. Compared by value: two records with the same attempts are equal.
    /// </summary>
    public IReadOnlyList<StepAttempt>? AttemptHistory
    {
        get => _attemptHistory;
        init => _attemptHistory = value is null ? null : value as StepAttemptList ?? new StepAttemptList(value);
    }
    private readonly StepAttemptList? _attemptHistory;
    public long? DurationMs { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public decimal? CostUsd { get; init; }
    public int? InputTokens { get; init; }
    public int? OutputTokens { get; init; }
    /// <summary>Agent steps' debug messages as JSON.</summary>
    public string? DebugMessages { get; init; }
}
