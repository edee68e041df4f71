using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>
/// Where runs and their steps are journaled. Implementations enforce the status state machines themselves
/// (conditional writes), scope every query by tenant, and make a commit durable before it returns.
/// </summary>
public interface IWorkflowStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the store's schema. Safe to call more than once.</summary>
    ValueTask InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a run. When a run of the same tenant and workflow already has the run's idempotency key,
    /// or the run's id already exists, nothing is written and the existing run is returned.
    /// </summary>
    ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, CancellationToken cancellationToken = default);

    /// <summary>Reads a run, or null when the tenant has no run with that id.</summary>
    ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>Reads a run's steps in sequence order.</summary>
    ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>Lists runs matching the query, oldest first.</summary>
    ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies the writes atomically and durably. Throws <see cref="IllegalTransitionException"/> (and applies
    /// nothing) when any write would break a state machine, and <see cref="JournalConflictException"/> when an
    /// inserted step's sequence is already recorded or an updated record does not exist.
    /// </summary>
    ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="IWorkflowStore.CreateRunAsync"/>.</summary>
/// <param name="Run">The stored run: the new one, or the one found by id or idempotency key.</param>
/// <param name="Created">False when an existing run was returned.</param>
public readonly record struct CreateRunResult(RunRecord Run, bool Created);

/// <summary>Selects runs. A null tenant means every tenant (engine start-up, administration).</summary>
public sealed record RunQuery
{
    public string? TenantId { get; init; }
    public string? Workflow { get; init; }
    /// <summary>Only runs in one of these statuses; null or empty for any.</summary>
    public IReadOnlyList<RunStatus>? Statuses { get; init; }
    public int Limit { get; init; } = 1000;

    /// <summary>Runs that are not final: what an engine resumes at start-up.</summary>
    public static RunQuery Unfinished(string? tenantId = null) => new()
    {
        TenantId = tenantId,
        Statuses = [RunStatus.Pending, RunStatus.Running, RunStatus.Waiting],
    };
}
