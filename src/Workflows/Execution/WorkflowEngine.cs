using System.Collections.Concurrent;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// Runs registered workflows against one store. A run is a journal record, not a task: the engine executes a run only
/// while it holds the run's claim, suspends it when it waits, and its scheduler claims ready runs (new, woken, recovered
/// from an engine that died) and executes them by replay. Several engines, in one process or many, may share a store.
/// </summary>
/// <remarks>
/// Split by role: this file holds registration, starts and the execution bookkeeping; <c>WorkflowEngine.Control.cs</c>
/// resumes, cancels, forks and queries runs. The scheduler is <see cref="RunScheduler"/>, one execution <see cref="RunExecution"/>.
/// </remarks>
public sealed partial class WorkflowEngine : IAsyncDisposable, IDisposable
{
    private readonly IWorkflowStore _store;
    private readonly WorkflowEngineOptions _options;
    private readonly ConcurrentDictionary<string, WorkflowDefinition> _definitions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, RunExecution> _executions = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly SemaphoreSlim _initializeGate = new(1, 1);
    private readonly RunScheduler _scheduler;
    private volatile string[] _workflowNames = [];
    private int _freeSlots;
    private volatile bool _initialized;
    private int _schedulerStarted;
    private int _disposed;

    public WorkflowEngine(IWorkflowStore store, WorkflowEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _options = options ?? new WorkflowEngineOptions();
        _store = _options.Faults is { } faults ? new Testing.FaultInjectingStore(store, faults) : store;
        _options.Validate();
        WorkerId = _options.WorkerId ?? $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
        ServedTenants = _options.Tenants is { } tenants ? tenants.ToHashSet(StringComparer.Ordinal) : null;
        QueueLimits = [.. _options.Queues.OrderBy(q => q.Name, StringComparer.Ordinal).Select(q => new QueueLimit(q.Name, q.Concurrency, q.WorkerConcurrency))];
        _freeSlots = _options.MaxConcurrentRuns;
        _scheduler = new RunScheduler(this);
        Logger = _options.LoggerFactory?.CreateLogger("Workflows.Engine") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        Diagnostics.WorkflowsTelemetry.Track(this);
    }

    internal Microsoft.Extensions.Logging.ILogger Logger { get; }

    /// <summary>The W3C trace context of the caller, journaled with a run it starts so that every execution continues its trace.</summary>
    internal static string? CurrentTraceParent() =>
        System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } current ? current.Id : null;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    // Runs this engine suspended that have not executed here since (the "runs waiting" gauge).
    private readonly ConcurrentDictionary<Guid, byte> _suspendedHere = new();

    internal long RunsSuspendedHere => _suspendedHere.Count;

    /// <summary>The store this engine journals to.</summary>
    public IWorkflowStore Store => _store;

    /// <summary>This engine's identity as the owner of the runs it claims.</summary>
    public string WorkerId { get; }

    /// <summary>The tenant of every call that names none (<see cref="WorkflowEngineOptions.DefaultTenantId"/>).</summary>
    public string DefaultTenantId => _options.DefaultTenantId;

    /// <summary>The tenants this engine executes runs of (<see cref="WorkflowEngineOptions.Tenants"/>); null for every tenant.</summary>
    public IReadOnlySet<string>? ServedTenants { get; }

    /// <summary>The queues this engine serves, with their limits, in name order (the order claims lock them in).</summary>
    internal IReadOnlyList<QueueLimit> QueueLimits { get; }

    /// <summary>Whether this engine executes runs of <paramref name="tenantId"/>.</summary>
    internal bool Serves(string tenantId) => ServedTenants is not { } served || served.Contains(tenantId);

    /// <summary>The registered workflows.</summary>
    public IReadOnlyCollection<WorkflowDefinition> Definitions => (IReadOnlyCollection<WorkflowDefinition>)_definitions.Values;

    /// <summary>How many runs this engine is executing now. A suspended run is not among them: nothing of it is in memory.</summary>
    public int RunsInMemory => _executions.Count;

    internal WorkflowEngineOptions Options => _options;
    internal TimeProvider Clock => _options.Clock;
    internal RunWaiters Waiters { get; } = new();
    internal CancellationToken StoppingToken => _stopping.Token;
    internal CancellationToken AbortToken => _abort.Token;
    internal IReadOnlyCollection<string> WorkflowNames => _workflowNames;
    internal int FreeSlots => Volatile.Read(ref _freeSlots);

    /// <summary>
    /// Makes a workflow known: this engine executes its runs (the scheduler claims them) and types their handles. The
    /// registered definition is the one that runs, for starts and resumes alike. Returns this engine.
    /// </summary>
    /// <exception cref="ArgumentException">Another definition is registered under the same name.</exception>
    public WorkflowEngine Register(WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var existing = _definitions.GetOrAdd(definition.Name, definition);
        if (!ReferenceEquals(existing, definition))
        {
            throw new ArgumentException(
                $"Another definition of workflow '{definition.Name}' is already registered with this engine (schema {existing.SchemaVersion}); " +
                "register each workflow once, and start runs with the registered definition.", nameof(definition));
        }
        _workflowNames = [.. _definitions.Keys];
        _scheduler.Signal();
        return this;
    }

    /// <summary>Opens the store and starts the scheduler, which resumes unfinished runs. Every other call does this first.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await OpenStoreAsync(cancellationToken).ConfigureAwait(false);
        StartScheduler();
    }

    private async Task OpenStoreAsync(CancellationToken cancellationToken)
    {
        if (_initialized) return;
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _initializeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _initializeGate.Release();
        }
    }

    private IDisposable? _readySubscription;
    private IDisposable? _endedSubscription;

    private void StartScheduler()
    {
        if (Interlocked.Exchange(ref _schedulerStarted, 1) == 0)
        {
            _scheduler.Start(_stopping.Token);
            // Runs made ready by other processes (created, woken, released) are claimed when the store says so, not at the next poll.
            _readySubscription = (_store as IReadyRunNotifications)?.SubscribeReady(_scheduler.Signal);
            // Runs ended by other processes complete the handles waiting here when the store says so, not at their next poll.
            var stopping = _stopping.Token;
            _endedSubscription = (_store as IRunEndNotifications)?.SubscribeEnded(runId => _scheduler.RunEndedElsewhere(runId, stopping));
        }
    }

    /// <summary>
    /// Starts a run, or returns the existing one when the options' run id or idempotency key is already recorded. The run
    /// executes in the background (here when a slot is free, else as soon as the scheduler claims it); await
    /// <see cref="WorkflowRun{TOutput}.GetResultAsync"/> for its result.
    /// </summary>
    /// <param name="definition">The workflow; registered with this engine if it is not yet.</param>
    /// <exception cref="ArgumentException">Another definition of the workflow is registered, or the options are not valid.</exception>
    /// <exception cref="IdempotencyConflictException">The idempotency key was used with a different input.</exception>
    public async Task<WorkflowRun<TOutput>> StartAsync<TWorkflow, TInput, TOutput>(
        WorkflowDefinition<TWorkflow, TInput, TOutput> definition,
        TInput input,
        StartOptions? options = null,
        CancellationToken cancellationToken = default)
        where TWorkflow : class
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (!_definitions.TryGetValue(definition.Name, out var registered))
        {
            Register(definition);
        }
        else if (!ReferenceEquals(registered, definition))
        {
            throw new ArgumentException(
                $"Workflow '{definition.Name}' is registered with this engine as another definition; start it with the registered one, so that starts and resumes run the same code.",
                nameof(definition));
        }
        await InitializeAsync(cancellationToken).ConfigureAwait(false);

        var tenant = options?.TenantId ?? _options.DefaultTenantId;
        ValidateTenant(tenant);
        if (!Serves(tenant))
        {
            // It would run here until it suspends, and then no engine of this configuration would ever resume it.
            throw new ArgumentException(
                $"This engine serves tenants {string.Join(", ", ServedTenants!.Order(StringComparer.Ordinal).Select(t => $"'{t}'"))} (WorkflowEngineOptions.Tenants), not '{tenant}': start the run on an engine that serves it.",
                nameof(options));
        }
        if (options?.IdempotencyKey is { } key && (key.Length == 0 || key.Length > 200))
        {
            throw new ArgumentException($"Idempotency key '{key}' must be 1 to 200 characters.", nameof(options));
        }
        if (options?.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "StartOptions.Timeout must be positive.");
        }
        if (options?.Queue is { } queue && !_options.Queues.Any(q => q.Name == queue))
        {
            throw new ArgumentException(
                $"Queue '{queue}' is not one of this engine's queues ({(_options.Queues.Count == 0 ? "it declares none" : string.Join(", ", _options.Queues.Select(q => $"'{q.Name}'")))}): declare it in WorkflowEngineOptions.Queues.",
                nameof(options));
        }

        var now = Clock.GetUtcNow();
        string serializedInput;
        try
        {
            serializedInput = definition.InputCodec.Serialize(input, _options.JournalLimits);
        }
        catch (Serialization.JournalWriteException e)
        {
            throw e.For($"the input of a run of '{definition.Name}'");
        }
        var run = new RunRecord
        {
            Id = options?.RunId ?? Guid.CreateVersion7(now),
            TenantId = tenant,
            Workflow = definition.Name,
            SchemaVersion = definition.SchemaVersion,
            Status = RunStatus.Pending,
            Input = serializedInput,
            IdempotencyKey = options?.IdempotencyKey,
            DeadlineAt = options?.Timeout is { } t ? now + t : null,
            CreatedAt = now,
            UpdatedAt = now,
            TraceParent = CurrentTraceParent(),
            Queue = options?.Queue,
            Priority = options?.Queue is null ? 0 : options.Priority,
        };
        var handle = await CreateAndExecuteAsync(run, [], existing =>
        {
            if (existing.Workflow != definition.Name)
            {
                throw new ArgumentException($"Run {existing.Id} already exists for workflow '{existing.Workflow}', not '{definition.Name}'.", nameof(options));
            }
            if (run.IdempotencyKey is { } reused && existing.Id != run.Id && existing.Input != run.Input
                && options!.IdempotencyConflict == IdempotencyConflictBehavior.Throw)
            {
                throw new IdempotencyConflictException(reused, definition.Name, tenant, existing.Id);
            }
        }, cancellationToken).ConfigureAwait(false);
        return (WorkflowRun<TOutput>)handle;
    }

    /// <summary>Starts a run and waits for its result.</summary>
    public async Task<TOutput> RunAsync<TWorkflow, TInput, TOutput>(
        WorkflowDefinition<TWorkflow, TInput, TOutput> definition,
        TInput input,
        StartOptions? options = null,
        CancellationToken cancellationToken = default)
        where TWorkflow : class
    {
        var run = await StartAsync(definition, input, options, cancellationToken).ConfigureAwait(false);
        return await run.GetResultAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a run (with a fork's copied steps), claimed by this engine when a slot is free so that it starts at once, and
    /// executes it; otherwise it waits Pending for the scheduler. An existing run (same id or key) is returned, and resumed here
    /// if it is ready.
    /// </summary>
    private async Task<WorkflowRun> CreateAndExecuteAsync(RunRecord run, IReadOnlyList<StepRecord> steps, Action<RunRecord>? checkExisting,
        CancellationToken cancellationToken)
    {
        var definition = _definitions[run.Workflow];
        await KeepSchemaAsync(definition, cancellationToken).ConfigureAwait(false);
        // A queued run is never created claimed: the scheduler claims it when the queue has room.
        var slot = run.Queue is null && ReserveSlots(1) == 1;
        var now = Clock.GetUtcNow();
        var toCreate = slot ? RunReadiness.Claimed(run, WorkerId, now, now + _options.LeaseDuration) : run;
        CreateRunResult result;
        try
        {
            result = await _store.CreateRunAsync(toCreate, steps, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (slot) ReleaseSlots(1);
            throw;
        }
        if (!result.Created)
        {
            if (slot) ReleaseSlots(1);
            checkExisting?.Invoke(result.Run);
            return await ResumeExistingAsync(result.Run, cancellationToken).ConfigureAwait(false);
        }
        Committed(result.Run, [JournalWrite.Update(result.Run), .. steps.Select(JournalWrite.Insert)]);
        Diagnostics.WorkflowsTelemetry.RunsStarted.Add(1, new KeyValuePair<string, object?>("workflows.workflow", run.Workflow));
        var handle = definition.CreateHandle(this, result.Run, created: true);
        if (slot)
        {
            StartExecution(definition, result.Run, created: steps.Count == 0);
        }
        else
        {
            _scheduler.Signal();
        }
        return handle;
    }

    /// <summary>
    /// <see cref="DisposeAsync"/>, waited for: for containers and callers that dispose synchronously (a
    /// <c>ServiceProvider</c> disposed with <c>Dispose()</c>). Prefer <see cref="DisposeAsync"/>.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Stops claiming runs, cancels the runs in flight cooperatively (their journals stay as they are, their claims are released), and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        var settled = Task.WhenAll(_executions.Values.Select(e => e.Task));
        // Releasing claims needs the store; give it a grace period, then stop retrying (the claims then lapse by themselves).
        if (await Task.WhenAny(settled, Task.Delay(_options.LeaseDuration)).ConfigureAwait(false) != settled)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
        }
        // A step body that ignores its cancellation token cannot be stopped: after a second grace period the engine stops
        // waiting for it (its run keeps its journal; its claim lapses, since nothing renews it any more).
        await Task.WhenAny(settled, Task.Delay(_options.LeaseDuration)).ConfigureAwait(false);
        if (settled.IsCompleted)
        {
            try
            {
                await settled.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Each execution's outcome is its handles' concern; stopping only waits for them to settle.
            }
        }
        _readySubscription?.Dispose();
        _endedSubscription?.Dispose();
        await _scheduler.StopAsync().ConfigureAwait(false);
        Waiters.Stop();
        await _abort.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _abort.Dispose();
        _initializeGate.Dispose();
        if (_options.OwnsStore)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
    }

    // ---- execution bookkeeping ----------------------------------------------------------------------------

    /// <summary>Takes up to <paramref name="count"/> execution slots; returns how many it took.</summary>
    internal int ReserveSlots(int count)
    {
        while (true)
        {
            var free = Volatile.Read(ref _freeSlots);
            var take = Math.Min(free, count);
            if (take <= 0) return 0;
            if (Interlocked.CompareExchange(ref _freeSlots, free - take, free) == free) return take;
        }
    }

    internal void ReleaseSlots(int count)
    {
        if (count > 0) Interlocked.Add(ref _freeSlots, count);
    }

    /// <summary>Executes a run the scheduler claimed into a reserved slot.</summary>
    internal void Execute(RunRecord claimed)
    {
        if (!_definitions.TryGetValue(claimed.Workflow, out var definition))
        {
            ReleaseSlots(1);
            return;
        }
        StartExecution(definition, claimed);
    }

    private void StartExecution(WorkflowDefinition definition, RunRecord claimed, bool created = false)
    {
        var execution = new RunExecution(this, definition, claimed, created);
        _suspendedHere.TryRemove(claimed.Id, out _);
        while (!_executions.TryAdd(claimed.Id, execution))
        {
            if (!_executions.TryGetValue(claimed.Id, out var current))
            {
                continue; // it left memory meanwhile
            }
            ReleaseSlots(1); // one execution per run
            if (current.Released)
            {
                // The execution is finishing after a commit that released the run (it suspended, and an event woke it before
                // the execution left memory), or that commit's reply was lost and its retry is under way. The claim took the
                // run's wake-up request: hand the run back with it, so that it is claimed again (here once the execution has
                // left memory, or by another engine) instead of being left without a wake-up.
                _ = HandBackAsync(claimed);
            }
            // Otherwise it is the execution's own claim, lapsed and taken again (a stall): it goes on under the new lease.
            return;
        }
        execution.Start();
    }

    /// <summary>
    /// Gives back a claim taken of a run that is still executing here, with a wake-up request in place of the one the claim
    /// cleared. Not fenced: the release is a no-op if the run was claimed meanwhile, and the wake-up is what a finishing
    /// execution's commit may have overwritten (a retried suspension), so it is sent whoever holds the run.
    /// </summary>
    private async Task HandBackAsync(RunRecord claimed)
    {
        try
        {
            var now = Clock.GetUtcNow();
            await StoreRetry.RunAsync(() => _store.CommitAsync(
                [JournalWrite.WakeRun(claimed.Id, claimed.TenantId, now), JournalWrite.ReleaseClaim(claimed.Id, claimed.TenantId, WorkerId)],
                AbortToken), AbortToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (AbortToken.IsCancellationRequested)
        {
            // stopping: the claim lapses at its lease, and the run is claimed again then
        }
        catch (Exception e)
        {
            ReportBackgroundError(e); // the claim lapses at its lease: the run is delayed, not lost
        }
        _scheduler.Signal();
    }

    /// <summary>How many snapshots this engine's resumes have stored (ReplaySnapshots): lets tests count them.</summary>
    internal int SnapshotsTaken;

    internal void ExecutionEnded(RunExecution execution)
    {
        if (_executions.TryRemove(new KeyValuePair<Guid, RunExecution>(execution.RunId, execution)))
        {
            ReleaseSlots(1);
            _scheduler.SlotFreed(queued: execution.Queue is not null);
        }
    }

    internal void RunSuspended(Guid? runId = null)
    {
        if (runId is { } id) _suspendedHere[id] = 0;
        _scheduler.Signal();
    }

    internal bool IsExecuting(Guid runId) => _executions.ContainsKey(runId);

    internal bool IsExecuting(RunExecution execution) =>
        _executions.TryGetValue(execution.RunId, out var current) && ReferenceEquals(current, execution);

    internal IReadOnlyCollection<RunExecution> Executions() => [.. _executions.Values];

    private readonly ConcurrentDictionary<WorkflowDefinition, bool> _schemasKept = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Keeps the definition's schema shape in the journal (once per engine and definition) before a run is recorded under
    /// it, so that a later build that finds the run under another version can say what changed.
    /// </summary>
    private async ValueTask KeepSchemaAsync(WorkflowDefinition definition, CancellationToken cancellationToken)
    {
        if (definition.SchemaShape is not { } shape || _schemasKept.ContainsKey(definition)) return;
        await _store.SaveSchemaAsync(new SchemaRecord(definition.Name, definition.SchemaVersion, shape, Clock.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        _schemasKept.TryAdd(definition, true);
    }

    /// <summary>What changed between the schema a run was recorded under and the code's, as precisely as the journal allows.</summary>
    /// <summary>Runs resumed here with <c>acceptSchemaChange: true</c>, and the code's schema version they were accepted for.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> _schemaAcceptances = new();

    /// <summary>Whether a resume here accepted <paramref name="runId"/>'s schema change to <paramref name="version"/>; the acceptance is used up.</summary>
    internal bool TakeSchemaAcceptance(Guid runId, string version) =>
        _schemaAcceptances.TryRemove(new KeyValuePair<Guid, string>(runId, version));

    internal async Task<SchemaChange> CheckSchemaChangeAsync(WorkflowDefinition definition, RunRecord run, IReadOnlyList<StepRecord> steps, CancellationToken cancellationToken)
    {
        var removed = RemovedSteps(definition, steps);
        string? shapes = null;
        IReadOnlyList<string>? incompatible = null;
        if (definition.SchemaShape is { } current)
        {
            try
            {
                if (await _store.GetSchemaAsync(run.Workflow, run.SchemaVersion, cancellationToken).ConfigureAwait(false) is { } recorded)
                {
                    shapes = SchemaShapes.Describe(recorded.Shape, current);
                    var recordedSteps = steps.Where(s => s.Kind == StepKind.Step).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
                    incompatible = SchemaShapes.IncompatibleChanges(recorded.Shape, current, recordedSteps);
                }
            }
            catch (StoreUnavailableException)
            {
                // the message is the lesser loss: the run is parked either way
            }
        }
        var description = (removed, shapes) switch
        {
            (not null, not null) => $"{removed}; {shapes}",
            (not null, null) => removed,
            (null, not null) => shapes,
            _ => "a step's name or signature, or the shape of a step's or the run's types (their members, types, nullability, enum members), changed",
        };
        return new SchemaChange(description, incompatible ?? ["the shape the run was recorded under is not in the journal, so the change cannot be checked"]);
    }

    /// <summary>Tells the observer what a durable commit of <paramref name="run"/>'s journal wrote.</summary>
    internal void Committed(RunRecord run, IReadOnlyList<JournalWrite> writes)
    {
        if (_options.OnJournalCommitted is not { } observer || JournalCommitted.Of(run, writes) is not { } committed) return;
        try
        {
            observer(committed);
        }
        catch (Exception e)
        {
            ReportBackgroundError(e); // an observer must not change what happens to the run
        }
    }

    internal void ReportBackgroundError(Exception error)
    {
        switch (error)
        {
            case StoreUnavailableException:
                Diagnostics.EngineLog.StoreUnavailable(Logger, error.Message);
                break;
            case RunOwnershipLostException lost:
                Diagnostics.EngineLog.ClaimLost(Logger, lost.RunId, lost.ExpectedOwner, lost.CurrentOwner);
                Diagnostics.WorkflowsTelemetry.ClaimsLost.Add(1);
                break;
            default:
                Diagnostics.EngineLog.BackgroundError(Logger, error, error.Message);
                break;
        }
        try
        {
            _options.OnBackgroundError?.Invoke(error);
        }
        catch (Exception)
        {
            // a diagnostics callback must not stop the engine
        }
    }

    /// <summary>The recorded steps the code no longer has, or null when it has them all.</summary>
    private static string? RemovedSteps(WorkflowDefinition definition, IReadOnlyList<StepRecord> steps)
    {
        var known = definition.Steps.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var missing = steps.Where(s => s.Kind == StepKind.Step).Select(s => s.Name).Where(n => !known.Contains(n)).Distinct().ToList();
        return missing.Count > 0
            ? $"recorded steps no longer in the code: {string.Join(", ", missing.Select(n => $"'{n}'"))}; the code's steps: {string.Join(", ", known.Order(StringComparer.Ordinal).Select(n => $"'{n}'"))}"
            : null;
    }

    /// <summary>Tenant ids name a journal partition: 1 to 100 characters, no control characters.</summary>
    internal static void ValidateTenant(string tenantId)
    {
        if (string.IsNullOrWhiteSpace(tenantId) || tenantId.Length > 100 || tenantId.Any(char.IsControl))
        {
            throw new ArgumentException($"Tenant id '{tenantId}' is not valid: it must be 1 to 100 characters with no control characters.", nameof(tenantId));
        }
    }
}
