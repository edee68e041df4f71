using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows;

/// <summary>Messages to and from runs: external events sent to a run's waits, values a run publishes, child runs.</summary>
public sealed partial class WorkflowEngine
{
    private TaskCompletionSource _published = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Sends an event to a run: delivered to the run's first wait of that name (<see cref="Workflow.WaitForEventAsync{T}(string, TimeSpan?)"/>),
    /// now or when it gets there; several events of one name queue in the order they were sent. A run suspended on such a
    /// wait is woken at once. The payload is written with the journal codec of <typeparamref name="T"/> (generated for
    /// the types the workflows journal).
    /// </summary>
    /// <param name="idempotencyKey">An event sent again with a key this run has seen is not delivered twice: the first one is returned.</param>
    /// <returns>The event as the journal holds it.</returns>
    /// <exception cref="EventDeliveryException">The tenant has no such run, or the run has ended.</exception>
    public Task<EventRecord> SendEventAsync<T>(Guid runId, string name, T payload, string? tenantId = null, string? idempotencyKey = null,
        CancellationToken cancellationToken = default) =>
        SendEventAsync(runId, name, payload, JsonCodecRegistry.Get<T>($"the payload of event '{name}'"), tenantId, idempotencyKey, cancellationToken);

    /// <summary><see cref="SendEventAsync{T}(Guid, string, T, string?, string?, CancellationToken)"/> with an explicit codec.</summary>
    public async Task<EventRecord> SendEventAsync<T>(Guid runId, string name, T payload, JsonCodec<T> codec, string? tenantId = null,
        string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(codec);
        EventNames.Validate(name, nameof(name));
        var tenant = tenantId ?? _options.DefaultTenantId;
        ValidateTenant(tenant);
        if (idempotencyKey is { Length: 0 or > 200 })
        {
            throw new ArgumentException($"Idempotency key '{idempotencyKey}' must be 1 to 200 characters.", nameof(idempotencyKey));
        }
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var now = Clock.GetUtcNow();
        string serializedPayload;
        try
        {
            serializedPayload = codec.Serialize(payload, _options.JournalLimits);
        }
        catch (Serialization.JournalWriteException e)
        {
            throw e.For($"the payload of event '{name}' for run {runId}");
        }
        var ev = new EventRecord
        {
            Id = Guid.CreateVersion7(now),
            RunId = runId,
            TenantId = tenant,
            Name = name,
            Payload = serializedPayload,
            IdempotencyKey = idempotencyKey,
            CreatedAt = now,
        };
        var result = await StoreRetry.RunAsync(() => _store.SendEventAsync(ev, cancellationToken), cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case SendEventOutcome.RunNotFound:
                throw new EventDeliveryException(runId, tenant, name, null);
            case SendEventOutcome.RunEnded:
                throw new EventDeliveryException(runId, tenant, name, result.RunStatus);
            case SendEventOutcome.Delivered:
                _scheduler.Signal(); // the run may be suspended on this event: claim it now, not at the next poll
                break;
        }
        return result.Event!;
    }

    /// <summary>
    /// The value a run published under <paramref name="key"/> (<see cref="Workflow.SetEventAsync{T}(string, T)"/>), the latest if
    /// it published several, waiting up to <paramref name="timeout"/> for the first.
    /// </summary>
    /// <exception cref="TimeoutException">Nothing was published under the key within the timeout.</exception>
    /// <exception cref="PublishedValueNotFoundException">The run ended without publishing under the key.</exception>
    /// <exception cref="WorkflowNotFoundException">The tenant has no such run.</exception>
    public Task<T> GetEventAsync<T>(Guid runId, string key, TimeSpan timeout, string? tenantId = null, CancellationToken cancellationToken = default) =>
        GetEventAsync(runId, key, timeout, JsonCodecRegistry.Get<T>($"the value published under '{key}'"), tenantId, cancellationToken);

    /// <summary><see cref="GetEventAsync{T}(Guid, string, TimeSpan, string?, CancellationToken)"/> with an explicit codec.</summary>
    public async Task<T> GetEventAsync<T>(Guid runId, string key, TimeSpan timeout, JsonCodec<T> codec, string? tenantId = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(codec);
        EventNames.Validate(key, nameof(key));
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout cannot be negative.");
        }
        var tenant = tenantId ?? _options.DefaultTenantId;
        ValidateTenant(tenant);
        await OpenStoreAsync(cancellationToken).ConfigureAwait(false);
        var until = timeout == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : Clock.GetUtcNow() + timeout;
        while (true)
        {
            var pulse = Volatile.Read(ref _published).Task;
            var steps = await StoreRetry.RunAsync(() => _store.GetStepsAsync(tenant, runId, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (steps.LastOrDefault(s => s.Kind == StepKind.Publish && s.Status == StepStatus.Succeeded && s.Name == key) is { } published)
            {
                return codec.Deserialize(published.Output ?? "null", _options.JournalLimits);
            }
            var run = await StoreRetry.RunAsync(() => _store.GetRunAsync(tenant, runId, cancellationToken), cancellationToken).ConfigureAwait(false)
                ?? throw new WorkflowNotFoundException($"No run {runId} in tenant '{tenant}'.");
            if (StatusTransitions.IsFinal(run.Status))
            {
                throw new PublishedValueNotFoundException(runId, key, run.Status);
            }
            var left = until - Clock.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Run {runId} published no value under '{key}' within {timeout}.");
            }
            // Woken by a publication here at once; one made by another process is seen at the next poll.
            var wait = left < _options.PollInterval ? left : _options.PollInterval;
            await Task.WhenAny(pulse, Task.Delay(wait, Clock, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>A run here published a value: wake the callers waiting for one.</summary>
    internal void Published()
    {
        Interlocked.Exchange(ref _published, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// Creates (or finds, on a replay) the child run <paramref name="childId"/> of <paramref name="parent"/>'s entry
    /// <paramref name="parentStep"/>: in the parent's tenant, recording its parent, executed here when a slot is free.
    /// </summary>
    internal async Task StartChildAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> definition, TInput input,
        Guid childId, RunRecord parent, int parentStep, TimeSpan? timeout, CancellationToken cancellationToken)
        where TWorkflow : class
    {
        // A child is executed by the definition registered under its name (one made WithFactory, say); the generated one
        // the workflow passes is the same workflow when its schema is, and registers itself when none is.
        if (!_definitions.TryGetValue(definition.Name, out var registered))
        {
            Register(definition);
        }
        else if (!ReferenceEquals(registered, definition) && registered.SchemaVersion != definition.SchemaVersion)
        {
            throw new ArgumentException(
                $"Workflow '{definition.Name}' is registered with this engine under schema {registered.SchemaVersion}, but the child was started with schema {definition.SchemaVersion}.",
                nameof(definition));
        }
        var now = Clock.GetUtcNow();
        var run = new RunRecord
        {
            Id = childId,
            TenantId = parent.TenantId,
            Workflow = definition.Name,
            SchemaVersion = definition.SchemaVersion,
            Status = RunStatus.Pending,
            ParentRunId = parent.Id,
            ParentStep = parentStep,
            Input = definition.InputCodec.Serialize(input, _options.JournalLimits),
            DeadlineAt = timeout is { } t ? now + t : null,
            CreatedAt = now,
            UpdatedAt = now,
            TraceParent = CurrentTraceParent() ?? parent.TraceParent,
        };
        await StoreRetry.RunAsync(async () => await CreateAndExecuteAsync(run, [], existing =>
        {
            if (existing.ParentRunId != parent.Id || existing.Workflow != definition.Name)
            {
                throw new JournalCorruptException(
                    $"Run {childId} should be the '{definition.Name}' child of run {parent.Id} (entry {parentStep}), but the journal holds a run of '{existing.Workflow}' with parent {existing.ParentRunId?.ToString() ?? "(none)"}.");
            }
        }, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels the unfinished children of <paramref name="parent"/> (and theirs), after the parent was cancelled.</summary>
    internal async Task CancelChildrenAsync(RunRecord parent, string reason, CancellationToken cancellationToken)
    {
        var children = await StoreRetry.RunAsync(() => _store.ListRunsAsync(new RunQuery
        {
            TenantId = parent.TenantId,
            ParentRunId = parent.Id,
            Statuses = [RunStatus.Pending, RunStatus.Running, RunStatus.Waiting, RunStatus.Parked],
            Limit = RunQuery.MaxLimit,
        }, cancellationToken), cancellationToken).ConfigureAwait(false);
        foreach (var child in children)
        {
            try
            {
                await CancelAsync(child.Id, child.TenantId, $"Its parent run {parent.Id} was cancelled: {reason}", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ReportBackgroundError(e); // the other children are still cancelled
            }
        }
    }

    /// <summary>Wakes the parent of <paramref name="child"/>, which ended without an execution's final commit (cancelled while not held).</summary>
    private async Task WakeParentAsync(RunRecord child, CancellationToken cancellationToken)
    {
        if (child.ParentRunId is not { } parent) return;
        var now = Clock.GetUtcNow();
        await StoreRetry.RunAsync(() => _store.CommitAsync([JournalWrite.WakeRun(parent, child.TenantId, now)], cancellationToken), cancellationToken).ConfigureAwait(false);
        _scheduler.Signal();
    }
}
