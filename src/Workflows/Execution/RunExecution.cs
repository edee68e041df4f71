using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// One execution of a run that this engine has claimed: replay and run it until it suspends, ends, is parked, is cancelled,
/// loses its claim, or the engine stops; then write what that means, under the claim, and give the claim up.
/// </summary>
/// <remarks>
/// Errors by cause (the README's table): the workflow's own exception or a step's final failure fails the run; an
/// unavailable store is retried, never a failure; non-determinism, a schema mismatch, an unreadable payload or a missing
/// service parks it; a lost claim abandons it untouched; an engine stop releases it as it is (its running step stays
/// Running and resumes later, as an interrupted attempt).
/// </remarks>
internal sealed class RunExecution
{
    private enum Interruption { None, Cancelled, DeadlinePassed, OwnershipLost }

    private readonly WorkflowEngine _engine;
    private readonly WorkflowDefinition _definition;
    private readonly CancellationTokenSource _cts;
    private RunRecord _run;
    private int _interruption;
    private string? _cancelReason;
    private string? _currentOwner;

    // A run this engine has just created without steps: its journal is known to be empty, and is not read.
    private readonly bool _created;

    internal RunExecution(WorkflowEngine engine, WorkflowDefinition definition, RunRecord claimed, bool created = false)
    {
        _engine = engine;
        _definition = definition;
        _run = claimed;
        _created = created;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(engine.StoppingToken);
    }

    public Guid RunId => _run.Id;

    /// <summary>The queue the run was started on, or null.</summary>
    internal string? Queue => _run.Queue;

    public Task Task { get; private set; } = Task.CompletedTask;

    private Interruption Reason => (Interruption)Volatile.Read(ref _interruption);

    internal void Start() => Task = RunAsync();

    /// <summary>Cancels the run cooperatively: the running step's token fires, no further step starts, the run ends Cancelled.</summary>
    internal void RequestCancel(string reason)
    {
        _cancelReason ??= reason;
        Interrupt(Interruption.Cancelled);
    }

    /// <summary>The claim is gone (taken over, or the run ended elsewhere): stop without writing anything more.</summary>
    internal void LoseOwnership(string? currentOwner)
    {
        _currentOwner = currentOwner;
        Interrupt(Interruption.OwnershipLost);
    }

    private ITimer? _deadlineTimer;

    /// <summary>A timer may fire early: the deadline has passed when the clock says so; until then the timer is re-armed.</summary>
    private void DeadlineTimerFired()
    {
        var remaining = _run.DeadlineAt!.Value - _engine.Clock.GetUtcNow();
        if (remaining > TimeSpan.Zero)
        {
            try
            {
                _deadlineTimer?.Change(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // the execution has ended
            }
            return;
        }
        Interrupt(Interruption.DeadlinePassed);
    }

    private void Interrupt(Interruption reason)
    {
        if (Interlocked.CompareExchange(ref _interruption, (int)reason, (int)Interruption.None) == (int)Interruption.None)
        {
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // the execution has already ended
            }
        }
    }

    private async Task RunAsync()
    {
        await Task.Yield(); // never run workflow code on the caller's stack (a start, a scheduler pass)
        try
        {
            var backoff = StoreRetry.FirstDelay;
            while (true)
            {
                try
                {
                    await ExecuteAsync().ConfigureAwait(false);
                    return;
                }
                catch (StoreUnavailableException e) when (!_cts.IsCancellationRequested)
                {
                    // The store went away between commits (each commit retries by itself): replay again once it is back.
                    _engine.ReportBackgroundError(e);
                    await Task.Delay(backoff, _cts.Token).ConfigureAwait(false);
                    backoff = StoreRetry.Next(backoff);
                }
            }
        }
        catch (Exception e)
        {
            // Whatever escaped the outcome handling (the store refused the final write, the engine is stopping hard):
            // the journal stays as it is and the run resumes by replay; the handle does not end here.
            if (e is not OperationCanceledException)
            {
                _engine.ReportBackgroundError(e);
            }
        }
        finally
        {
            _cts.Dispose();
            _engine.ExecutionEnded(this);
        }
    }

    private async Task ExecuteAsync()
    {
        // One span per execution, in the trace of the caller who started the run (journaled with it), one log scope, and
        // one scope of services (when the engine has a scope factory), disposed when the execution ends.
        var parent = System.Diagnostics.ActivityContext.TryParse(_run.TraceParent, null, out var started) ? started : default;
        using var activity = Diagnostics.WorkflowsTelemetry.Source.StartActivity($"workflow.run {_run.Workflow}", System.Diagnostics.ActivityKind.Internal, parent);
        activity?.SetTag("workflows.run.id", _run.Id.ToString());
        activity?.SetTag("workflows.workflow", _run.Workflow);
        activity?.SetTag("workflows.tenant", _run.TenantId);
        using var log = _engine.Logger.BeginScope(new Diagnostics.RunScope(_run.Id, _run.Workflow, _run.TenantId));
        var scope = _engine.Options.ServiceScopes?.CreateScope();
        try
        {
            await ExecuteAsync(scope).ConfigureAwait(false);
        }
        catch (Exception e) when (activity is not null)
        {
            activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            if (scope is not null)
            {
                await scope.DisposeAsync().ConfigureAwait(false);
            }
            if (activity is not null)
            {
                activity.SetTag("workflows.steps.replayed", _replayed);
                activity.SetTag("workflows.run.status", _outcome);
                if (_outcome is nameof(RunStatus.Failed) or nameof(RunStatus.Parked))
                {
                    activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, _outcomeMessage);
                }
            }
        }
    }

    private int _replayed;
    private string _outcome = "Released";
    private string? _outcomeMessage;

    /// <summary>What an execution's end is, for its span, its log line and the metrics.</summary>
    private void Observe(RunRecord ended, WorkflowContext? context)
    {
        _outcome = ended.Status.ToString();
        _outcomeMessage = ended.Error?.Message;
        var status = new KeyValuePair<string, object?>("workflows.run.status", _outcome);
        var workflow = new KeyValuePair<string, object?>("workflows.workflow", ended.Workflow);
        Diagnostics.WorkflowsTelemetry.RunsCompleted.Add(1, status, workflow);
        if (StatusTransitions.IsFinal(ended.Status) && ended.StartedAt is { } startedAt)
        {
            Diagnostics.WorkflowsTelemetry.RunDuration.Record(((ended.CompletedAt ?? ended.UpdatedAt) - startedAt).TotalMilliseconds, status, workflow);
        }
        var logger = _engine.Logger;
        switch (ended.Status)
        {
            case RunStatus.Succeeded:
                Diagnostics.EngineLog.RunSucceeded(logger, ended.Id, ended.Workflow);
                break;
            case RunStatus.Failed:
                Diagnostics.EngineLog.RunFailed(logger, ended.Id, ended.Workflow, ended.Error?.Kind ?? ErrorKind.Internal, ended.Error?.Message ?? "");
                break;
            case RunStatus.Parked:
                Diagnostics.EngineLog.RunParked(logger, ended.Id, ended.Workflow, ended.Error?.Kind ?? ErrorKind.Internal, ended.Error?.Message ?? "");
                break;
            case RunStatus.Cancelled:
                Diagnostics.EngineLog.RunCancelled(logger, ended.Id, ended.Workflow, ended.Error?.Message ?? "");
                break;
        }
        CountReplays(context);
    }

    private void CountReplays(WorkflowContext? context)
    {
        if (context is null) return;
        _replayed = context.Replayed.Count;
        if (_replayed > 0)
        {
            Diagnostics.WorkflowsTelemetry.Replays.Add(_replayed, new KeyValuePair<string, object?>("workflows.workflow", _run.Workflow));
        }
    }

    private async Task ExecuteAsync(IWorkflowServiceScope? scope)
    {
        var clock = _engine.Clock;
        var token = _cts.Token;
        IReadOnlyList<StepRecord> steps = [];
        if (!_created)
        {
            ReplayJournal journal;
            try
            {
                // Only what the replay reads: an ended entry without its input (but for child runs and event waits), timings, usage
                // or debug text; an entry not ended whole, as the resume rewrites it (IWorkflowStore.GetReplayStepsAsync); the
                // entries a snapshot holds from it (ReplaySnapshots).
                journal = await ReplaySnapshots.ReadAsync(_engine.Store, _run, token).ConfigureAwait(false);
            }
            catch (JournalCorruptException e)
            {
                await ParkAsync(null, ErrorKind.Serialization, e).ConfigureAwait(false);
                return;
            }
            steps = journal.Steps;
            await TakeSnapshotAsync(journal, token).ConfigureAwait(false);
        }

        // Cancelled or past its deadline before this execution began (asked while it waited or was not held): end it without
        // replaying; a step it left unfinished (a suspended sleep) is recorded as cut short.
        var unfinished = steps.Where(step => !StatusTransitions.IsFinal(step.Status)).ToList();
        if (_run.CancelRequestedAt is not null)
        {
            await EndCancelledAsync(null, ErrorKind.Cancelled, _run.CancelReason ?? "Cancelled.", unfinished).ConfigureAwait(false);
            return;
        }
        if (_run.DeadlineAt is { } deadline && deadline <= clock.GetUtcNow())
        {
            await EndCancelledAsync(null, ErrorKind.Timeout, DeadlineMessage(deadline), unfinished).ConfigureAwait(false);
            return;
        }

        // A run recorded under another schema: parked, unless the change is accepted (for this resume, or as compatible by
        // the engine's policy). Its recorded version changes only once the run has replayed past its recorded steps, so a
        // resume that fails on them leaves the run as it was, to be resumed by the code it was recorded under.
        string? adoptSchema = null;
        if (_run.SchemaVersion != _definition.SchemaVersion)
        {
            if (!_engine.TakeSchemaAcceptance(_run.Id, _definition.SchemaVersion))
            {
                var change = await _engine.CheckSchemaChangeAsync(_definition, _run, steps, token).ConfigureAwait(false);
                if (!(change.IsCompatible && _engine.Options.SchemaChanges == SchemaChangePolicy.AcceptCompatible))
                {
                    var mismatch = new SchemaMismatchException(_run.Id, _run.Workflow, _run.SchemaVersion, _definition.SchemaVersion,
                        change.Description, change.Incompatible, _engine.Options.SchemaChanges);
                    await ParkAsync(null, ErrorKind.SchemaMismatch, mismatch).ConfigureAwait(false);
                    return;
                }
            }
            adoptSchema = _definition.SchemaVersion;
        }

        using var deadlineTimer = _run.DeadlineAt is { } due
            ? clock.CreateTimer(static state => ((RunExecution)state!).DeadlineTimerFired(), this, Max(due - clock.GetUtcNow(), TimeSpan.Zero), Timeout.InfiniteTimeSpan)
            : null;
        _deadlineTimer = deadlineTimer;

        if (steps.Count == 0) Diagnostics.EngineLog.RunStarted(_engine.Logger, _run.Id, _run.Workflow);
        else Diagnostics.EngineLog.RunResumed(_engine.Logger, _run.Id, _run.Workflow, steps.Count);

        var context = new WorkflowContext(_run, steps, _engine.Store, clock, _engine.WorkerId, _engine.Options.SuspendThreshold,
            _engine.Options.MaxInterruptedAttempts, _engine.Options.JournalLimits, token)
        {
            StepStartDurability = _engine.Options.StepStartDurability,
            StepOutcomeWindow = _engine.Options.StepOutcomeWindow,
            Releasing = () => Released = true,
            Committed = _engine.Committed,
            AdoptSchemaVersion = adoptSchema,
            Engine = _engine,
            Logger = _engine.Logger,
        };
        Task<string> work = null!;
        WorkflowContext.Current = context;
        try
        {
            // Workflow code runs under its own synchronization context (continuations on the thread pool, numbered
            // segments), so that the calls it makes in one go share a wave.
            new WorkflowSynchronizationContext().Run(_ => work = _definition.ExecuteAsync(context, _run.Input, scope?.Services ?? _engine.Options.Services, token), null);
        }
        finally
        {
            WorkflowContext.Current = null;
        }

        await Task.WhenAny(work, context.Suspended).ConfigureAwait(false);
        if (context.Suspended.IsCompleted)
        {
            _engine.Waiters.Report(_run.Id, context.Replayed, context.Executed);
            if (context.Suspended.IsCompletedSuccessfully)
            {
                _outcome = nameof(RunStatus.Waiting);
                Diagnostics.WorkflowsTelemetry.RunsSuspended.Add(1, new KeyValuePair<string, object?>("workflows.workflow", _run.Workflow));
                Diagnostics.EngineLog.RunSuspended(_engine.Logger, _run.Id, _run.Workflow, context.WaitingFor);
                CountReplays(context);
                _engine.RunSuspended(_run.Id);
                return; // Waiting and released: nothing of the run stays here
            }
            await EndAsync(context, context.Suspended.Exception!.GetBaseException(), output: null).ConfigureAwait(false);
            return;
        }

        string output;
        try
        {
            output = await work.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _engine.Waiters.Report(_run.Id, context.Replayed, context.Executed);
            await EndAsync(context, e, output: null).ConfigureAwait(false);
            return;
        }
        _engine.Waiters.Report(_run.Id, context.Replayed, context.Executed);
        await EndAsync(context, error: null, output).ConfigureAwait(false);
    }

    /// <summary>Decides what the execution's end means for the run, and journals it.</summary>
    private async Task EndAsync(WorkflowContext context, Exception? error, string? output)
    {
        if (Reason == Interruption.OwnershipLost || context.OwnershipLost is not null || error is RunOwnershipLostException)
        {
            // Another engine holds the run: write nothing, but say so (the run goes on there; handles here see it end).
            _engine.ReportBackgroundError(context.OwnershipLost ?? error as RunOwnershipLostException
                ?? new RunOwnershipLostException(_run.Id, _engine.WorkerId, _currentOwner));
            return;
        }
        if (context.StoreFault is { } fault)
        {
            // The store failed a commit unexpectedly: whether it applied it is unknown, so nothing decides the run here. The
            // claim is given back (or lapses, if the store cannot take even that) and the next execution replays the journal.
            _engine.ReportBackgroundError(new StoreFaultException(_run.Id, _run.Workflow, fault));
            try
            {
                await _engine.Store.CommitAsync([JournalWrite.ReleaseClaim(_run.Id, _run.TenantId, _engine.WorkerId)], _engine.AbortToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _engine.ReportBackgroundError(e);
            }
            return;
        }
        if (context.Fatal is { } fatal)
        {
            // Parked even when workflow code caught the replay error: the run cannot go on under this code.
            var kind = fatal switch
            {
                NonDeterminismException => ErrorKind.NonDeterminism,
                StepInterruptedException => ErrorKind.Interrupted,
                _ => ErrorKind.Serialization,
            };
            await ParkAsync(context, kind, fatal).ConfigureAwait(false);
            return;
        }
        if (error is null)
        {
            var now = _engine.Clock.GetUtcNow();
            var succeeded = _run with { Status = RunStatus.Succeeded, Output = output, Error = null, CompletedAt = now, UpdatedAt = now, WakeAt = null, WaitingFor = null };
            await FinishAsync(context, succeeded, [], cause: null).ConfigureAwait(false);
            return;
        }
        switch (Reason)
        {
            case Interruption.Cancelled:
                await EndCancelledAsync(context, ErrorKind.Cancelled, _cancelReason ?? "Cancelled.").ConfigureAwait(false);
                return;
            case Interruption.DeadlinePassed:
                await EndCancelledAsync(context, ErrorKind.Timeout, DeadlineMessage(_run.DeadlineAt!.Value)).ConfigureAwait(false);
                return;
        }
        if (_engine.StoppingToken.IsCancellationRequested && error is OperationCanceledException)
        {
            // The engine is stopping: the run stays Running (its running step too) and is released for the next start.
            await CommitAsync([JournalWrite.ReleaseClaim(_run.Id, _run.TenantId, _engine.WorkerId)], context, _engine.AbortToken).ConfigureAwait(false);
            return;
        }
        if (error is StoreUnavailableException)
        {
            throw error; // retried by replay
        }
        if (error is WorkflowConstructionException)
        {
            await ParkAsync(context, ErrorKind.MissingService, error).ConfigureAwait(false);
            return;
        }
        var info = error switch
        {
            StepFailedException failed => failed.Error with { Kind = ErrorKind.StepFailed, Message = failed.Message },
            Serialization.WorkflowSerializationException or Serialization.JournalWriteException => ErrorInfo.From(ErrorKind.Serialization, error),
            _ => ErrorInfo.From(ErrorKind.WorkflowFailed, error),
        };
        var failedAt = _engine.Clock.GetUtcNow();
        var failedRun = _run with { Status = RunStatus.Failed, Error = info, CompletedAt = failedAt, UpdatedAt = failedAt, WakeAt = null, WaitingFor = null };
        await FinishAsync(context, failedRun, [], new WorkflowRunFailedException(_run.Id, _run.Workflow, info, error)).ConfigureAwait(false);
    }

    /// <summary>Parks the run: not final, not retried, released, with the structured error, until someone resumes it.</summary>
    private async Task ParkAsync(WorkflowContext? context, ErrorKind kind, Exception reason)
    {
        var now = _engine.Clock.GetUtcNow();
        var parked = _run with { Status = RunStatus.Parked, Error = ErrorInfo.From(kind, reason), UpdatedAt = now, WakeAt = null, WaitingFor = null };
        await FinishAsync(context, parked, [], reason).ConfigureAwait(false);
    }

    /// <summary>Ends the run Cancelled (by request or at its deadline); steps cut short are recorded as failed with the same error.</summary>
    private async Task EndCancelledAsync(WorkflowContext? context, ErrorKind kind, string message, IReadOnlyList<StepRecord>? unfinished = null)
    {
        var now = _engine.Clock.GetUtcNow();
        var error = new ErrorInfo(kind, message);
        var cutShort = (context?.UnfinishedSteps() ?? unfinished ?? [])
            .Select(step => JournalWrite.Update(step with { Status = StepStatus.Failed, Error = error, CompletedAt = now, UpdatedAt = now }))
            .ToList();
        var cancelled = _run with { Status = RunStatus.Cancelled, Error = error, CompletedAt = now, UpdatedAt = now, WakeAt = null, WaitingFor = null };
        await FinishAsync(context, cancelled, cutShort, cause: null).ConfigureAwait(false);
    }

    private async Task FinishAsync(WorkflowContext? context, RunRecord ended, List<JournalWrite> steps, Exception? cause)
    {
        ended = context?.WithAdoptedSchema(ended) ?? ended;
        steps.Add(JournalWrite.Update(ended));
        steps.Add(JournalWrite.ReleaseClaim(_run.Id, _run.TenantId, _engine.WorkerId));
        var wakesParent = ended.ParentRunId is { } parent && StatusTransitions.IsFinal(ended.Status);
        if (wakesParent)
        {
            steps.Add(JournalWrite.WakeRun(ended.ParentRunId!.Value, ended.TenantId, ended.UpdatedAt)); // its wait on this child is over
        }
        try
        {
            await CommitAsync(steps, context, _engine.AbortToken).ConfigureAwait(false);
        }
        catch (RunOwnershipLostException lost)
        {
            _engine.ReportBackgroundError(lost); // taken over meanwhile: the new owner decides
            return;
        }
        var report = context is null ? ExecutionReport.None
            : new ExecutionReport([.. context.Replayed.Except(context.Executed).Order()], [.. context.Executed.Order()]);
        _engine.Waiters.Complete(ended, ended.Output, cause, report);
        Observe(ended, context);
        if (wakesParent)
        {
            _engine.RunSuspended(); // the parent may be this engine's to claim
        }
        if (ended.Status == RunStatus.Cancelled)
        {
            await _engine.CancelChildrenAsync(ended, ended.Error?.Message ?? "Cancelled.", _engine.AbortToken).ConfigureAwait(false);
        }
    }

    /// <summary>A fenced commit: through the context (with its pending durable values) when there is one.</summary>
    private Task CommitAsync(IReadOnlyList<JournalWrite> writes, WorkflowContext? context, CancellationToken token)
    {
        if (context is not null)
        {
            return context.CommitAsync(writes, token);
        }
        return CommitWithoutContextAsync(writes, token);
    }

    /// <summary>
    /// Whether this execution sent a commit that releases the run: from then on it only finishes, and a claim of the run
    /// (by this engine's scheduler, the run woken meanwhile) is not its own.
    /// </summary>
    internal bool Released { get => Volatile.Read(ref _released); private set => Volatile.Write(ref _released, value); }
    private bool _released;

    private async Task CommitWithoutContextAsync(IReadOnlyList<JournalWrite> writes, CancellationToken token)
    {
        List<JournalWrite> batch = [JournalWrite.RequireClaim(_run.Id, _run.TenantId, _engine.WorkerId), .. writes];
        if (batch.Exists(static w => w is ReleaseClaim)) Released = true;
        await StoreRetry.RunAsync(() => _engine.Store.CommitAsync(batch, token), token).ConfigureAwait(false);
        _engine.Committed(_run, batch);
    }

    /// <summary>
    /// Stores a snapshot of the journal just read when it has <see cref="WorkflowEngineOptions.SnapshotAfterSteps"/> entries
    /// that ended for good beyond the snapshot it came with, before the replay begins: under this execution's claim, which a
    /// run that goes on quickly (and suspends or ends) would otherwise give up first. Rare (once per that many entries), and
    /// a snapshot that cannot be stored costs speed only: the next resume reads the journal and takes one then.
    /// </summary>
    private async Task TakeSnapshotAsync(ReplayJournal journal, CancellationToken token)
    {
        var every = _engine.Options.SnapshotAfterSteps;
        if (every <= 0) return;
        var length = ReplaySnapshots.SnapshotLength(journal.Steps);
        if (length - journal.FromSnapshot < every) return;
        var snapshot = ReplaySnapshots.Take(_run, journal.Steps, length, _engine.Clock.GetUtcNow());
        if (snapshot is null) return; // over the size limit: resumes read the journal
        try
        {
            await _engine.Store.PutSnapshotAsync(snapshot, _engine.WorkerId, token).ConfigureAwait(false);
            Interlocked.Increment(ref _engine.SnapshotsTaken);
        }
        catch (Exception e) when (e is JournalException or StoreUnavailableException || e is OperationCanceledException && !token.IsCancellationRequested)
        {
            // not stored: the next resume reads the whole journal, and takes a snapshot then
        }
    }

    private static string DeadlineMessage(DateTimeOffset deadline) =>
        $"The run passed its deadline ({deadline.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}).";

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
