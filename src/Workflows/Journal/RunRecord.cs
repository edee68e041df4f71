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
    /// <summary>The worker that holds the run, for distributed stores.</summary>
    public string? Owner { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
}
