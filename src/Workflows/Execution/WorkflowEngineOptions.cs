namespace Workflows;

/// <summary>Settings of a <see cref="WorkflowEngine"/>.</summary>
public sealed class WorkflowEngineOptions
{
    /// <summary>Resolves the services that workflow constructors take. Optional when no workflow takes any.</summary>
    public IServiceProvider? Services { get; init; }

    /// <summary>
    /// When set, each run execution gets its own scope of services (a scope per execution, disposed when it ends), and the
    /// workflow's constructor dependencies come from it instead of <see cref="Services"/>.
    /// </summary>
    public IWorkflowServiceScopeFactory? ServiceScopes { get; init; }

    /// <summary>
    /// Whether <see cref="WorkflowEngine.DisposeAsync"/> also disposes the store, after the engine has released its runs
    /// (the hosting package sets it: the container's engine owns its store). Default false: the caller owns the store.
    /// </summary>
    public bool OwnsStore { get; init; }

    /// <summary>
    /// Where the engine logs (category <c>Workflows.Engine</c>; event ids in <c>Workflows.Diagnostics.EngineLog</c>): runs
    /// started, resumed, suspended, ended, parked; steps retried and failed; lost claims and store back-off. None: no logs.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The clock for timestamps, durable timers, leases and retry backoff; tests pass a fake one.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The tenant of runs started without one.</summary>
    public string DefaultTenantId { get; init; } = "default";

    /// <summary>
    /// The tenants whose runs this engine executes: it claims, resumes and recovers only their runs, and starts runs only
    /// in them. Null (the default) serves every tenant: an administrative choice, not implied by
    /// <see cref="DefaultTenantId"/>. Give a list to keep one engine (a worker pool, a region) to its tenants.
    /// </summary>
    public IReadOnlyList<string>? Tenants { get; init; }

    /// <summary>
    /// The queues this engine serves (<see cref="StartOptions.Queue"/>): it starts runs on them and claims their runs within
    /// their limits. Runs of a queue the engine does not declare are never claimed by it. None by default.
    /// </summary>
    public IReadOnlyList<WorkflowQueue> Queues { get; init; } = [];

    /// <summary>
    /// This engine's identity as the owner of the runs it claims: unique among the engines sharing a store. Null for
    /// <c>{machine}/{process id}/{random}</c>, unique per engine instance.
    /// </summary>
    public string? WorkerId { get; init; }

    /// <summary>How many runs this engine executes at once; more ready runs wait in the journal. Default 64.</summary>
    public int MaxConcurrentRuns { get; init; } = 64;

    /// <summary>
    /// How long a claim on a run lasts unless renewed (renewed every third of it while the run executes). When an engine
    /// dies, its runs are taken over by another engine this long after its last renewal. Default 30 s.
    /// </summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the scheduler looks at the store for work it was not told about (runs started by other processes, claims
    /// that lapsed, runs ended elsewhere that a handle here waits for). Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A durable sleep longer than this suspends the run (journaled as waiting, nothing in memory, woken by the scheduler);
    /// a shorter one waits in memory. Default 1 s.
    /// </summary>
    public TimeSpan SuspendThreshold { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The maximum nesting depth and size of every journal payload, held by every writer and reader alike (defaults:
    /// 256 levels, 4 MiB). A step whose result goes over them fails when it is first written, naming itself.
    /// </summary>
    public Serialization.JournalLimits JournalLimits { get; init; } = Serialization.JournalLimits.Default;

    /// <summary>
    /// How many times one step's attempts may be cut short by a crash or a stop before the run is parked
    /// (<see cref="Journal.ErrorKind.Interrupted"/>) instead of being resumed again: a body that kills its process would
    /// otherwise take it down at every start. Default 10; interrupted attempts never count against MaxAttempts.
    /// </summary>
    public int MaxInterruptedAttempts { get; init; } = 10;

    /// <summary>
    /// How the marker that a step's attempt began (its <c>Running</c> record, which keeps attempt counts across crashes) is
    /// committed. <see cref="Storage.CommitDurability.Buffered"/> (the default) makes one fsync'd commit per step, its outcome:
    /// the marker survives the process being killed, and a power loss can lose it only together with the step's outcome,
    /// which then runs again as it would have anyway, with one attempt fewer counted. <see cref="Storage.CommitDurability.Flushed"/>
    /// fsyncs the marker too (two durable commits per step) when every attempt must be counted across power losses.
    /// </summary>
    public Storage.CommitDurability StepStartDurability { get; init; } = Storage.CommitDurability.Buffered;

    /// <summary>
    /// How long a step's outcome may wait in memory to be committed together with the run's next journal write: the next
    /// step's start marker, a wait, a published event, the run's end. A run whose steps follow one another then makes one
    /// fsync'd commit per step (the outcome of one and the start of the next), and its last step's outcome commits with its
    /// end. Whatever comes first, the window's end or the next write, commits it; a child run is never started, and the
    /// run never ends or waits, before it is committed. A crash before then runs the step again, as a crash during its
    /// body would: a step is recorded when its outcome commits, never earlier. Default 5 ms;
    /// <see cref="TimeSpan.Zero"/> commits each outcome on its own before the step returns.
    /// </summary>
    public TimeSpan StepOutcomeWindow { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How many journal entries that ended for good a resume must read beyond the run's snapshot before it stores a new
    /// one: the entries from the first, as the replay reads them, so that the next resume reads one row and the entries
    /// after it instead of the whole journal. A snapshot is a cache: one that does not fit the journal is ignored. Default
    /// 1000; 0 never stores one (resumes still use those stored).
    /// </summary>
    public int SnapshotAfterSteps { get; init; } = 1000;

    /// <summary>
    /// What the engine does with a run recorded under another schema version of its workflow (its steps' or run's types,
    /// names or signatures changed since). <see cref="SchemaChangePolicy.Exact"/> (the default) parks it until someone
    /// resumes it with <c>acceptSchemaChange: true</c>; <see cref="SchemaChangePolicy.AcceptCompatible"/> resumes it when
    /// every change is one the journal can still be read under (an added optional member, a removed member, an added
    /// enum member or step: see README, "Changing a workflow") and parks it, naming the changes that are not, otherwise.
    /// </summary>
    public SchemaChangePolicy SchemaChanges { get; init; } = SchemaChangePolicy.Exact;

    /// <summary>
    /// Called after each durable commit of a run's journal with every record it wrote (see <see cref="JournalCommitted"/>):
    /// step starts, successes, failures, scheduled retries, durable values and sleeps, and run status changes. On the
    /// flow that committed (a step's outcome, held for the run's next write by <see cref="StepOutcomeWindow"/>, is observed
    /// with that write: the next step's start, before its body runs; with a zero window, before the result is handed back
    /// to the workflow). For logging,
    /// metrics and tests that stop a process at a precise point; an exception it throws is reported to
    /// <see cref="OnBackgroundError"/> and does not affect the run.
    /// </summary>
    public Action<JournalCommitted>? OnJournalCommitted { get; init; }

    /// <summary>
    /// Called when the engine's background work meets an error it handles itself: an unavailable store (retried), or a run
    /// whose claim was lost to another engine (<see cref="Storage.RunOwnershipLostException"/>, naming both owners: this
    /// engine stopped executing it and wrote nothing more). For logging; it must not throw.
    /// </summary>
    public Action<Exception>? OnBackgroundError { get; init; }

    /// <summary>
    /// Faults to inject at the engine's points (before and after a step's outcome commits, around a run's end, in a claim
    /// renewal): a test switch (<see cref="Testing.WorkflowFaults"/>), null in production.
    /// </summary>
    public Testing.WorkflowFaults? Faults { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(JournalLimits);
        JournalLimits.Validate();
        WorkflowEngine.ValidateTenant(DefaultTenantId);
        if (Tenants is { } tenants)
        {
            if (tenants.Count == 0)
            {
                throw new ArgumentException("WorkflowEngineOptions.Tenants is empty: an engine must serve at least one tenant (null serves every tenant).", nameof(Tenants));
            }
            foreach (var tenant in tenants) WorkflowEngine.ValidateTenant(tenant);
        }
        if (WorkerId is { } worker && (string.IsNullOrWhiteSpace(worker) || worker.Length > 200 || worker.Any(char.IsControl)))
        {
            throw new ArgumentException($"WorkflowEngineOptions.WorkerId '{worker}' must be 1 to 200 characters with no control characters.", nameof(WorkerId));
        }
        if (MaxConcurrentRuns is < 1 or > 100_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRuns), MaxConcurrentRuns, "WorkflowEngineOptions.MaxConcurrentRuns must be 1 to 100000.");
        }
        if (LeaseDuration < TimeSpan.FromMilliseconds(100) || LeaseDuration > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "WorkflowEngineOptions.LeaseDuration must be 100 ms to 1 day.");
        }
        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "WorkflowEngineOptions.PollInterval must be 10 ms to 1 hour.");
        }
        if (StepStartDurability is not (Storage.CommitDurability.Flushed or Storage.CommitDurability.Buffered))
        {
            throw new ArgumentOutOfRangeException(nameof(StepStartDurability), StepStartDurability, "WorkflowEngineOptions.StepStartDurability must be Flushed or Buffered.");
        }
        if (StepOutcomeWindow < TimeSpan.Zero || StepOutcomeWindow > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(StepOutcomeWindow), StepOutcomeWindow, "WorkflowEngineOptions.StepOutcomeWindow must be 0 to 1 second.");
        }
        if (SnapshotAfterSteps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SnapshotAfterSteps), SnapshotAfterSteps, "WorkflowEngineOptions.SnapshotAfterSteps cannot be negative.");
        }
        if (MaxInterruptedAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInterruptedAttempts), MaxInterruptedAttempts, "WorkflowEngineOptions.MaxInterruptedAttempts must be at least 1.");
        }
        if (SuspendThreshold < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SuspendThreshold), SuspendThreshold, "WorkflowEngineOptions.SuspendThreshold cannot be negative.");
        }
        ArgumentNullException.ThrowIfNull(Queues);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var queue in Queues)
        {
            ArgumentNullException.ThrowIfNull(queue, nameof(Queues));
            queue.Validate();
            if (!names.Add(queue.Name))
            {
                throw new ArgumentException($"Queue '{queue.Name}' is declared twice in WorkflowEngineOptions.Queues.", nameof(Queues));
            }
        }
    }
}

/// <summary>How to start one run.</summary>
public sealed class StartOptions
{
    /// <summary>The run's id; a new UUIDv7 when null.</summary>
    public Guid? RunId { get; init; }

    /// <summary>The run's tenant; the engine's default when null.</summary>
    public string? TenantId { get; init; }

    /// <summary>
    /// A second start with the same key (same tenant and workflow) and the same input returns the first run instead of a
    /// new one; with a different input it is an <see cref="IdempotencyConflictException"/> unless
    /// <see cref="IdempotencyConflict"/> says to return the existing run.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>What a reused idempotency key with a different input does.</summary>
    public IdempotencyConflictBehavior IdempotencyConflict { get; init; } = IdempotencyConflictBehavior.Throw;

    /// <summary>The run's deadline, from its creation: past it, the run is cancelled with a <c>Timeout</c> error. Null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The queue to start the run on, one of the engine's <see cref="WorkflowEngineOptions.Queues"/>; null for none. A queued
    /// run waits <see cref="Journal.RunStatus.Pending"/> until an engine that serves the queue has room for it under the
    /// queue's limits, and runs in <see cref="Priority"/> then creation order.
    /// </summary>
    public string? Queue { get; init; }

    /// <summary>A queued run's priority: lower values start first; 0 by default.</summary>
    public int Priority { get; init; }
}

/// <summary>
/// A named queue: at most <see cref="Concurrency"/> of its runs execute at once across every engine that serves it, and at
/// most <see cref="WorkerConcurrency"/> in one engine. Every engine that serves a queue should declare the same
/// <see cref="Concurrency"/>: each applies its own when it claims.
/// </summary>
public sealed class WorkflowQueue
{
    /// <param name="name">1 to 100 characters, no control characters.</param>
    /// <param name="concurrency">At least 1.</param>
    public WorkflowQueue(string name, int concurrency)
    {
        Name = name;
        Concurrency = concurrency;
    }

    /// <summary>The queue's name (<see cref="StartOptions.Queue"/>).</summary>
    public string Name { get; }

    /// <summary>The most of the queue's runs executing at once, across all engines.</summary>
    public int Concurrency { get; }

    /// <summary>The most executing in this engine; null for no limit but <see cref="Concurrency"/>; 0 to enqueue without executing.</summary>
    public int? WorkerConcurrency { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 100 || Name.Any(char.IsControl))
        {
            throw new ArgumentException($"Queue name '{Name}' must be 1 to 100 characters with no control characters.", nameof(WorkflowEngineOptions.Queues));
        }
        if (Concurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(WorkflowEngineOptions.Queues), Concurrency, $"Queue '{Name}': Concurrency must be at least 1.");
        }
        if (WorkerConcurrency < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WorkflowEngineOptions.Queues), WorkerConcurrency, $"Queue '{Name}': WorkerConcurrency cannot be negative.");
        }
    }
}

/// <summary>How an engine treats a run recorded under another schema version (<see cref="WorkflowEngineOptions.SchemaChanges"/>).</summary>
public enum SchemaChangePolicy
{
    /// <summary>Resume a run only under the schema it was recorded with; any change parks it.</summary>
    Exact,

    /// <summary>
    /// Resume a run under a changed schema when every change is compatible by the reading rules (checked against the
    /// shape the journal kept for the run's version); the run's recorded version becomes the code's once it has replayed
    /// past its recorded steps.
    /// </summary>
    AcceptCompatible,
}

/// <summary>What a start does when its idempotency key names a run with another input.</summary>
public enum IdempotencyConflictBehavior
{
    /// <summary>Throw <see cref="IdempotencyConflictException"/>.</summary>
    Throw,
    /// <summary>Return the existing run, whatever its input.</summary>
    ReturnExisting,
}
