using System.Collections.Concurrent;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// Starts, resumes and awaits runs of registered workflows against one store. Workflows are registered with
/// their generated <c>Definition</c>, so nothing is reflected at run time.
/// </summary>
public sealed class WorkflowEngine : IAsyncDisposable
{
    private readonly IWorkflowStore _store;
    private readonly WorkflowEngineOptions _options;
    private readonly ConcurrentDictionary<string, WorkflowDefinition> _definitions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, WorkflowRun> _active = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _initializeGate = new(1, 1);
    private volatile bool _initialized;

    public WorkflowEngine(IWorkflowStore store, WorkflowEngineOptions? options = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new WorkflowEngineOptions();
        ValidateTenant(_options.DefaultTenantId);
    }

    /// <summary>The store this engine journals to.</summary>
    public IWorkflowStore Store => _store;

    /// <summary>The registered workflows.</summary>
    public IReadOnlyCollection<WorkflowDefinition> Definitions => (IReadOnlyCollection<WorkflowDefinition>)_definitions.Values;

    /// <summary>Makes a workflow known, so that its unfinished runs can be resumed. Returns this engine.</summary>
    /// <exception cref="ArgumentException">Another workflow is registered under the same name.</exception>
    public WorkflowEngine Register(WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var existing = _definitions.GetOrAdd(definition.Name, definition);
        if (!ReferenceEquals(existing, definition) && existing.SchemaVersion != definition.SchemaVersion)
        {
            throw new ArgumentException($"A different workflow is already registered as '{definition.Name}'.", nameof(definition));
        }
        return this;
    }

    /// <summary>
    /// Starts a run, or returns the existing one when the options' run id or idempotency key is already recorded.
    /// The run executes in the background; await <see cref="WorkflowRun{TOutput}.GetResultAsync"/> for its result.
    /// </summary>
    public async Task<WorkflowRun<TOutput>> StartAsync<TWorkflow, TInput, TOutput>(
        WorkflowDefinition<TWorkflow, TInput, TOutput> definition,
        TInput input,
        StartOptions? options = null,
        CancellationToken cancellationToken = default)
        where TWorkflow : class
    {
        ArgumentNullException.ThrowIfNull(definition);
        Register(definition);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);

        var tenant = options?.TenantId ?? _options.DefaultTenantId;
        ValidateTenant(tenant);
        if (options?.IdempotencyKey is { } key && (key.Length == 0 || key.Length > 200))
        {
            throw new ArgumentException($"Idempotency key '{key}' must be 1 to 200 characters.", nameof(options));
        }

        var now = _options.Clock.GetUtcNow();
        var run = new RunRecord
        {
            Id = options?.RunId ?? Guid.CreateVersion7(now),
            TenantId = tenant,
            Workflow = definition.Name,
            SchemaVersion = definition.SchemaVersion,
            Status = RunStatus.Pending,
            Input = definition.InputCodec.Serialize(input),
            IdempotencyKey = options?.IdempotencyKey,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var result = await _store.CreateRunAsync(run, cancellationToken).ConfigureAwait(false);
        if (!result.Created && result.Run.Workflow != definition.Name)
        {
            throw new ArgumentException(
                $"Run {result.Run.Id} already exists for workflow '{result.Run.Workflow}', not '{definition.Name}'.", nameof(options));
        }
        var handle = Track(definition, result.Run, result.Created, acceptSchemaChange: false);
        return Typed(definition, handle);
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
    /// Resumes every unfinished run of the registered workflows, in every tenant: recorded steps are replayed and
    /// the first unrecorded step runs for real. Runs of workflows this engine does not know are left alone.
    /// </summary>
    public async Task<IReadOnlyList<WorkflowRun>> ResumeUnfinishedAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var runs = await _store.ListRunsAsync(RunQuery.Unfinished(), cancellationToken).ConfigureAwait(false);
        var resumed = new List<WorkflowRun>();
        foreach (var run in runs)
        {
            if (_definitions.TryGetValue(run.Workflow, out var definition))
            {
                resumed.Add(Track(definition, run, created: false, acceptSchemaChange: false));
            }
        }
        return resumed;
    }

    /// <summary>Resumes one run (or returns its handle if it is running or already ended).</summary>
    /// <param name="acceptSchemaChange">Resume a run recorded under another schema version with the current code.</param>
    public async Task<WorkflowRun> ResumeAsync(Guid runId, string? tenantId = null, bool acceptSchemaChange = false, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var run = await GetRunAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        if (!_definitions.TryGetValue(run.Workflow, out var definition))
        {
            throw new WorkflowNotFoundException($"Run {runId} belongs to workflow '{run.Workflow}', which is not registered with this engine.");
        }
        return Track(definition, run, created: false, acceptSchemaChange);
    }

    /// <summary>Reads a run and its steps.</summary>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    public async Task<RunTimeline> GetTimelineAsync(Guid runId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var run = await GetRunAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        var steps = await _store.GetStepsAsync(run.TenantId, runId, cancellationToken).ConfigureAwait(false);
        return new RunTimeline(run, steps);
    }

    /// <summary>Stops running workflows (their journals stay as they are, to be resumed later) and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
        foreach (var run in _active.Values)
        {
            try
            {
                await run.Completion.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Each run's failure is its awaiter's concern; stopping only waits for them to settle.
            }
        }
        _stopping.Dispose();
        _initializeGate.Dispose();
    }

    private async Task<RunRecord> GetRunAsync(Guid runId, string? tenantId, CancellationToken cancellationToken)
    {
        var tenant = tenantId ?? _options.DefaultTenantId;
        ValidateTenant(tenant);
        return await _store.GetRunAsync(tenant, runId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"No run {runId} in tenant '{tenant}'.");
    }

    private async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized) return;
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

    private WorkflowRun Track(WorkflowDefinition definition, RunRecord run, bool created, bool acceptSchemaChange)
    {
        if (_active.TryGetValue(run.Id, out var active))
        {
            return WithCreated(active, created); // already executing here: an idempotent start or a resume
        }
        if (StatusTransitions.IsFinal(run.Status))
        {
            return new WorkflowRun(run.Id, run.TenantId, run.Workflow, created, EndedOutcome(run));
        }

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var execution = ExecuteWhenReleasedAsync(start.Task, definition, run, acceptSchemaChange);
        var handle = new WorkflowRun(run.Id, run.TenantId, run.Workflow, created, execution);
        var tracked = _active.GetOrAdd(run.Id, handle);
        if (ReferenceEquals(tracked, handle))
        {
            start.SetResult();
        }
        else
        {
            start.SetCanceled(); // another caller won the race; its execution is the one
        }
        return WithCreated(tracked, created);
    }

    /// <summary>The handle as this caller sees it: <see cref="WorkflowRun.Created"/> says whether this call created the run.</summary>
    private static WorkflowRun WithCreated(WorkflowRun run, bool created) =>
        run.Created == created ? run : new WorkflowRun(run.RunId, run.TenantId, run.Workflow, created, run.Outcome);

    private async Task<RunOutcome> ExecuteWhenReleasedAsync(Task released, WorkflowDefinition definition, RunRecord run, bool acceptSchemaChange)
    {
        await released.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        try
        {
            return await ExecuteAsync(definition, run, acceptSchemaChange).ConfigureAwait(false);
        }
        finally
        {
            _active.TryRemove(run.Id, out _);
        }
    }

    /// <summary>The outcome of a run that had ended before this engine saw it: a faulted task (not a throw) when it failed.</summary>
    private static Task<RunOutcome> EndedOutcome(RunRecord run) => run.Status == RunStatus.Succeeded
        ? Task.FromResult(new RunOutcome(run, run.Output, ExecutionReport.None))
        : Task.FromException<RunOutcome>(new WorkflowRunFailedException(run.Id, run.Workflow,
            run.Error ?? new ErrorInfo(run.Status == RunStatus.Cancelled ? ErrorKind.Cancelled : ErrorKind.Internal, $"The run ended {run.Status}.")));

    private async Task<RunOutcome> ExecuteAsync(WorkflowDefinition definition, RunRecord run, bool acceptSchemaChange)
    {
        var token = _stopping.Token;
        var steps = await _store.GetStepsAsync(run.TenantId, run.Id, token).ConfigureAwait(false);

        if (run.SchemaVersion != definition.SchemaVersion)
        {
            if (!acceptSchemaChange)
            {
                var mismatch = new SchemaMismatchException(run.Id, run.Workflow, run.SchemaVersion, definition.SchemaVersion, DescribeChanges(definition, steps));
                await StopAsync(run, ErrorKind.SchemaMismatch, mismatch, token).ConfigureAwait(false);
                throw mismatch;
            }
            run = run with { SchemaVersion = definition.SchemaVersion };
        }

        var now = _options.Clock.GetUtcNow();
        run = run with { Status = RunStatus.Running, StartedAt = run.StartedAt ?? now, UpdatedAt = now, Error = null };
        await _store.CommitAsync([JournalWrite.Update(run)], token).ConfigureAwait(false);

        var context = new WorkflowContext(run, steps, _store, _options.Clock, token) { StepCommitted = _options.OnStepCommitted };
        string output;
        WorkflowContext.Current = context;
        try
        {
            output = await definition.ExecuteAsync(context, run.Input, _options.Services, token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (context.Fatal is { } fatal)
            {
                await StopAsync(run, ErrorKind.NonDeterminism, fatal, token, context.TakePending()).ConfigureAwait(false);
                throw fatal;
            }
            if (e is OperationCanceledException && token.IsCancellationRequested)
            {
                throw; // the engine is stopping: the run stays Running and resumes at the next start
            }
            if (e is WorkflowConstructionException)
            {
                await StopAsync(run, ErrorKind.Internal, e, token).ConfigureAwait(false);
                throw;
            }
            var error = e switch
            {
                StepFailedException failed => failed.Error with { Kind = ErrorKind.StepFailed, Message = failed.Message },
                Serialization.WorkflowSerializationException => ErrorInfo.From(ErrorKind.Serialization, e),
                _ => ErrorInfo.From(ErrorKind.WorkflowFailed, e),
            };
            var endedAt = _options.Clock.GetUtcNow();
            await _store.CommitAsync([.. context.TakePending(), JournalWrite.Update(run with { Status = RunStatus.Failed, Error = error, CompletedAt = endedAt, UpdatedAt = endedAt })], token)
                .ConfigureAwait(false);
            throw new WorkflowRunFailedException(run.Id, run.Workflow, error, e);
        }
        finally
        {
            WorkflowContext.Current = null;
        }

        if (context.Fatal is { } swallowed)
        {
            // Workflow code caught the replay error; the run still cannot go on.
            await StopAsync(run, ErrorKind.NonDeterminism, swallowed, token, context.TakePending()).ConfigureAwait(false);
            throw swallowed;
        }

        var completedAt = _options.Clock.GetUtcNow();
        var succeeded = run with { Status = RunStatus.Succeeded, Output = output, CompletedAt = completedAt, UpdatedAt = completedAt };
        await _store.CommitAsync([.. context.TakePending(), JournalWrite.Update(succeeded)], token).ConfigureAwait(false);
        return new RunOutcome(succeeded, output, new ExecutionReport(Sorted(context.Replayed), Sorted(context.Executed)));
    }

    /// <summary>Records why a run cannot go on, leaving its status (and every step) as they are.</summary>
    private async Task StopAsync(RunRecord run, ErrorKind kind, Exception reason, CancellationToken token, IReadOnlyList<JournalWrite>? pending = null)
    {
        var now = _options.Clock.GetUtcNow();
        await _store.CommitAsync([.. pending ?? [], JournalWrite.Update(run with { Error = ErrorInfo.From(kind, reason), UpdatedAt = now })], token).ConfigureAwait(false);
    }

    private static string DescribeChanges(WorkflowDefinition definition, IReadOnlyList<StepRecord> steps)
    {
        var known = definition.Steps.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var missing = steps.Select(s => s.Name).Where(n => !known.Contains(n)).Distinct().ToList();
        return missing.Count > 0
            ? $"recorded steps no longer in the code: {string.Join(", ", missing.Select(n => $"'{n}'"))}; the code's steps: {string.Join(", ", known.Order(StringComparer.Ordinal).Select(n => $"'{n}'"))}"
            : "a step's name or signature changed";
    }

    private static int[] Sorted(IReadOnlyCollection<int> sequences)
    {
        var array = sequences.ToArray();
        Array.Sort(array);
        return array;
    }

    private static WorkflowRun<TOutput> Typed<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> definition, WorkflowRun run)
        where TWorkflow : class => run as WorkflowRun<TOutput> ?? new WorkflowRun<TOutput>(run, definition.OutputCodec.Deserialize);

    /// <summary>Tenant ids name a journal partition: 1 to 100 characters, no control characters.</summary>
    internal static void ValidateTenant(string tenantId)
    {
        if (string.IsNullOrWhiteSpace(tenantId) || tenantId.Length > 100 || tenantId.Any(char.IsControl))
        {
            throw new ArgumentException($"Tenant id '{tenantId}' is not valid: it must be 1 to 100 characters with no control characters.", nameof(tenantId));
        }
    }
}
