using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>
/// A store that passes every call to another one: derive from it to observe or decorate a store (logging, tracing, metrics)
/// by overriding only the calls of interest. It adds no behaviour of its own, so the inner store's contract holds unchanged.
/// </summary>
public abstract class DelegatingWorkflowStore : IWorkflowStore, IReadyRunNotifications, IRunEndNotifications
{
    protected DelegatingWorkflowStore(IWorkflowStore inner) => Inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The store that does the work.</summary>
    protected IWorkflowStore Inner { get; }

    public virtual ValueTask InitializeAsync(CancellationToken cancellationToken = default) => Inner.InitializeAsync(cancellationToken);

    /// <summary>The inner store's notifications, when it has them; otherwise a subscription that never calls back.</summary>
    public virtual IDisposable SubscribeReady(Action onReady) =>
        Inner is IReadyRunNotifications notifications ? notifications.SubscribeReady(onReady) : NoNotifications.Instance;

    public virtual IDisposable SubscribeEnded(Action<Guid> onEnded) =>
        Inner is IRunEndNotifications notifications ? notifications.SubscribeEnded(onEnded) : NoNotifications.Instance;

    private sealed class NoNotifications : IDisposable
    {
        internal static readonly NoNotifications Instance = new();

        public void Dispose() { }
    }

    public virtual ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, IReadOnlyList<StepRecord>? steps = null, CancellationToken cancellationToken = default) =>
        Inner.CreateRunAsync(run, steps, cancellationToken);

    public virtual ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        Inner.GetRunAsync(tenantId, runId, cancellationToken);

    public virtual ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        Inner.GetStepsAsync(tenantId, runId, cancellationToken);

    public virtual ValueTask<IReadOnlyList<StepRecord>> GetReplayStepsAsync(string tenantId, Guid runId, int afterSequence = 0, CancellationToken cancellationToken = default) =>
        Inner.GetReplayStepsAsync(tenantId, runId, afterSequence, cancellationToken);

    public virtual ValueTask PutSnapshotAsync(SnapshotRecord snapshot, string owner, CancellationToken cancellationToken = default) =>
        Inner.PutSnapshotAsync(snapshot, owner, cancellationToken);

    public virtual ValueTask<SnapshotRecord?> GetSnapshotAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        Inner.GetSnapshotAsync(tenantId, runId, cancellationToken);

    public virtual ValueTask<IReadOnlyList<ClaimRecord>> GetClaimsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        Inner.GetClaimsAsync(tenantId, runId, cancellationToken);

    public virtual ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) =>
        Inner.ListRunsAsync(query, cancellationToken);

    /// <summary>A flushed commit, through <see cref="CommitAsync(IReadOnlyList{JournalWrite}, CommitDurability, CancellationToken)"/>: override that one.</summary>
    public ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default) =>
        CommitAsync(writes, CommitDurability.Flushed, cancellationToken);

    public virtual ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default) =>
        Inner.CommitAsync(writes, durability, cancellationToken);

    public virtual ValueTask<RunRecord?> ClaimRunAsync(RunClaim claim, CancellationToken cancellationToken = default) =>
        Inner.ClaimRunAsync(claim, cancellationToken);

    public virtual ValueTask<IReadOnlyList<RunRecord>> ClaimReadyRunsAsync(ReadyRunsClaim claim, CancellationToken cancellationToken = default) =>
        Inner.ClaimReadyRunsAsync(claim, cancellationToken);

    public virtual ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default) =>
        Inner.RenewClaimsAsync(renewal, cancellationToken);

    public virtual ValueTask<DateTimeOffset?> GetNextDueAsync(IReadOnlyCollection<string> workflows, DateTimeOffset now, IReadOnlyCollection<string>? tenants = null,
        CancellationToken cancellationToken = default) =>
        Inner.GetNextDueAsync(workflows, now, tenants, cancellationToken);

    public virtual ValueTask<CancelResult> RequestCancelAsync(CancelRequest request, CancellationToken cancellationToken = default) =>
        Inner.RequestCancelAsync(request, cancellationToken);

    public virtual ValueTask SaveSchemaAsync(SchemaRecord schema, CancellationToken cancellationToken = default) =>
        Inner.SaveSchemaAsync(schema, cancellationToken);

    public virtual ValueTask<SchemaRecord?> GetSchemaAsync(string workflow, string schemaVersion, CancellationToken cancellationToken = default) =>
        Inner.GetSchemaAsync(workflow, schemaVersion, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<SendEventResult> SendEventAsync(EventRecord ev, CancellationToken cancellationToken = default) =>
        Inner.SendEventAsync(ev, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<EventRecord>> GetEventsAsync(EventQuery query, CancellationToken cancellationToken = default) =>
        Inner.GetEventsAsync(query, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Guid>> DeleteEndedRunsAsync(RetentionQuery query, CancellationToken cancellationToken = default) =>
        Inner.DeleteEndedRunsAsync(query, cancellationToken);

    /// <summary>Disposes the inner store: the decorator owns it.</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Inner.DisposeAsync();
    }
}
