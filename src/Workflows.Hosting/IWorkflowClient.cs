using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Hosting;

/// <summary>
/// Starts and controls runs from application code (controllers, minimal-API endpoints, other services): a singleton over
/// the container's <see cref="WorkflowEngine"/>. Runs execute on the hosted worker's engine, with their workflows'
/// constructor dependencies resolved in a service scope per run execution.
/// </summary>
public interface IWorkflowClient
{
    /// <summary>
    /// Starts a run of <paramref name="definition"/>, or returns the existing one when the options' run id or idempotency
    /// key is already recorded (see <see cref="WorkflowEngine.StartAsync{TWorkflow, TInput, TOutput}"/>).
    /// </summary>
    Task<WorkflowRun<TOutput>> StartAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> definition, TInput input,
        StartOptions? options = null, CancellationToken cancellationToken = default)
        where TWorkflow : class;

    /// <summary>A handle on a run: typed when its workflow is registered (<see cref="WorkflowRun.As{TOutput}"/>).</summary>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    Task<WorkflowRun> GetRunAsync(Guid runId, string? tenantId = null, CancellationToken cancellationToken = default);

    /// <summary>A typed handle on a run of <paramref name="definition"/>.</summary>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    Task<WorkflowRun<TOutput>> GetRunAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> definition, Guid runId,
        string? tenantId = null, CancellationToken cancellationToken = default)
        where TWorkflow : class;

    /// <summary>Sends an event to a run (see <see cref="WorkflowEngine.SendEventAsync{T}(Guid, string, T, string?, string?, CancellationToken)"/>).</summary>
    /// <exception cref="EventDeliveryException">The tenant has no such run, or the run has ended.</exception>
    Task<EventRecord> SendEventAsync<T>(Guid runId, string name, T payload, string? tenantId = null, string? idempotencyKey = null,
        CancellationToken cancellationToken = default);

    /// <summary>Cancels a run (and its children); see <see cref="WorkflowEngine.CancelAsync"/>.</summary>
    Task<CancelOutcome> CancelAsync(Guid runId, string? tenantId = null, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>One page of runs matching <paramref name="query"/>, in id (creation) order.</summary>
    Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>A run and its steps.</summary>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    Task<RunTimeline> GetTimelineAsync(Guid runId, string? tenantId = null, CancellationToken cancellationToken = default);

    /// <summary>Resumes a parked, failed or unfinished run (see <see cref="WorkflowEngine.ResumeAsync(Guid, string?, bool, CancellationToken)"/>).</summary>
    /// <param name="acceptSchemaChange">Resume a run recorded under another schema version with the current code.</param>
    Task<WorkflowRun> ResumeAsync(Guid runId, string? tenantId = null, bool acceptSchemaChange = false, CancellationToken cancellationToken = default);
}

/// <summary>The container's <see cref="IWorkflowClient"/>.</summary>
internal sealed class WorkflowClient(WorkflowEngine engine) : IWorkflowClient
{
    public Task<WorkflowRun<TOutput>> StartAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> definition, TInput input,
        StartOptions? options = null, CancellationToken cancellationToken = default)
        where TWorkflow : class =>
        engine.StartAsync(definition, input, options, cancellationToken);

    public Task<WorkflowRun> GetRunAsync(Guid runId, string? tenantId = null, CancellationToken cancellationToken = default) =>
        engine.GetRunAsync(runId, tenantId, cancellationToken);

    public Task<WorkflowRun<TOutput>> GetRunAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> definition, Guid runId,
        string? tenantId = null, CancellationToken cancellationToken = default)
        where TWorkflow : class =>
        engine.GetRunAsync(definition, runId, tenantId, cancellationToken);

    public Task<EventRecord> SendEventAsync<T>(Guid runId, string name, T payload, string? tenantId = null, string? idempotencyKey = null,
        CancellationToken cancellationToken = default) =>
        engine.SendEventAsync(runId, name, payload, tenantId, idempotencyKey, cancellationToken);

    public Task<CancelOutcome> CancelAsync(Guid runId, string? tenantId = null, string? reason = null, CancellationToken cancellationToken = default) =>
        engine.CancelAsync(runId, tenantId, reason, cancellationToken);

    public Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) =>
        engine.ListRunsAsync(query, cancellationToken);

    public Task<RunTimeline> GetTimelineAsync(Guid runId, string? tenantId = null, CancellationToken cancellationToken = default) =>
        engine.GetTimelineAsync(runId, tenantId, cancellationToken);

    public Task<WorkflowRun> ResumeAsync(Guid runId, string? tenantId = null, bool acceptSchemaChange = false, CancellationToken cancellationToken = default) =>
        engine.ResumeAsync(runId, tenantId, acceptSchemaChange, cancellationToken);
}
